import type { Context, ServiceSchema } from "moleculer";
import { FieldError } from "../lib/kernel/errors";
import { AgentNotFoundError } from "../actors/errors";
import type { Kernel } from "../lib/kernel/kernel";
import { CAPABILITIES, type Capability, type GrantConstraints } from "../lib/security/capabilities";
import type { GrantRequests, PendingGrant } from "../lib/security/grant-requests";
import type { Grant, GrantStore } from "../lib/security/grant-store";
import { requiresDatabase } from "../mixins/requires-database.mixin";
import { BIGINT_MAX } from "../lib/schema/number-bounds";
import { defineService } from "../lib/kernel/define-service";

interface Meta {
	user?: { id: string };
}

const LIST = { type: "array", items: { type: "string", min: 1, max: 500 }, max: 100, optional: true };

/** What each agent may do: grants, narrowed and expiring, given and taken by admins; and what it asked for that waits for one. */
export default function createPermissionsService(kernel: Kernel, grants: GrantStore, requests: GrantRequests): ServiceSchema {
	const { db } = kernel;
	async function ensureAgent(id: string): Promise<void> {
		const { rows } = await db.query("SELECT 1 FROM agents WHERE id = $1", [id]);
		if (!rows[0]) throw new AgentNotFoundError(id);
	}

	return defineService({
		name: "permissions",
		mixins: [requiresDatabase(kernel)],
		settings: { rest: "/agents" },

		actions: {
			list: {
				rest: "GET /:id/grants",
				description: "An agent's capability grants, and its grant requests that wait for an admin.",
				scope: "agents:read",
				params: { id: "string" },
				async handler(ctx: Context<{ id: string }>): Promise<{ items: Grant[]; pending: PendingGrant[] }> {
					await ensureAgent(ctx.params.id);
					const pending = await requests.pending([ctx.params.id]);
					return { items: await grants.active(ctx.params.id), pending: pending.get(ctx.params.id) ?? [] };
				}
			},

			grant: {
				rest: "POST /:id/grants",
				description: "Grants an agent a capability, optionally narrowed by constraints such as paths, domains or commands.",
				audit: true,
				retryPolicy: { enabled: false },
				params: {
					id: "string",
					capability: { type: "enum", values: Object.keys(CAPABILITIES) },
					constraints: { type: "object", optional: true, strict: "remove", props: { paths: LIST, domains: LIST, commands: LIST, models: LIST } },
					expiresAt: { type: "date", convert: true, optional: true }
				},
				async handler(ctx: Context<{ id: string; capability: Capability; constraints?: GrantConstraints; expiresAt?: Date }, Meta & { $statusCode?: number }>): Promise<Grant> {
					await ensureAgent(ctx.params.id);
					if (ctx.params.expiresAt && ctx.params.expiresAt.getTime() <= Date.now()) {
						throw new FieldError("expiresAt", "expiresAt must be in the future");
					}
					const by = ctx.meta.user?.id ?? "system";
					const grant = await grants.grant(ctx.params.id, ctx.params.capability, by, ctx.params.constraints ?? {}, ctx.params.expiresAt ?? null);
					await requests.grantedDirectly(ctx.params.id, ctx.params.capability, by);
					ctx.broadcast("permissions.changed", { agentId: ctx.params.id }).catch(() => undefined);
					ctx.meta.$statusCode = 201;
					return grant;
				}
			},

			revoke: {
				rest: "DELETE /:id/grants",
				description: "Revokes an agent's grant of one capability, or all its grants.",
				audit: true,
				params: {
					id: "string",
					capability: { type: "enum", values: Object.keys(CAPABILITIES), optional: true },
					grantId: { type: "number", integer: true, positive: true, max: BIGINT_MAX, convert: true, optional: true }
				},
				async handler(ctx: Context<{ id: string; capability?: Capability; grantId?: number }, Meta>): Promise<{ revoked: number }> {
					await ensureAgent(ctx.params.id);
					if (!ctx.params.capability && !ctx.params.grantId) {
						throw new FieldError("capability", "Say which grant to revoke: ?capability=… or ?grantId=…");
					}
					const revoked = await grants.revoke(ctx.params.id, ctx.meta.user?.id ?? "system", { id: ctx.params.grantId, capability: ctx.params.capability });
					ctx.broadcast("permissions.changed", { agentId: ctx.params.id }).catch(() => undefined);
					return { revoked };
				}
			}
		},

		events: {
			// Grants changed on another node: read them afresh here too.
			"permissions.changed"(ctx: Context<{ agentId?: string }>) {
				grants.forget(ctx.params.agentId);
			}
		}
	});
}
