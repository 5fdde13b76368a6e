import type { Context, ServiceSchema } from "moleculer";
import type { Kernel } from "../lib/kernel/kernel";
import type { ApprovalGate } from "../lib/security/approval-gate";
import type { Approval, ApprovalStatus } from "../lib/security/approval-store";
import { AdminRequiredError } from "../lib/security/errors";
import { GrantRequests } from "../lib/security/grant-requests";
import { callerOf, mayGrant, type SecuredMeta } from "../lib/security/security-guard";
import { waitForPerson, type HumanDecision, type WaitForParams } from "../lib/security/wait-for";
import { requiresDatabase } from "../mixins/requires-database.mixin";
import { OFFSET_PARAM } from "../lib/schema/number-bounds";
import { defineService } from "../lib/kernel/define-service";

/**
 * Pending approvals: people list them and approve or deny; the waiting action runs or is
 * refused. A grant request (a capability a manifest asked for) is decided by admins only,
 * and approving it grants the capability. Agents ask a person a question with `waitFor`.
 */
export default function createApprovalsService(kernel: Kernel, gate: ApprovalGate, requests: GrantRequests): ServiceSchema {
	const approvals = gate.store;
	let expiry: NodeJS.Timeout | undefined;
	const decide = (status: "approved" | "denied") => ({
		audit: true,
		scope: "approvals" as const,
		params: { id: { type: "uuid" }, note: { type: "string", max: 1000, optional: true } },
		async handler(ctx: Context<{ id: string; note?: string }, SecuredMeta>): Promise<Approval> {
			const asked = await approvals.get(ctx.params.id);
			// The `approvals` scope decides actions; granting capabilities stays with admins.
			if (asked && GrantRequests.isRequest(asked) && !mayGrant(ctx.meta)) throw new AdminRequiredError("decide a grant request", ctx.meta.user?.scopes);
			const approval = await approvals.decide(ctx.params.id, status, ctx.meta.user?.id ?? "system", ctx.params.note ?? null);
			if (GrantRequests.isRequest(approval)) {
				await requests.decided(approval, { caller: callerOf(ctx), mayGrant: true, requestId: ctx.requestID ?? null });
				if (approval.status === "approved") ctx.broadcast("permissions.changed", { agentId: approval.agentId }).catch(() => undefined);
			}
			// Every node hears it; the one where the action waits lets it run or refuses it.
			await ctx.broadcast("approvals.decided", approval);
			return approval;
		}
	});

	return defineService({
		name: "approvals",
		mixins: [requiresDatabase(kernel)],
		settings: { rest: "/approvals" },

		actions: {
			list: {
				rest: "GET /",
				description: "Lists the requests of supervised agents that wait for (or had) a person's approval, by status.",
				scope: "approvals",
				params: {
					status: { type: "enum", values: ["pending", "approved", "denied", "expired"], optional: true },
					limit: { type: "number", integer: true, min: 1, max: 1000, optional: true, convert: true },
					offset: OFFSET_PARAM
				},
				async handler(ctx: Context<{ status?: ApprovalStatus; limit?: number; offset?: number }>) {
					const { limit = 100, offset = 0 } = ctx.params;
					return { ...(await approvals.list(ctx.params.status, limit, offset)), limit, offset };
				}
			},
			approve: { rest: "POST /:id/approve", description: "Approves a waiting request: the agent's call goes ahead.", ...decide("approved") },
			deny: { rest: "POST /:id/deny", description: "Denies a waiting request: the agent's call is refused.", ...decide("denied") },
			// For agents (ctx.waitFor), through ctx only: no REST route. Any agent may ask a person.
			waitFor: {
				description: "An agent asks a person and gets the decision (approved or denied, with the note); a durable run is suspended until then.",
				audit: true,
				retryPolicy: { enabled: false },
				timeout: 0,
				params: {
					reason: { type: "string", min: 1, max: 1000 },
					data: { type: "object", optional: true }
				},
				handler(ctx: Context<WaitForParams, SecuredMeta>): Promise<HumanDecision> {
					return waitForPerson(gate, ctx.meta, ctx.params);
				}
			}
		},

		events: {
			"approvals.decided"(ctx: Context<Approval>) {
				approvals.settle(ctx.params);
			}
		},

		started() {
			// A suspended run's approval expires when its time is up, not when the run next resumes:
			// closed here (each by one node), then announced as decided, which wakes the run to see it.
			const sweep = async () => {
				await kernel.start();
				for (const expired of await approvals.expireDue()) await this.broker.broadcast("approvals.decided", expired);
			};
			expiry = setInterval(() => void sweep().catch((err: Error) => this.logger.warn(`Expiring approvals failed: ${err.message}`)), kernel.config.TASK_RECOVERY_INTERVAL_MS);
			expiry.unref();
		},

		stopped() {
			clearInterval(expiry);
			approvals.close();
		}
	});
}
