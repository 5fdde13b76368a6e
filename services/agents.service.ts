import type { Context, ServiceSchema } from "moleculer";
import { actorServiceName, type AskParams } from "../actors/agent-actor";
import type { AgentTask, Caller } from "../actors/agent-api";
import { registerAgentMetrics } from "../actors/agent-metrics";
import { AGENT_STATES } from "../actors/agent-state";
import { AGENT_SORTS, AgentStore, type TransitionEntry } from "../actors/agent-store";
import { createCtxBridge } from "../actors/ctx-bridge";
import type { EnvelopeSigner } from "../actors/envelope";
import { admitManifest } from "../actors/manifest-admission";
import { StateStore } from "../actors/state-store";
import { Supervisor, type NodeCall, type TaskAnswer } from "../actors/supervisor";
import { cancelUnlessEnded } from "../actors/task-cancel";
import { TaskStore } from "../actors/task-store";
import { RunStore } from "../actors/run-store";
import { RunJournal } from "../actors/run-journal";
import { createWorker, workerSettings } from "../actors/worker-factory";
import { isolationNotice } from "../actors/workers/network-isolation";
import { placesAcrossNodes } from "../lib/cluster/nodes";
import { defineService } from "../lib/kernel/define-service";
import type { Kernel } from "../lib/kernel/kernel";
import type { NodeMetrics } from "../lib/kernel/metrics";
import type { Capability } from "../lib/security/capabilities";
import type { GrantRequests } from "../lib/security/grant-requests";
import type { GrantStore } from "../lib/security/grant-store";
import { callerOf, mayGrant, type SecuredMeta } from "../lib/security/security-guard";
import type { AgentView } from "../lib/cluster/agent-view";
import { requiresDatabase } from "../mixins/requires-database.mixin";
import { OFFSET_PARAM, TIMEOUT_MS_PARAM } from "../lib/schema/number-bounds";

/**
 * Actions that change something run once: the broker's retry policy would repeat them
 * on a retryable error (AGENT_BUSY, TASK_TIMEOUT…), running a task twice. The caller
 * sees the error and decides.
 */
const ONCE = { retryPolicy: { enabled: false } };

interface Meta extends SecuredMeta {
	$statusCode?: number;
}

/** What the agents service needs of the security layer: grants, and the requests for those its caller may not give. */
export interface AgentGrants {
	grants: GrantStore;
	requests: GrantRequests;
}


/** Calls to another node's agents service go out as children of the request. */
function onNodes(ctx: Context): NodeCall {
	return (action, params, nodeID) => ctx.call(action, params, { nodeID });
}

/**
 * The agents service: the REST and broker face of the supervisor (actors/supervisor.ts)
 * on this node — spawn, stop, start, tasks, logs, history — and the actor host the
 * cluster's leader places agents through.
 */
export default function createAgentsService(kernel: Kernel, signer: EnvelopeSigner, { grants, requests }: AgentGrants, metrics?: NodeMetrics): ServiceSchema {
	const { config, db } = kernel;
	const state = new StateStore(db);
	const settings = workerSettings(config);
	// Set when the service is created, before any action, event or lifecycle handler runs.
	let supervisor: Supervisor;
	let reconciler: NodeJS.Timeout | undefined;
	let recovery: NodeJS.Timeout | undefined;
	const runs = new RunStore(db);

	return defineService({
		name: "agents",
		mixins: [requiresDatabase(kernel)],
		settings: { rest: "/" },

		actions: {
			spawn: {
				...ONCE,
				rest: "POST /agents",
				description: "Launches an agent from its manifest: checks it, grants what it asks for, places it on a node and starts it.",
				scope: "agents:write",
				audit: true,
				params: { manifest: { type: "object" } },
				async handler(ctx: Context<{ manifest: Record<string, unknown> }, Meta>): Promise<AgentView> {
					const raw = ctx.params.manifest;
					const manifest = admitManifest(raw, config.MANIFEST_SIGNING_SECRET);
					await supervisor.register(manifest, raw, manifest.owner ?? ctx.meta.user?.id ?? ctx.meta.caller?.id ?? null);
					// An admin's spawn grants what the manifest asks for; anyone else's, the safe set,
					// and the rest waits for an admin (admins narrow or revoke later either way).
					const opened = await requests.spawned(manifest.id, manifest.permissions as Capability[], {
						caller: callerOf(ctx),
						mayGrant: mayGrant(ctx.meta),
						requestId: ctx.requestID ?? null
					});
					for (const approval of opened) ctx.broadcast("approvals.requested", approval).catch(() => undefined);
					await supervisor.place(manifest);
					ctx.meta.$statusCode = 201;
					return supervisor.view(manifest.id);
				}
			},

			list: {
				rest: "GET /agents",
				description: "Lists the cluster's agents a page at a time; q finds a part of the id or name, sort is created, id, name or state (-name: descending).",
				scope: "agents:read",
				params: {
					limit: { type: "number", integer: true, min: 1, max: 1000, optional: true, convert: true },
					offset: OFFSET_PARAM,
					state: { type: "enum", values: [...AGENT_STATES], optional: true },
					q: { type: "string", max: 200, optional: true },
					sort: { type: "enum", values: AGENT_SORTS, optional: true }
				},
				handler(ctx: Context<{ limit?: number; offset?: number; state?: string; q?: string; sort?: string }>): Promise<{ items: AgentView[]; total: number; limit: number; offset: number }> {
					const { limit = 100, offset = 0, state, q, sort } = ctx.params;
					return supervisor.list({ limit, offset, state, q, sort });
				}
			},

			get: {
				rest: "GET /agents/:id",
				description: "One agent by id: its manifest, state, node, trust level and last error.",
				scope: "agents:read",
				params: { id: "string" },
				handler(ctx: Context<{ id: string }>): Promise<AgentView> {
					return supervisor.view(ctx.params.id);
				}
			},

			remove: {
				...ONCE,
				rest: "DELETE /agents/:id",
				description: "Stops an agent and deletes it with its grants, grant requests and saved state; its unfinished tasks are cancelled.",
				scope: "agents:write",
				audit: true,
				params: { id: "string" },
				async handler(ctx: Context<{ id: string }>): Promise<AgentView> {
					const removed = await supervisor.remove(ctx.params.id, onNodes(ctx));
					// Its unfinished tasks end with it (cancelled the one way tasks are: a suspended run's approval is closed too).
					// As the node: a deleted agent's tasks all end, whoever sent them (a token sees only its own).
					const asNode = { meta: { caller: { kind: "system", id: ctx.nodeID ?? "local" } } };
					for (const taskId of await runs.openOf(ctx.params.id)) await cancelUnlessEnded(ctx, taskId, asNode);
					await grants.revoke(ctx.params.id, "deleted", {});
					await requests.withdraw(ctx.params.id);
					await state.clear(ctx.params.id);
					return removed;
				}
			},

			stop: {
				...ONCE,
				rest: "POST /agents/:id/stop",
				description: "Stops a running agent; it stays registered and can be started again.",
				scope: "agents:write",
				audit: true,
				params: { id: "string" },
				handler(ctx: Context<{ id: string }>): Promise<AgentView> {
					return supervisor.stop(ctx.params.id, onNodes(ctx));
				}
			},

			start: {
				...ONCE,
				rest: "POST /agents/:id/start",
				description: "Starts a stopped agent again on a node the placement chooses.",
				scope: "agents:write",
				audit: true,
				params: { id: "string" },
				handler(ctx: Context<{ id: string }>): Promise<AgentView> {
					return supervisor.bringUp(ctx.params.id, "started by request", onNodes(ctx));
				}
			},

			restart: {
				...ONCE,
				rest: "POST /agents/:id/restart",
				description: "Stops an agent and starts it again, e.g. after its code or settings changed.",
				scope: "agents:write",
				audit: true,
				params: { id: "string" },
				handler(ctx: Context<{ id: string }>): Promise<AgentView> {
					return supervisor.bringUp(ctx.params.id, "restarted by request", onNodes(ctx));
				}
			},

			submitTask: {
				...ONCE,
				rest: "POST /agents/:id/tasks",
				description: "Gives an agent a task and waits for its result; with async: true it answers the task id at once.",
				scope: "tasks",
				audit: true,
				params: {
					id: "string",
					task: { type: "object", props: { type: { type: "string", min: 1, max: 100 } } },
					async: { type: "boolean", optional: true, convert: true },
					timeoutMs: TIMEOUT_MS_PARAM,
					// A protocol that numbers its own tasks (A2A) names the id, and the conversation.
					taskId: { type: "uuid", optional: true },
					contextId: { type: "string", min: 1, max: 200, optional: true },
					// …and keeps its own record of the task (A2A: the message that asked) in the same write.
					protocolState: { type: "object", optional: true }
				},
				async handler(ctx: Context<{ id: string; task: AgentTask; async?: boolean; timeoutMs?: number; taskId?: string; contextId?: string; protocolState?: object }, Meta>): Promise<TaskAnswer> {
					const { id, task, timeoutMs, taskId: named, contextId, protocolState } = ctx.params;
					const caller: Caller = ctx.meta.caller ?? { kind: "user", id: ctx.meta.user?.id ?? "system" };
					const answer = await supervisor.submit(
						id,
						task,
						caller,
						ctx.params.async === true,
						(taskId, durable) => ctx.call<unknown, AskParams>(`${actorServiceName(id)}.ask`, { task, taskId, timeoutMs, durable }, { meta: { caller } }),
						{ taskId: named, contextId, protocolState }
					);
					if (answer.status === "queued") ctx.meta.$statusCode = 202;
					return answer;
				}
			},

			logs: {
				rest: "GET /agents/:id/logs",
				description: "The last lines an agent's worker wrote, read from the node that runs it.",
				scope: "agents:read",
				params: { id: "string", lines: { type: "number", integer: true, min: 1, max: 200, optional: true, convert: true } },
				handler(ctx: Context<{ id: string; lines?: number }>): Promise<{ id: string; node: string; lines: string[] }> {
					return supervisor.logs(ctx.params.id, ctx.params.lines, onNodes(ctx));
				}
			},

			/** The actor host: starts (or restarts) the agent on this node, as the leader's placement says. */
			host: {
				...ONCE,
				params: { id: "string", reason: { type: "string", optional: true }, restart: { type: "boolean", optional: true } },
				handler(ctx: Context<{ id: string; reason?: string; restart?: boolean }>): Promise<AgentView> {
					return supervisor.host(ctx.params.id, ctx.params.reason ?? "placed", ctx.params.restart === true);
				}
			},

			/** The actor host: stops the agent here without changing its desired state (it moves elsewhere). */
			release: {
				...ONCE,
				params: { id: "string", reason: { type: "string", optional: true } },
				async handler(ctx: Context<{ id: string; reason?: string }>): Promise<{ id: string; node: string }> {
					await supervisor.shutdown(ctx.params.id, ctx.params.reason ?? "released");
					return { id: ctx.params.id, node: this.broker.nodeID };
				}
			},

			transitions: {
				rest: "GET /agents/:id/transitions",
				description: "An agent's history of state changes (started, stopped, failed, moved), newest first.",
				scope: "agents:read",
				params: { id: "string", limit: { type: "number", integer: true, min: 1, max: 1000, optional: true, convert: true } },
				handler(ctx: Context<{ id: string; limit?: number }>): Promise<TransitionEntry[]> {
					return supervisor.transitions(ctx.params.id, ctx.params.limit ?? 100);
				}
			}
		},

		events: {
			/** A person decided: the runs suspended on it are due, on whichever node runs their agent. */
			async "approvals.decided"(ctx: Context<{ id: string }>) {
				const agentIds = await runs.wake(ctx.params.id);
				if (agentIds.length) await ctx.broadcast("tasks.wake", { agentIds });
			},
			"tasks.wake"(ctx: Context<{ agentIds: string[] }>) {
				void supervisor.durable.recover(ctx.params.agentIds);
			},
			"tasks.cancelled"(ctx: Context<{ id: string }>) {
				supervisor.durable.cancelLocal(ctx.params.id);
			}
		},

		created() {
			const broker = this.broker;
			supervisor = new Supervisor({
				broker,
				logger: this.logger,
				agents: new AgentStore(db, placesAcrossNodes(config)),
				tasks: new TaskStore(db),
				runs: new RunStore(db),
				journal: new RunJournal(db),
				onTaskChange: change => void broker.broadcast("tasks.changed", change).catch((err: Error) => this.logger.warn(`Could not broadcast a task's change: ${err.message}`)),
				config,
				signer,
				createWorker: (manifest, entryPoint, hooks) => createWorker(manifest, entryPoint, settings, hooks),
				createBridge: manifest => createCtxBridge({ broker, manifest, signer, state }),
				pendingCapabilities: ids => requests.pending(ids)
			});
		},

		started() {
			if (metrics) registerAgentMetrics(metrics, () => supervisor.runtimes());
			// Probed once, at boot: what the node can do is said before the first agent starts.
			settings.network().then(
				network => {
					const notice = isolationNotice(network, config.AGENT_NETWORK_ISOLATION);
					this.logger[notice.level](notice.message);
				},
				(err: Error) => this.logger.error(err.message)
			);
			kernel.start().then(
				async () => {
					// A database lost right after boot leaves the restore to the reconciler's next round.
					await supervisor.restore().catch((err: Error) => this.logger.warn(`Restoring agents failed: ${err.message}`));
					if (config.AGENT_RECONCILE_INTERVAL_MS > 0) {
						reconciler = setInterval(() => {
							supervisor.restore().catch((err: Error) => this.logger.warn(`Reconciling agents failed: ${err.message}`));
						}, config.AGENT_RECONCILE_INTERVAL_MS);
						reconciler.unref();
					}
					recovery = setInterval(() => void supervisor.durable.recover(), config.TASK_RECOVERY_INTERVAL_MS);
					recovery.unref();
				},
				() => undefined // the kernel reports its own failure
			);
		},

		async stopped() {
			clearInterval(reconciler);
			clearInterval(recovery);
			await supervisor.stopAll();
		}
	});
}
