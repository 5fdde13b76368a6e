import { Readable } from "node:stream";
import type { Context, ServiceSchema } from "moleculer";
import { withTimeout } from "../lib/kernel/database/timeout";
import type { Kernel } from "../lib/kernel/kernel";
import type { AuditCheckpoint, AuditLog, AuditQuery } from "../lib/security/audit-log";
import { liveEntry } from "../lib/security/audit-rows";
import { requiresDatabase } from "../mixins/requires-database.mixin";
import { OFFSET_PARAM } from "../lib/schema/number-bounds";
import { defineService } from "../lib/kernel/define-service";


const FILTERS = {
	actorId: { type: "string", optional: true, max: 200 },
	agentId: { type: "string", optional: true, max: 200 },
	principalId: { type: "string", optional: true, max: 200 },
	target: { type: "string", optional: true, max: 200 },
	action: { type: "string", optional: true, max: 200 },
	outcome: { type: "enum", values: ["allowed", "denied", "succeeded", "failed"], optional: true },
	since: { type: "date", convert: true, optional: true },
	until: { type: "date", convert: true, optional: true }
};

const DAY_MS = 86_400_000;
const STOP_CHECKPOINT_MS = 3_000;

/**
 * The audit log as people read it: query, export, verify the keyed chain; its retention;
 * and its checkpoints, logged and sent to every node, each of which keeps them.
 */
export default function createAuditService(kernel: Kernel, audit: AuditLog): ServiceSchema {
	let retention: NodeJS.Timeout | undefined;
	let unsubscribe: (() => void) | undefined;
	let unrecord: (() => void) | undefined;
	return defineService({
		name: "audit",
		mixins: [requiresDatabase(kernel)],
		settings: { rest: "/audit" },

		actions: {
			query: {
				rest: "GET /",
				description: "Searches the audit log by actor, action, target, outcome and time, newest first.",
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
				description: "Streams audit entries as JSON lines, oldest first, for keeping or moving elsewhere.",
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

			/** `{ok, checked, firstBad?: {check, seq, reason}, checkpoint}`; check is edited, chain_broken, truncated, forged or key_mismatch. */
			verify: {
				rest: "GET /verify",
				description: "Checks the audit log's hash chain and signed checkpoints, and names the first bad entry if any.",
				scope: "audit:read",
				handler() {
					return audit.verify();
				}
			}
		},

		events: {
			/** A node that joins (or comes back) gets the newest checkpoint at once, not at the next one. */
			"$node.connected": {
				handler() {
					audit
						.latestCheckpoint()
						.then(cp => cp && this.broker.broadcast("audit.checkpoint", cp))
						.catch((err: Error) => this.logger.warn(`Could not send the audit checkpoint to a node that joined: ${err.message}`));
				}
			},
			"audit.checkpoint": {
				handler(ctx: Context<AuditCheckpoint>) {
					if (ctx.nodeID === this.broker.nodeID) return;
					const kept = audit.receiveCheckpoint(ctx.params);
					if (kept === "other-key" || kept === "bad-signature") {
						this.logger.warn(`Refused an audit checkpoint from node ${ctx.nodeID} (${kept}): every node needs the same AUDIT_HMAC_KEY (or CLUSTER_SECRET)`);
					}
				}
			}
		},

		started() {
			// The live stream: each entry as it is recorded (before it is written, so without its seq and hash), to every node's WebSocket subscribers.
			unrecord = audit.onRecord(entry => {
				this.broker.broadcast("audit.recorded", liveEntry(entry)).catch(() => undefined);
			});
			// Kept outside the database three times over: the data dir (by the log), the log stream and the other nodes.
			unsubscribe = audit.onCheckpoint(cp => {
				this.logger.info(`Audit checkpoint: chain ${cp.chain} seq ${cp.seq} hash ${cp.hash} key ${cp.keyId} sig ${cp.sig}`);
				this.broker.broadcast("audit.checkpoint", cp).catch((err: Error) => this.logger.warn(`Could not send the audit checkpoint to the other nodes: ${err.message}`));
			});
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

		async stopped() {
			clearInterval(retention);
			// The tail this node wrote is anchored, and sent to the other nodes, before it goes.
			await withTimeout(audit.flush().then(() => audit.checkpoint()), STOP_CHECKPOINT_MS, "the last audit checkpoint was not made").catch((err: Error) =>
				this.logger.warn(`No audit checkpoint at stop: ${err.message}`)
			);
			unsubscribe?.();
			unrecord?.();
		}
	});
}
