import { Readable } from "node:stream";
import type { Context, ServiceSchema } from "moleculer";
import type { Kernel } from "../lib/kernel/kernel";
import type { AuditLog, AuditQuery } from "../lib/security/audit-log";
import { requiresDatabase } from "../mixins/requires-database.mixin";
import { OFFSET_PARAM } from "../lib/schema/number-bounds";


const FILTERS = {
	actorId: { type: "string", optional: true, max: 200 },
	agentId: { type: "string", optional: true, max: 200 },
	action: { type: "string", optional: true, max: 200 },
	outcome: { type: "enum", values: ["allowed", "denied", "succeeded", "failed"], optional: true },
	since: { type: "date", convert: true, optional: true },
	until: { type: "date", convert: true, optional: true }
};

const DAY_MS = 86_400_000;

/** The audit log as people read it: query, export, verify the hash chain; and its retention. */
export default function createAuditService(kernel: Kernel, audit: AuditLog): ServiceSchema {
	let retention: NodeJS.Timeout | undefined;
	return {
		name: "audit",
		mixins: [requiresDatabase(kernel)],
		settings: { rest: "/audit" },

		actions: {
			query: {
				rest: "GET /",
				scope: "audit:read",
				params: {
					...FILTERS,
					limit: { type: "number", integer: true, min: 1, max: 1000, optional: true, convert: true },
					offset: OFFSET_PARAM
				},
				handler(ctx: Context<AuditQuery>) {
					return audit.query(ctx.params);
				}
			},

			/** JSON lines, oldest first; streamed, so a large log does not sit in memory. */
			export: {
				rest: "GET /export",
				scope: "audit:read",
				params: FILTERS,
				handler(ctx: Context<AuditQuery, { $responseType?: string; $responseHeaders?: Record<string, string> }>): Readable {
					ctx.meta.$responseType = "application/x-ndjson";
					ctx.meta.$responseHeaders = { "Content-Disposition": 'attachment; filename="audit.jsonl"' };
					return Readable.from((async function* () {
						for await (const line of audit.exportLines(ctx.params)) yield `${line}\n`;
					})());
				}
			},

			verify: {
				rest: "GET /verify",
				scope: "audit:read",
				handler() {
					return audit.verify();
				}
			}
		},

		started() {
			const days = kernel.config.AUDIT_LOG_RETENTION_DAYS;
			if (days > 0) {
				const purge = () =>
					kernel.start().then(() => audit.purgeOlderThan(days)).then(
						n => n && this.logger.info(`Removed ${n} audit entries older than ${days} days`),
						(err: Error) => this.logger.warn(`Audit retention failed: ${err.message}`)
					);
				retention = setInterval(purge, DAY_MS);
				retention.unref();
				void purge();
			}
		},

		stopped() {
			clearInterval(retention);
		}
	};
}
