import type { Context, ServiceSchema } from "moleculer";
import { Gauge } from "prom-client";
import { createAgentActor, actorServiceName, type AskParams } from "../actors/agent-actor";
import type { AgentTask, Caller } from "../actors/agent-api";
import { AgentRuntime } from "../actors/agent-runtime";
import { AGENT_STATES, type Transition } from "../actors/agent-state";
import { createCtxBridge, type ToolLoop } from "../actors/ctx-bridge";
import { runToolLoop } from "../lib/framework/tool-loop";
import { parsePathList, resolveEntryPoint } from "../actors/entry-point";
import type { EnvelopeSigner } from "../actors/envelope";
import { AgentExistsError, AgentNotFoundError, ManifestInvalidError, ManifestSignatureError } from "../actors/errors";
import { compileTaskSchemas, parseManifest } from "../actors/manifest";
import { manifestDigest, verifyManifest } from "../actors/manifest-signature";
import type { AgentManifest } from "../actors/manifest-types";
import { StateStore } from "../actors/state-store";
import { TaskStore, type TaskOutcome, type TaskRecord } from "../actors/task-store";
import { IMAGE_ENTRY_SCRIPT, createWorker, type WorkerSettings } from "../actors/worker-factory";
import { AgentUnavailableError } from "../lib/cluster/errors";
import { isHosting, placesAcrossNodes } from "../lib/cluster/nodes";
import type { Kernel } from "../lib/kernel/kernel";
import type { NodeMetrics } from "../lib/kernel/metrics";
import { CAPABILITIES, isCapability, type Capability } from "../lib/security/capabilities";
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
/** What GET /agents may sort by (`-` first: descending), and the column each is. */
const AGENT_SORT_COLUMNS = { created: "created_at", id: "id", name: "manifest->>'name'", state: "state" } as const;
const AGENT_SORTS = Object.keys(AGENT_SORT_COLUMNS).flatMap(k => [k, `-${k}`]);

interface Meta extends SecuredMeta {
	$statusCode?: number;
}

interface AgentRow {
	id: string;
	manifest: AgentManifest;
	raw_manifest: Record<string, unknown>;
	desired_state: "running" | "stopped";
	state: string;
	node_id: string | null;
	pid: number | null;
	restarts: number;
	last_error: string | null;
	owner: string | null;
	created_at: Date;
	updated_at: Date;
}

/** What the agents service needs of the security layer: grants, and the requests for those its caller may not give. */
export interface AgentGrants {
	grants: GrantStore;
	requests: GrantRequests;
}

interface Local {
	runtime: AgentRuntime;
}

/**
 * The supervisor and registry of agents: spawns each as an actor service `agent.<id>`,
 * records desired and actual state, persists every transition, and on boot brings back
 * the agents that should be running.
 */
export default function createAgentsService(kernel: Kernel, signer: EnvelopeSigner, { grants, requests }: AgentGrants, metrics?: NodeMetrics): ServiceSchema {
	const { config, db } = kernel;
	const tasks = new TaskStore(db);
	const state = new StateStore(db);
	const local = new Map<string, Local>();
	const codePaths = parsePathList(config.AGENT_CODE_PATHS);
	const inprocessPaths = parsePathList(config.AGENT_INPROCESS_PATHS);
	const workerSettings: WorkerSettings = {
		heartbeatMs: config.AGENT_HEARTBEAT_INTERVAL_MS,
		startTimeoutMs: config.AGENT_START_TIMEOUT_MS,
		docker: {
			image: config.AGENT_WORKER_IMAGE,
			workerEntry: IMAGE_ENTRY_SCRIPT,
			apparmorProfile: config.AGENT_WORKER_APPARMOR_PROFILE,
			requireApparmor: config.AGENT_WORKER_REQUIRE_APPARMOR
		}
	};
	// With a shared database in a cluster, the leader places agents (lib/cluster); alone, they run here.
	const across = placesAcrossNodes(config);
	let reconciler: NodeJS.Timeout | undefined;
	// Transitions are written in the order they happen, one after another.
	let persisting: Promise<void> = Promise.resolve();

	return {
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
					checkSignature(raw);
					const manifest = parseManifest(raw);
					const unknown = manifest.permissions.filter(p => !isCapability(p));
					if (unknown.length) {
						const message = `manifest.permissions has ${unknown.join(", ")}, which ${unknown.length > 1 ? "are not capabilities" : "is not a capability"} (known: ${Object.keys(CAPABILITIES).join(", ")})`;
						throw new ManifestInvalidError(message, [{ field: "permissions", message }]);
					}
					resolveEntryPoint(manifest, codePaths, inprocessPaths);
					const owner = manifest.owner ?? ctx.meta.user?.id ?? ctx.meta.caller?.id ?? null;
					const inserted = await db.query(
						`INSERT INTO agents (id, manifest, raw_manifest, manifest_digest, owner, desired_state, state, node_id)
						 VALUES ($1, $2, $3, $4, $5, 'running', 'pending', $6) ON CONFLICT (id) DO NOTHING`,
						[manifest.id, JSON.stringify(manifest), JSON.stringify(raw), manifestDigest(raw), owner, across ? null : this.broker.nodeID]
					);
					if (inserted.rowCount === 0) throw new AgentExistsError(manifest.id);
					// An admin's spawn grants what the manifest asks for; anyone else's, the safe set,
					// and the rest waits for an admin (admins narrow or revoke later either way).
					const opened = await requests.spawned(manifest.id, manifest.permissions as Capability[], {
						caller: callerOf(ctx),
						mayGrant: mayGrant(ctx.meta),
						requestId: ctx.requestID ?? null
					});
					for (const approval of opened) ctx.broadcast("approvals.requested", approval).catch(() => undefined);
					await this.place(manifest);
					ctx.meta.$statusCode = 201;
					return this.view(manifest.id);
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
				async handler(ctx: Context<{ limit?: number; offset?: number; state?: string; q?: string; sort?: string }>): Promise<{ items: AgentView[]; total: number; limit: number; offset: number }> {
					const { limit = 100, offset = 0, state, q, sort = "created" } = ctx.params;
					const where: string[] = [];
					const values: string[] = [];
					if (state) where.push(`state = $${values.push(state)}`);
					// A substring of the id or the name, any case; % and _ in it are meant literally.
					if (q) where.push(`(id ILIKE $${values.push(`%${q.replace(/[\\%_]/g, c => `\\${c}`)}%`)} OR manifest->>'name' ILIKE $${values.length})`);
					const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
					const order = `${AGENT_SORT_COLUMNS[sort.replace(/^-/, "") as keyof typeof AGENT_SORT_COLUMNS]} ${sort.startsWith("-") ? "DESC" : "ASC"}, id`;
					const { rows } = await db.query<AgentRow>(`SELECT * FROM agents ${clause} ORDER BY ${order} LIMIT $${values.length + 1} OFFSET $${values.length + 2}`, [...values, limit, offset]);
					const total = await db.query<{ n: string }>(`SELECT count(*) AS n FROM agents ${clause}`, values);
					const pending = await requests.pending(rows.map(row => row.id));
					return { items: rows.map(row => this.toView(row, pending.get(row.id))), total: Number(total.rows[0].n), limit, offset };
				}
			},

			get: {
				rest: "GET /agents/:id",
				description: "One agent by id: its manifest, state, node, trust level and last error.",
				scope: "agents:read",
				params: { id: "string" },
				handler(ctx: Context<{ id: string }>): Promise<AgentView> {
					return this.view(ctx.params.id);
				}
			},

			remove: {
				...ONCE,
				rest: "DELETE /agents/:id",
				description: "Stops an agent and deletes it with its grants, grant requests and saved state.",
				scope: "agents:write",
				audit: true,
				params: { id: "string" },
				async handler(ctx: Context<{ id: string }>): Promise<AgentView> {
					const before = await this.view(ctx.params.id);
					await this.shutdownAnywhere(ctx, await this.row(ctx.params.id), "deleted");
					await db.query("DELETE FROM agents WHERE id = $1", [ctx.params.id]);
					await grants.revoke(ctx.params.id, "deleted", {});
					await requests.withdraw(ctx.params.id);
					await state.clear(ctx.params.id);
					return { ...before, desiredState: "stopped", state: "stopped", pid: null, mailbox: null, uptimeSeconds: null };
				}
			},

			stop: {
				...ONCE,
				rest: "POST /agents/:id/stop",
				description: "Stops a running agent; it stays registered and can be started again.",
				scope: "agents:write",
				audit: true,
				params: { id: "string" },
				async handler(ctx: Context<{ id: string }>): Promise<AgentView> {
					const row = await this.row(ctx.params.id);
					await db.query("UPDATE agents SET desired_state = 'stopped', updated_at = now() WHERE id = $1", [ctx.params.id]);
					await this.shutdownAnywhere(ctx, row, "stopped by request");
					return this.view(ctx.params.id);
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
					return this.bringUp(ctx, ctx.params.id, "started by request");
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
					return this.bringUp(ctx, ctx.params.id, "restarted by request");
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
					timeoutMs: TIMEOUT_MS_PARAM
				},
				async handler(ctx: Context<{ id: string; task: AgentTask; async?: boolean; timeoutMs?: number }, Meta>): Promise<unknown> {
					const { id, task, timeoutMs } = ctx.params;
					const receivedAt = new Date();
					const row = await this.row(id);
					const caller: Caller = ctx.meta.caller ?? { kind: "user", id: ctx.meta.user?.id ?? "system" };
					const taskId = TaskStore.newId();
					const { async: handedOver } = ctx.params;
					// A task handed over is written before it is acknowledged; one the caller waits for
					// is written once, with its outcome — the caller holds the only copy meanwhile.
					if (handedOver) await tasks.create(taskId, id, task, caller);
					const settle = (outcome: TaskOutcome) => (handedOver ? tasks.finish(taskId, outcome) : tasks.record(taskId, id, task, caller, outcome, receivedAt));
					const run = this.deliver(row, () => ctx.call<unknown, AskParams>(`${actorServiceName(id)}.ask`, { task, taskId, timeoutMs }, { meta: { caller } }))
						.then(
							async (result: unknown) => {
								await settle({ ok: true, result });
								return result;
							},
							async (err: Error & { type?: string; code?: number; data?: unknown }) => {
								await settle({ ok: false, error: { type: err.type ?? err.name, message: err.message, data: err.data } });
								throw err;
							}
						);
					if (handedOver) {
						run.catch(() => undefined); // recorded in the task row
						ctx.meta.$statusCode = 202;
						return { taskId, status: "queued" };
					}
					return { taskId, status: "succeeded", result: await run };
				}
			},

			getTask: {
				rest: "GET /tasks/:taskId",
				description: "A task by id: its state, and its result or error once it has ended.",
				scope: "tasks",
				params: { taskId: { type: "uuid" } },
				handler(ctx: Context<{ taskId: string }>): Promise<TaskRecord> {
					return tasks.get(ctx.params.taskId);
				}
			},

			logs: {
				rest: "GET /agents/:id/logs",
				description: "The last lines an agent's worker wrote, read from the node that runs it.",
				scope: "agents:read",
				params: { id: "string", lines: { type: "number", integer: true, min: 1, max: 200, optional: true, convert: true } },
				async handler(ctx: Context<{ id: string; lines?: number }>): Promise<{ id: string; node: string; lines: string[] }> {
					const row = await this.row(ctx.params.id);
					const host = this.remoteHost(row);
					if (host) return ctx.call("agents.logs", ctx.params, { nodeID: host });
					const entry = local.get(ctx.params.id);
					// Output lives with the worker, on the node that runs it.
					return { id: ctx.params.id, node: this.broker.nodeID, lines: entry ? entry.runtime.output(ctx.params.lines ?? 100) : [] };
				}
			},

			/** The actor host: starts (or restarts) the agent on this node, as the leader's placement says. */
			host: {
				...ONCE,
				params: { id: "string", reason: { type: "string", optional: true }, restart: { type: "boolean", optional: true } },
				async handler(ctx: Context<{ id: string; reason?: string; restart?: boolean }>): Promise<AgentView> {
					const { id, reason = "placed", restart } = ctx.params;
					const row = await this.row(id);
					if (row.desired_state !== "running") return this.view(id);
					const running = local.get(id);
					if (running && restart) await running.runtime.restart(reason);
					else if (!running) {
						await db.query("UPDATE agents SET node_id = $2, updated_at = now() WHERE id = $1", [id, this.broker.nodeID]);
						await this.launch(row.manifest, reason);
					}
					return this.view(id);
				}
			},

			/** The actor host: stops the agent here without changing its desired state (it moves elsewhere). */
			release: {
				...ONCE,
				params: { id: "string", reason: { type: "string", optional: true } },
				async handler(ctx: Context<{ id: string; reason?: string }>): Promise<{ id: string; node: string }> {
					await this.shutdown(ctx.params.id, ctx.params.reason ?? "released");
					return { id: ctx.params.id, node: this.broker.nodeID };
				}
			},

			transitions: {
				rest: "GET /agents/:id/transitions",
				description: "An agent's history of state changes (started, stopped, failed, moved), newest first.",
				scope: "agents:read",
				params: { id: "string", limit: { type: "number", integer: true, min: 1, max: 1000, optional: true, convert: true } },
				async handler(ctx: Context<{ id: string; limit?: number }>) {
					await this.row(ctx.params.id);
					// The history includes every transition this node has seen, not only those already written.
					await persisting;
					const { rows } = await db.query(
						"SELECT from_state AS from, to_state AS to, reason, node_id AS node, at FROM agent_transitions WHERE agent_id = $1 ORDER BY id DESC LIMIT $2",
						[ctx.params.id, ctx.params.limit ?? 100]
					);
					return rows;
				}
			}
		},

		methods: {
			async launch(manifest: AgentManifest, reason?: string): Promise<void> {
				// Spawn and the reconciler may race to launch one agent; the first wins.
				if (local.has(manifest.id)) return;
				const entryPoint = resolveEntryPoint(manifest, codePaths, inprocessPaths);
				const broker = this.broker;
				const runtime = new AgentRuntime(manifest, {
					nodeID: broker.nodeID,
					logger: broker.getLogger("agent", { agent: manifest.id }),
					maxTaskTimeoutMs: config.MAX_AGENT_TASK_TIMEOUT_MS,
					heartbeatIntervalMs: config.AGENT_HEARTBEAT_INTERVAL_MS,
					heartbeatTimeoutMs: config.AGENT_HEARTBEAT_TIMEOUT_MS,
					stopGraceMs: config.AGENT_STOP_GRACE_MS,
					createWorker: hooks =>
						createWorker(manifest, entryPoint, workerSettings, hooks),
					onCall: createCtxBridge({ broker, manifest, signer, state, toolLoop: runToolLoop as unknown as ToolLoop }),
					onTransition: t => this.record(t, runtime)
				});
				local.set(manifest.id, { runtime });
				await broker.createService(
					createAgentActor(runtime, { signer, tasks, validators: compileTaskSchemas(manifest), maxTaskTimeoutMs: config.MAX_AGENT_TASK_TIMEOUT_MS })
				);
				await runtime.start(reason);
			},

			/** Starts a new agent: here on a lone node; in a cluster, on the node the leader places it on. */
			async place(manifest: AgentManifest): Promise<void> {
				if (!across) return this.launch(manifest);
				try {
					// Placements wait their turn on the leader, then for the agent to start.
					await this.broker.call("cluster.place", { ids: [manifest.id] }, { timeout: config.AGENT_START_TIMEOUT_MS + 10_000 });
				} catch (err) {
					// The agent stays pending; the leader's next sweep places it.
					const message = `not placed yet: ${(err as Error).message}`;
					this.logger.warn(`Agent ${manifest.id} ${message}`);
					await db.query("UPDATE agents SET last_error = $2 WHERE id = $1", [manifest.id, message]);
				}
			},

			/** The other live node that hosts the agent, if it is not here. */
			remoteHost(row: AgentRow): string | undefined {
				return across && row.node_id && row.node_id !== this.broker.nodeID && isHosting(this.broker, row.node_id) ? row.node_id : undefined;
			},

			async shutdownAnywhere(ctx: Context, row: AgentRow, reason: string): Promise<void> {
				const host = this.remoteHost(row);
				if (host) await ctx.call("agents.release", { id: row.id, reason }, { nodeID: host });
				else await this.shutdown(row.id, reason);
			},

			/**
			 * Hands a task to the agent's actor wherever it runs. In a cluster an agent that is
			 * between nodes is waited for (up to CLUSTER_TASK_WAIT_MS) when the task was not
			 * delivered; a task whose node vanished under it is answered with a retryable
			 * AGENT_UNAVAILABLE rather than run twice.
			 */
			async deliver<T>(row: AgentRow, ask: () => Promise<T>): Promise<T> {
				if (!across) return ask();
				const endpoints = () => this.broker.registry.getActionEndpoints(`${actorServiceName(row.id)}.ask`) as { hasAvailable(): boolean } | undefined;
				const deadline = Date.now() + (row.desired_state === "running" ? config.CLUSTER_TASK_WAIT_MS : 0);
				const pause = () => new Promise(resolve => setTimeout(resolve, 50));
				for (;;) {
					while (!endpoints()?.hasAvailable()) {
						if (Date.now() >= deadline) throw new AgentUnavailableError(row.id, `it is not running on any node (${row.state})`);
						await pause();
					}
					try {
						return await ask();
					} catch (err) {
						const name = (err as Error).name;
						// Not delivered (the registry was behind a move): safe to deliver once the agent is found.
						if (name === "ServiceNotFoundError" || name === "ServiceNotAvailableError") {
							if (Date.now() >= deadline) throw new AgentUnavailableError(row.id, "its node is gone and it has not started on another yet");
							await pause();
							continue;
						}
						if (name === "RequestRejectedError") throw new AgentUnavailableError(row.id, "its node went away while the task was running, so the task may not have finished; the agent is moving to another node");
						throw err;
					}
				}
			},

			/** Desired state running, and a fresh start: a restart (clean crash count) here, or a launch. */
			async bringUp(ctx: Context, id: string, reason: string): Promise<AgentView> {
				const row = await this.row(id);
				await db.query("UPDATE agents SET desired_state = 'running', updated_at = now() WHERE id = $1", [row.id]);
				const running = local.get(row.id);
				const host = this.remoteHost(row);
				if (running) await running.runtime.restart(reason);
				else if (host) await ctx.call("agents.host", { id, reason, restart: true }, { nodeID: host });
				else await this.place(row.manifest);
				return this.view(row.id);
			},

			async shutdown(id: string, reason: string): Promise<void> {
				const entry = local.get(id);
				if (!entry) return;
				await entry.runtime.stop(reason);
				local.delete(id);
				const service = this.broker.getLocalService(actorServiceName(id));
				if (service) await this.broker.destroyService(service);
				await persisting;
			},

			record(t: Transition, runtime: AgentRuntime): void {
				const status = runtime.status();
				this.broker.broadcast("agents.state", t).catch((err: Error) => this.logger.warn(`Could not broadcast a state change: ${err.message}`));
				persisting = persisting
					.then(async () => {
						await db.query("INSERT INTO agent_transitions (agent_id, from_state, to_state, reason, node_id, at) VALUES ($1, $2, $3, $4, $5, $6)", [
							t.agentId,
							t.from,
							t.to,
							t.reason,
							t.node,
							t.at
						]);
						// In a cluster, a node the agent was moved away from no longer writes its state.
						await db.query(`UPDATE agents SET state = $2, node_id = $3, pid = $4, restarts = $5, last_error = $6, updated_at = now() WHERE id = $1${across ? " AND node_id = $3" : ""}`, [
							t.agentId,
							t.to,
							t.node,
							status.pid,
							status.restarts,
							status.lastError
						]);
					})
					.catch(err => this.logger.error(`Could not record ${t.agentId} ${t.from} → ${t.to}: ${(err as Error).message}`));
			},

			async row(id: string): Promise<AgentRow> {
				const { rows } = await db.query<AgentRow>("SELECT * FROM agents WHERE id = $1", [id]);
				if (!rows[0]) throw new AgentNotFoundError(id);
				return rows[0];
			},

			async view(id: string): Promise<AgentView> {
				await persisting;
				const row = await this.row(id);
				return this.toView(row, (await requests.pending([id])).get(id));
			},

			toView(row: AgentRow, pending: { capability: Capability }[] = []): AgentView {
				const live = local.get(row.id)?.runtime.status();
				return {
					id: row.id,
					name: row.manifest.name,
					version: row.manifest.version,
					runtime: row.manifest.runtime,
					trustLevel: row.manifest.trustLevel,
					desiredState: row.desired_state,
					state: live?.state ?? row.state,
					node: live?.node ?? row.node_id,
					pid: live ? live.pid : null,
					restarts: live?.restarts ?? row.restarts,
					uptimeSeconds: live?.uptimeSeconds ?? null,
					mailbox: live?.mailbox ?? null,
					lastError: live?.lastError ?? row.last_error,
					owner: row.owner,
					createdAt: new Date(row.created_at).toISOString(),
					pendingCapabilities: pending.map(p => p.capability)
				};
			},

			/** Stops agents running here that the leader placed elsewhere (this node was taken for lost a while). */
			async releaseMoved(): Promise<void> {
				if (local.size === 0) return;
				const { rows } = await db.query<{ id: string; node_id: string | null }>("SELECT id, node_id FROM agents WHERE id = ANY($1) AND node_id IS DISTINCT FROM $2", [
					[...local.keys()],
					this.broker.nodeID
				]);
				for (const row of rows) if (row.node_id) await this.shutdown(row.id, `moved to ${row.node_id}`);
			},

			/** Starts every agent that should be running here but is not (on a single node: all of them). */
			async restore(): Promise<void> {
				const clustered = Boolean(config.TRANSPORTER);
				const { rows } = await db.query<AgentRow>(
					`SELECT * FROM agents WHERE desired_state = 'running' ${clustered ? "AND node_id = $1" : ""} ORDER BY created_at`,
					clustered ? [this.broker.nodeID] : []
				);
				if (across) await this.releaseMoved();
				const missing = rows.filter(row => !local.has(row.id));
				for (const row of missing) {
					await this.launch(row.manifest).catch((err: Error) => this.logger.error(`Could not start agent ${row.id}: ${err.message}`));
					// Embedded database queries settle as microtasks: without a turn of the event loop,
					// thousands of launches in a row would hold off every timer (audit writes, heartbeats, the leader's lease).
					await new Promise(resolve => setImmediate(resolve));
				}
				if (missing.length) this.logger.info(`Started ${missing.length} agent(s) whose desired state is running`);
			}
		},

		started() {
			if (metrics) registerAgentMetrics(metrics, local);
			kernel.start().then(
				async () => {
					await this.restore();
					if (config.AGENT_RECONCILE_INTERVAL_MS > 0) {
						reconciler = setInterval(() => {
							this.restore().catch((err: Error) => this.logger.warn(`Reconciling agents failed: ${err.message}`));
						}, config.AGENT_RECONCILE_INTERVAL_MS);
						reconciler.unref();
					}
				},
				() => undefined // the kernel reports its own failure
			);
		},

		async stopped() {
			clearInterval(reconciler);
			// The node is going down, not the agents' desired state: they come back on the next boot.
			await Promise.all([...local.values()].map(({ runtime }) => runtime.stop("node stopping").catch(() => undefined)));
			local.clear();
			await persisting;
		}
	};

	function checkSignature(raw: Record<string, unknown>): void {
		if (!config.MANIFEST_SIGNING_SECRET) return;
		if (typeof raw.signature !== "string") throw new ManifestSignatureError("missing");
		if (!verifyManifest(raw, config.MANIFEST_SIGNING_SECRET)) throw new ManifestSignatureError("mismatch");
	}
}

function registerAgentMetrics(metrics: NodeMetrics, local: Map<string, Local>): void {
	const register = [metrics.registry];
	new Gauge({
		name: "agentos_agents",
		help: "Agents hosted on this node, by state",
		labelNames: ["state"],
		registers: register,
		collect() {
			this.reset();
			for (const { runtime } of local.values()) this.inc({ state: runtime.state });
		}
	});
	new Gauge({
		name: "agentos_agent_restarts",
		help: "Restarts of each agent on this node since it was spawned here",
		labelNames: ["agent"],
		registers: register,
		collect() {
			this.reset();
			for (const { runtime } of local.values()) this.set({ agent: runtime.id }, runtime.status().restarts);
		}
	});
	new Gauge({
		name: "agentos_agent_mailbox_depth",
		help: "Tasks waiting in each agent's mailbox",
		labelNames: ["agent"],
		registers: register,
		collect() {
			this.reset();
			for (const { runtime } of local.values()) this.set({ agent: runtime.id }, runtime.status().mailbox.queued);
		}
	});
}
