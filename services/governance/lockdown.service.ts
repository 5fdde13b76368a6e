import type { Context, ServiceSchema } from "moleculer";
import type { Transition } from "../../actors/agent-state";
import type { Kernel } from "../../lib/kernel/kernel";
import { LockdownStore, type Lockdown } from "../../lib/governance/lockdown-store";
import { restoreAgents } from "../../lib/governance/restore-agents";
import type { SanctionStore } from "../../lib/governance/sanction-store";
import type { SecuredMeta } from "../../lib/security/security-guard";
import { actorOf } from "../../lib/society/society-context";
import { requiresDatabase } from "../../mixins/requires-database.mixin";
import { defineService } from "../../lib/kernel/define-service";

export interface LockdownParams {
	/** The agents to quarantine; none: every agent. */
	agentIds?: string[];
	reason: string;
}

/** What `governance.lockdown` carries to every node and to subscribed WebSocket clients; `covered`: an agent that started during it was quarantined too. */
export interface LockdownEvent {
	change: "started" | "covered" | "lifted";
	lockdown: Lockdown;
}

type Meta = SecuredMeta & { $statusCode?: number };

interface LockdownMethods {
	coverAgent(ctx: Context, agentId: string): Promise<void>;
	stopAgents(meta: SecuredMeta, ids: string[]): Promise<void>;
}

const MODERATE = { scope: "governance", permission: "social.moderate", audit: true } as const;
/** Agents stopped at once while a lockdown starts: enough to be quick, few enough not to swamp a node. */
const STOP_CONCURRENCY = 4;

/**
 * Incident lockdown: one audited act quarantines every agent (or a selection) — their
 * actors stop and no task reaches them — and one lifts exactly those quarantines,
 * leaving sanctions made otherwise in force. An agent that starts during a lockdown of
 * every agent (spawned after it began) is quarantined by it as it starts. `governance.lockdown` tells every node and
 * the console; `GET /governance/lockdown` answers whether one is in force.
 */
export default function createLockdownService(kernel: Kernel, sanctions: SanctionStore): ServiceSchema {
	const lockdowns = new LockdownStore(() => kernel.db, sanctions);
	return defineService<LockdownMethods>({
		name: "lockdown",
		mixins: [requiresDatabase(kernel)],
		settings: { rest: "/governance/lockdown" },

		actions: {
			/** Readable by anyone who may read agents: the console shows it as a banner on every page. */
			status: {
				rest: "GET /",
				description: "The incident lockdown in force (its reason, who started it, the agents it quarantined), or null.",
				scope: "agents:read",
				async handler(): Promise<{ lockdown: Lockdown | null }> {
					return { lockdown: await lockdowns.active() };
				}
			},

			start: {
				...MODERATE,
				rest: "POST /",
				description: "Starts an incident lockdown: quarantines every agent, or the agentIds named, with a reason; refused while one is in force.",
				params: {
					agentIds: { type: "array", items: { type: "string", min: 1, max: 200 }, min: 1, max: 10000, optional: true },
					reason: { type: "string", trim: true, min: 3, max: 2000 }
				},
				async handler(ctx: Context<LockdownParams, Meta>): Promise<Lockdown> {
					const createdBy = actorOf(ctx).id;
					const lockdown = await kernel.db.transaction(tx => lockdowns.start(tx, { reason: ctx.params.reason, selection: ctx.params.agentIds, createdBy }));
					sanctions.forget();
					// No entity: every node forgets all it cached of sanctions, so the quarantines hold at once everywhere.
					await ctx.broadcast("sanctions.changed", { change: "lockdown" });
					await ctx.broadcast("governance.lockdown", { change: "started", lockdown } satisfies LockdownEvent);
					// The quarantines hold from here (no task reaches the agents); stopping every actor may take longer than a request.
					void this.stopAgents(ctx.meta, lockdown.agents);
					ctx.meta.$statusCode = 201;
					return lockdown;
				}
			},

			lift: {
				...MODERATE,
				rest: "POST /lift",
				description: "Lifts the incident lockdown with a reason: exactly the quarantines it made end, and the agents that were running run again.",
				params: { reason: { type: "string", trim: true, min: 3, max: 2000 } },
				async handler(ctx: Context<{ reason: string }, Meta>): Promise<Lockdown> {
					const lockdown = await kernel.db.transaction(tx => lockdowns.lift(tx, actorOf(ctx).id, ctx.params.reason));
					sanctions.forget();
					await ctx.broadcast("sanctions.changed", { change: "lockdown" });
					await ctx.broadcast("governance.lockdown", { change: "lifted", lockdown } satisfies LockdownEvent);
					// Starting every agent again may take longer than a request: it goes on after the answer.
					const nodeID = this.broker.nodeID;
					const meta = { user: ctx.meta.user };
					void restoreAgents(sanctions, id => this.broker.call("agents.start", { id }, { nodeID, meta }), this.logger).catch((err: Error) =>
						this.logger.warn(`Agents could not be started again after the lockdown: ${err.message}`)
					);
					return lockdown;
				}
			}
		},

		events: {
			/** An agent starting on this node during a lockdown of every agent (one spawned after it began) is quarantined and stopped too. */
			"agents.state"(ctx: Context<Transition>) {
				const { agentId, to, node } = ctx.params;
				if (to !== "starting" || node !== this.broker.nodeID || kernel.databaseStatus().state !== "ready") return;
				this.coverAgent(ctx, agentId).catch((err: Error) => this.logger.warn(`Agent ${agentId} started during a lockdown and could not be quarantined: ${err.message}`));
			}
		},

		methods: {
			async coverAgent(ctx: Context, agentId: string): Promise<void> {
				const lockdown = await kernel.db.transaction(tx => lockdowns.cover(tx, agentId)).catch((err: { type?: string }) => {
					// Another node quarantined it at the same moment.
					if (err.type === "ALREADY_EXISTS") return undefined;
					throw err;
				});
				if (!lockdown) return;
				sanctions.forget(agentId);
				await ctx.broadcast("sanctions.changed", { change: "lockdown" });
				await this.stopAgents(ctx.meta, [agentId]);
				await ctx.broadcast("governance.lockdown", { change: "covered", lockdown } satisfies LockdownEvent);
			},

			/**
			 * Stops the quarantined agents' actors, a few at a time, as the person who asked (for
			 * the audit log); one that cannot be stopped is still refused work by its
			 * sanction. Called through the broker: the stops outlive the request that asked.
			 */
			async stopAgents(meta: SecuredMeta, ids: string[]): Promise<void> {
				const queue = [...ids];
				const worker = async () => {
					for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
						await this.broker.call("agents.stop", { id }, { meta: { user: meta.user } }).catch((err: Error) => this.logger.info(`Agent ${id} was not stopped by the lockdown: ${err.message}`));
					}
				};
				await Promise.all(Array.from({ length: STOP_CONCURRENCY }, worker));
			}
		}
	});
}
