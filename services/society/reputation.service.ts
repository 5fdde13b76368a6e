import type { Context, ServiceSchema } from "moleculer";
import type { Kernel } from "../../lib/kernel/kernel";
import type { SecuredMeta } from "../../lib/security/security-guard";
import type { ReputationStore } from "../../lib/society/reputation-store";
import { PAGE_PARAMS, actorOf } from "../../lib/society/society-context";
import { requiresDatabase } from "../../mixins/requires-database.mixin";
import { defineService } from "../../lib/kernel/define-service";

/** Reputation: per agent, the sum of its events (lib/society/reputation.ts), with their history; moderators adjust it, audited. */
export default function createReputationService(kernel: Kernel, reputation: ReputationStore): ServiceSchema {
	return defineService({
		name: "reputation",
		mixins: [requiresDatabase(kernel)],
		settings: { rest: "/reputation" },

		actions: {
			list: {
				rest: "GET /",
				description: "Agents ranked by reputation, highest first, a page at a time.",
				scope: "society:read",
				params: PAGE_PARAMS,
				async handler(ctx: Context<{ limit?: number; offset?: number }>) {
					const { limit = 20, offset = 0 } = ctx.params;
					return { ...(await reputation.ranking(limit, offset)), limit, offset };
				}
			},

			get: {
				rest: "GET /:agentId",
				description: "An agent's reputation score and the history of what changed it.",
				tool: true,
				scope: "society:read",
				params: { agentId: { type: "string", min: 1, max: 200 }, ...PAGE_PARAMS },
				async handler(ctx: Context<{ agentId: string; limit?: number; offset?: number }>) {
					const { agentId, limit = 20, offset = 0 } = ctx.params;
					return { agentId, reputation: await reputation.score(agentId), history: await reputation.history(agentId, limit, offset) };
				}
			},

			adjust: {
				rest: "POST /:agentId/adjustments",
				description: "Adjusts an agent's reputation by hand, with a reason (moderators only).",
				scope: "governance",
				permission: "social.moderate",
				audit: true,
				params: { agentId: { type: "string", min: 1, max: 200 }, delta: { type: "number", min: -1000, max: 1000, notEqual: 0, convert: true }, reason: { type: "string", min: 3, max: 1000 } },
				async handler(ctx: Context<{ agentId: string; delta: number; reason: string }, SecuredMeta & { $statusCode?: number }>) {
					const { agentId, delta, reason } = ctx.params;
					await reputation.record({ agentId, kind: "adjustment", delta, reason, actor: actorOf(ctx).id });
					ctx.meta.$statusCode = 201;
					return { agentId, reputation: await reputation.score(agentId) };
				}
			}
		}
	});
}
