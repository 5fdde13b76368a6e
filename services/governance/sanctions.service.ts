import type { Context, ServiceSchema } from "moleculer";
import type { Kernel } from "../../lib/kernel/kernel";
import { parseDuration } from "../../lib/governance/policy-dsl";
import { restoreAgents } from "../../lib/governance/restore-agents";
import { SANCTION_KINDS, type Sanction, type SanctionKind, type SanctionStore } from "../../lib/governance/sanction-store";
import type { SecuredMeta } from "../../lib/security/security-guard";
import { ConflictError, FieldError, NotFoundError } from "../../lib/society/errors";
import { sanctionDelta } from "../../lib/society/reputation";
import type { ReputationStore } from "../../lib/society/reputation-store";
import { actorOf } from "../../lib/society/society-context";
import { dbEntity, entityActions, type DbMethods } from "../../mixins/db-entity.mixin";
import type { TableSpec } from "../../mixins/kernel-db.adapter";
import { defineService } from "../../lib/kernel/define-service";

export interface ApplyParams {
	agentId: string;
	kind: SanctionKind;
	reason: string;
	/** 30s, 10m, 2h, 7d; none: until lifted. */
	duration?: string;
	ratePerMinute?: number;
	caseId?: string;
}

type Meta = SecuredMeta & { $statusCode?: number };

const SANCTIONS = {
	table: "sanctions",
	columns: {
		agentId: "text",
		kind: "text",
		reason: "text",
		caseId: "text",
		ratePerMinute: "number",
		createdBy: "text",
		createdAt: "time",
		expiresAt: "time",
		liftedAt: "time",
		liftedBy: "text",
		liftReason: "text",
		restoreState: "text",
		restoredAt: "time",
		lockdownId: "text"
	}
} as const satisfies TableSpec;

const MODERATE = { scope: "governance", permission: "social.moderate", audit: true } as const;
/** How often a node looks for quarantines and bans that expired (so their agents get their state back). */
const RESTORE_SWEEP_MS = 5000;

/** What the sanctions service's own `methods` put on `this`. */
interface SanctionsMethods {
	restoreAgents(ctx: Context | undefined, agentId?: string): Promise<void>;
}

/**
 * Sanctions on agents: warn, throttle (a rate limit), quarantine (the actor stopped, tasks
 * refused), ban; each with an optional expiry. The security middleware enforces them on
 * every call an agent makes, on every node: `sanctions.changed` clears each node's cache.
 */
export default function createSanctionsService(kernel: Kernel, sanctions: SanctionStore, reputation: ReputationStore): ServiceSchema {
	let restorer: NodeJS.Timeout | undefined;
	return defineService<SanctionsMethods, DbMethods>({
		name: "sanctions",
		mixins: [dbEntity(kernel, SANCTIONS, { filters: ["agentId", "kind", "lockdownId"] })],
		settings: { rest: "/sanctions" },

		actions: {
			list: {
				rest: "GET /",
				description: "Lists sanctions, by agent, kind and the lockdown that made them.",
				scope: "governance:read",
				params: {
					agentId: { type: "string", max: 200, optional: true },
					kind: { type: "enum", values: [...SANCTION_KINDS], optional: true },
					lockdownId: { type: "uuid", optional: true }
				}
			},
			...entityActions("governance:read", { description: "One sanction by id: its agent, kind, reason and when it ends." }),

			/** The agent's sanctions in force now. */
			active: {
				rest: "GET /agents/:agentId",
				description: "The sanctions in force on an agent now.",
				scope: "governance:read",
				params: { agentId: { type: "string", min: 1, max: 200 } },
				handler(ctx: Context<{ agentId: string }>): Promise<Sanction[]> {
					return sanctions.active(ctx.params.agentId);
				}
			},

			apply: {
				...MODERATE,
				rest: "POST /",
				description: "Sanctions an agent (warn, throttle, quarantine or ban) with a reason and an optional duration.",
				params: {
					agentId: { type: "string", min: 1, max: 200 },
					kind: { type: "enum", values: [...SANCTION_KINDS] },
					reason: { type: "string", min: 3, max: 2000 },
					duration: { type: "string", max: 20, optional: true },
					ratePerMinute: { type: "number", integer: true, min: 1, max: 100000, optional: true, convert: true },
					caseId: { type: "uuid", optional: true }
				},
				async handler(ctx: Context<ApplyParams, Meta>): Promise<Sanction> {
					const { agentId, kind, reason, duration, ratePerMinute, caseId } = ctx.params;
					const durationMs = duration === undefined ? undefined : parseDuration(duration);
					if (duration !== undefined && !durationMs) throw new FieldError("duration", `"duration" is a duration such as 30s, 10m, 2h or 7d, not "${duration}"`);
					if (ratePerMinute && kind !== "throttle") throw new FieldError("ratePerMinute", "Only a throttle has a rate");
					const by = actorOf(ctx).id;
					const sanction = await kernel.db.transaction(async tx => {
						const created = await sanctions.apply(tx, { agentId, kind, reason, caseId, ratePerMinute, createdBy: by, durationMs });
						await reputation.record({ agentId, kind: "sanction", delta: sanctionDelta(kind), reason: `${kind}: ${reason}`, source: created.id, actor: by }, tx);
						return created;
					});
					ctx.meta.$statusCode = 201;
					await ctx.broadcast("sanctions.changed", { change: "created", entity: sanction });
					// Quarantine and ban stop the agent's actor; the sanction keeps the desired state it had, given back when the last one ends.
					if (kind === "quarantine" || kind === "ban") {
						await ctx.call("agents.stop", { id: agentId }).catch((err: Error) => this.logger.info(`Sanctioned agent ${agentId} was not stopped: ${err.message}`));
					}
					return sanction;
				}
			},

			lift: {
				...MODERATE,
				rest: "POST /:id/lift",
				description: "Lifts a sanction before it ends, with a reason.",
				params: { id: { type: "uuid" }, reason: { type: "string", min: 3, max: 2000 } },
				async handler(ctx: Context<{ id: string; reason: string }, Meta>): Promise<Sanction> {
					const by = actorOf(ctx).id;
					const lifted = await kernel.db.transaction(async tx => {
						const existing = await sanctions.get(ctx.params.id, tx);
						if (!existing) throw new NotFoundError("sanction", ctx.params.id);
						const done = await sanctions.lift(tx, ctx.params.id, by, ctx.params.reason);
						if (!done) throw new ConflictError("SANCTION_LIFTED", `Sanction ${ctx.params.id} was lifted already`, { sanctionId: ctx.params.id });
						await reputation.record({ agentId: done.agentId, kind: "appeal", delta: -sanctionDelta(done.kind), reason: `${done.kind} lifted: ${ctx.params.reason}`, source: done.id, actor: by }, tx);
						return done;
					});
					await ctx.broadcast("sanctions.changed", { change: "updated", entity: lifted });
					await this.restoreAgents(ctx, lifted.agentId);
					return lifted;
				}
			}
		},

		methods: {
			/**
			 * Gives agents whose last quarantine or ban ended their desired state back: one that
			 * was running is started again (on the node placement picks), one that was stopped
			 * stays stopped. Started from here, where this node's sanction cache is already clear.
			 */
			async restoreAgents(ctx: Context | undefined, agentId?: string): Promise<void> {
				const nodeID = this.broker.nodeID;
				await restoreAgents(sanctions, id => (ctx ? ctx.call("agents.start", { id }, { nodeID }) : this.broker.call("agents.start", { id }, { nodeID })), this.logger, agentId);
			}
		},

		events: {
			/** Every node forgets what it cached of the agent's sanctions, so the change holds at once everywhere. */
			"sanctions.changed"(ctx: Context<{ entity?: { agentId?: string } }>) {
				sanctions.forget(ctx.params.entity?.agentId);
			}
		},

		/** Sanctions expire by time alone; this sweep gives expired quarantines' and bans' agents their state back. */
		started() {
			restorer = setInterval(() => {
				if (kernel.databaseStatus().state !== "ready") return;
				this.restoreAgents(undefined).catch((err: Error) => this.logger.warn(`Restoring agents after their sanctions failed: ${err.message}`));
			}, RESTORE_SWEEP_MS);
			restorer.unref();
		},

		stopped() {
			clearInterval(restorer);
		}
	});
}
