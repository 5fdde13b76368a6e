import type { Logger, ServiceBroker } from "moleculer";
import { isHosting, placesAcrossNodes } from "../lib/cluster/nodes";
import { agentView, type AgentView } from "../lib/cluster/agent-view";
import type { Config } from "../lib/kernel/config";
import type { Capability } from "../lib/security/capabilities";
import { createAgentActor, actorServiceName } from "./agent-actor";
import type { AgentTask, Caller } from "./agent-api";
import type { AgentCallPort } from "./agent-calls";
import { AgentRuntime } from "./agent-runtime";
import type { Transition } from "./agent-state";
import type { AgentQuery, AgentRow, AgentStore, TransitionEntry } from "./agent-store";
import { deliverAcrossNodes } from "./cluster-delivery";
import { parsePathList, resolveEntryPoint } from "./entry-point";
import type { EnvelopeSigner } from "./envelope";
import { AgentExistsError } from "./errors";
import { compileTaskSchemas } from "./manifest";
import { manifestDigest } from "./manifest-signature";
import type { AgentManifest } from "./manifest-types";
import { TaskStore, type TaskEntry, type TaskStatus } from "./task-store";
import { DurableRuns, type TaskChange } from "./durable-runs";
import type { RunStore } from "./run-store";
import type { RunJournal } from "./run-journal";
import type { DurableAsk } from "./agent-actor";
import type { AgentWorker, WorkerHooks } from "./workers/worker";

/** What the supervisor uses of the broker; a `new ServiceBroker()` is one. */
export type SupervisorBroker = Pick<ServiceBroker, "nodeID" | "instanceID" | "registry" | "createService" | "destroyService" | "getLocalService" | "call" | "broadcast" | "getLogger">;

export type SupervisorConfig = Pick<
	Config,
	| "TRANSPORTER"
	| "DATABASE_URL"
	| "AGENT_CODE_PATHS"
	| "AGENT_INPROCESS_PATHS"
	| "MAX_AGENT_TASK_TIMEOUT_MS"
	| "AGENT_HEARTBEAT_INTERVAL_MS"
	| "AGENT_HEARTBEAT_TIMEOUT_MS"
	| "AGENT_STOP_GRACE_MS"
	| "AGENT_START_TIMEOUT_MS"
	| "CLUSTER_TASK_WAIT_MS"
	| "TASK_STEP_ATTEMPTS"
	| "TASK_RETRY_DELAY_MS"
	| "TASK_OUTAGE_RETRY_MS"
>;

export interface SupervisorDeps {
	broker: SupervisorBroker;
	logger: Logger;
	agents: AgentStore;
	tasks: TaskStore;
	runs: RunStore;
	journal: RunJournal;
	config: SupervisorConfig;
	/** Told when a task's state changes (the cluster hears it as `tasks.changed`). */
	onTaskChange(change: TaskChange): void;
	signer: EnvelopeSigner;
	createWorker(manifest: AgentManifest, entryPoint: string, hooks: WorkerHooks): AgentWorker;
	/** The agent's door to the cluster (the ctx bridge, with what the layers above hand in). */
	createBridge(manifest: AgentManifest): AgentCallPort;
	/** The capabilities each agent asked for that wait for an admin (the security layer knows). */
	pendingCapabilities(ids: string[]): Promise<Map<string, { capability: Capability }[]>>;
}

/** A call to the `agents` service of another node, as a child of the request at hand. */
export type NodeCall = (action: "agents.host" | "agents.release" | "agents.logs", params: Record<string, unknown>, nodeID: string) => Promise<unknown>;

export type TaskAnswer = { taskId: string; status: "queued" } | { taskId: string; status: "succeeded"; result: unknown };

/** How the agent's actor is asked to run a task: with no record (not durable), or durable: written there, or taken from the queue. */
export type AskTask = (taskId: string, durable?: DurableAsk) => Promise<unknown>;

/** Gives the task to the agent's actor, wherever it runs; in a cluster waiting up to `waitMs` for an agent between nodes. */
type Deliver = (durable?: DurableAsk, waitMs?: number) => Promise<unknown>;

/**
 * The supervisor of the agents of this node and the registry of all: launches each as
 * an actor service `agent.<id>`, records desired and actual state, persists every
 * transition in order, and brings back the agents that should be running. With a shared
 * database in a cluster the leader places agents (lib/cluster); alone, they run here.
 */
export class Supervisor {
	private readonly local = new Map<string, AgentRuntime>();
	private readonly across: boolean;
	private readonly codePaths: string[];
	private readonly inprocessPaths: string[];
	// Transitions are written in the order they happen, one after another.
	private persisting: Promise<void> = Promise.resolve();
	/** The durable runs of the agents on this node. */
	readonly durable: DurableRuns;

	constructor(private readonly deps: SupervisorDeps) {
		this.across = placesAcrossNodes(deps.config);
		this.codePaths = parsePathList(deps.config.AGENT_CODE_PATHS);
		this.inprocessPaths = parsePathList(deps.config.AGENT_INPROCESS_PATHS);
		const { broker } = deps;
		this.durable = new DurableRuns({
			runs: deps.runs,
			journal: deps.journal,
			tasks: deps.tasks,
			nodeID: broker.nodeID,
			instanceId: broker.instanceID,
			liveInstances: () => liveInstances(broker),
			runtimeOf: id => this.local.get(id),
			localAgents: () => [...this.local.keys()],
			config: deps.config,
			logger: deps.logger,
			changed: change => deps.onTaskChange(change)
		});
	}

	/** The agents running on this node. */
	runtimes(): IterableIterator<AgentRuntime> {
		return this.local.values();
	}

	/** Registers a new agent, desired running; 409 AGENT_EXISTS when its id is taken. */
	async register(manifest: AgentManifest, raw: Record<string, unknown>, owner: string | null): Promise<void> {
		resolveEntryPoint(manifest, this.codePaths, this.inprocessPaths);
		const nodeId = this.across ? null : this.deps.broker.nodeID;
		if (!(await this.deps.agents.insert({ manifest, raw, digest: manifestDigest(raw), owner, nodeId }))) throw new AgentExistsError(manifest.id);
	}

	/** Starts a new agent: here on a lone node; in a cluster, on the node the leader places it on. */
	async place(manifest: AgentManifest): Promise<void> {
		if (!this.across) return this.launch(manifest);
		try {
			// Placements wait their turn on the leader, then for the agent to start.
			await this.deps.broker.call("cluster.place", { ids: [manifest.id] }, { timeout: this.deps.config.AGENT_START_TIMEOUT_MS + 10_000 });
		} catch (err) {
			// The agent stays pending; the leader's next sweep places it.
			const message = `not placed yet: ${(err as Error).message}`;
			this.deps.logger.warn(`Agent ${manifest.id} ${message}`);
			await this.deps.agents.setLastError(manifest.id, message);
		}
	}

	async launch(manifest: AgentManifest, reason?: string): Promise<void> {
		// Spawn and the reconciler may race to launch one agent; the first wins.
		if (this.local.has(manifest.id)) return;
		const entryPoint = resolveEntryPoint(manifest, this.codePaths, this.inprocessPaths);
		const { broker, config, signer, tasks } = this.deps;
		const runtime: AgentRuntime = new AgentRuntime(manifest, {
			nodeID: broker.nodeID,
			logger: broker.getLogger("agent", { agent: manifest.id }),
			maxTaskTimeoutMs: config.MAX_AGENT_TASK_TIMEOUT_MS,
			heartbeatIntervalMs: config.AGENT_HEARTBEAT_INTERVAL_MS,
			heartbeatTimeoutMs: config.AGENT_HEARTBEAT_TIMEOUT_MS,
			stopGraceMs: config.AGENT_STOP_GRACE_MS,
			createWorker: hooks => this.deps.createWorker(manifest, entryPoint, hooks),
			onCall: this.deps.createBridge(manifest),
			onTransition: t => this.record(t, runtime)
		});
		this.local.set(manifest.id, runtime);
		await broker.createService(createAgentActor(runtime, { signer, tasks, runs: this.durable, validators: compileTaskSchemas(manifest), maxTaskTimeoutMs: config.MAX_AGENT_TASK_TIMEOUT_MS }));
		await runtime.start(reason);
		// Its runs that a crash, a restart or a move left unfinished go on here.
		if (runtime.state === "running" && manifest.durable !== false) void this.durable.recover([manifest.id]);
	}

	/**
	 * Gives the agent a task through `ask` (a call to its actor) and records it. On a lone
	 * node an agent running here is known without reading its row; otherwise the row says
	 * whether it exists (404 AGENT_NOT_FOUND) and, in a cluster, where it runs.
	 */
	async submit(id: string, task: AgentTask, caller: Caller, handedOver: boolean, ask: AskTask, named: { taskId?: string; contextId?: string; protocolState?: unknown } = {}): Promise<TaskAnswer> {
		const local = this.local.get(id);
		const row = this.across || !local ? await this.deps.agents.get(id) : undefined;
		const taskId = named.taskId ?? TaskStore.newId();
		const entry = { id: taskId, agentId: id, task, caller, contextId: named.contextId, protocolState: named.protocolState };
		const deliver: Deliver = (durable, waitMs = this.deps.config.CLUSTER_TASK_WAIT_MS) =>
			row && this.across ? deliverAcrossNodes(this.deps.broker.registry, row, waitMs, () => ask(taskId, durable)) : ask(taskId, durable);
		const manifest = local?.manifest ?? row?.manifest;
		if (manifest && manifest.durable !== false) return this.submitDurable(entry, handedOver, deliver, Math.min(manifest.limits.timeoutMs, this.deps.config.MAX_AGENT_TASK_TIMEOUT_MS));
		const run = () => deliver();
		if (!handedOver) return { taskId, status: "succeeded", result: await this.deps.tasks.runRecorded(entry, run, { handedOver: false }) };
		await this.deps.tasks.runRecorded(entry, run, {
			handedOver: true,
			onUnrecorded: err => this.deps.logger.error(`Could not record the outcome of task ${taskId}: ${err.message}`)
		});
		return { taskId, status: "queued" };
	}

	/**
	 * A durable task. Awaited: the agent's node writes it as running and runs it; a refusal
	 * before that is recorded here, and a node lost under a written run is waited out (the
	 * agent's next node resumes it). Handed over: written as running by the agent's node
	 * (this one, or in a cluster the one it asks); when that node cannot take it now, written
	 * queued here and given to the agent's node, which takes it — or recovery does later.
	 */
	private async submitDurable(entry: TaskEntry, handedOver: boolean, deliver: Deliver, timeLimitMs: number): Promise<TaskAnswer> {
		const { tasks, runs, logger } = this.deps;
		const taskId = entry.id;
		if (!handedOver) {
			try {
				return { taskId, status: "succeeded", result: await deliver({ mode: "start", awaited: true, contextId: entry.contextId, protocolState: entry.protocolState }) };
			} catch (err) {
				const written = await tasks.find(taskId);
				if (!written) await tasks.recordRefusal(entry, err as Error);
				else if (isOpen(written.status) && (err as { retryable?: boolean }).retryable) return { taskId, status: "succeeded", result: await this.durable.waitFor(taskId, entry.agentId, timeLimitMs) };
				throw err;
			}
		}
		const local = this.across ? undefined : this.local.get(entry.agentId);
		// Running here: written as running here in one write, and run.
		if (local) {
			await this.durable.handOver(local, entry);
			return { taskId, status: "queued" };
		}
		// In a cluster the agent's node writes it as running and runs it: two writes, as an awaited task has, not three
		// (queued here, taken there, ended). Queued here only when that node cannot take it now.
		if (this.across && (await this.handOverToNode(entry, deliver))) return { taskId, status: "queued" };
		await runs.insertQueued(entry);
		deliver({ mode: "take", awaited: false }).catch(async (err: Error) => {
			// Refused for good (an invalid task): it fails; otherwise it waits queued for the agent's node to take it.
			if (waitsForAgent(err)) return logger.info(`Task ${taskId} waits for agent ${entry.agentId}: ${err.message}`);
			await tasks.failQueued(taskId, err).catch((e: Error) => logger.error(`Could not record the refusal of task ${taskId}: ${e.message}`));
		});
		return { taskId, status: "queued" };
	}

	/**
	 * Hands a new durable task to its agent's node, which answers once it has written the run
	 * (it runs it, or recovery resumes it). True when the task is written, false when it is
	 * to be queued here for the agent's next node (not running anywhere now, its node busy or
	 * gone). A task refused for good (an invalid task) is written as failed, as a queued one is.
	 */
	private async handOverToNode(entry: TaskEntry, deliver: Deliver): Promise<boolean> {
		try {
			await deliver({ mode: "handOver", awaited: false, contextId: entry.contextId, protocolState: entry.protocolState }, 0);
			return true;
		} catch (err) {
			if (await this.deps.tasks.find(entry.id)) return true;
			if (waitsForAgent(err)) return false;
			await this.deps.runs.insertQueued(entry);
			await this.deps.tasks.failQueued(entry.id, err as Error);
			return true;
		}
	}

	/** Desired state running, and a fresh start: a restart (clean crash count) here or on its node, or a placement. */
	async bringUp(id: string, reason: string, call: NodeCall): Promise<AgentView> {
		const row = await this.deps.agents.get(id);
		await this.deps.agents.setDesiredState(row.id, "running");
		const running = this.local.get(row.id);
		const host = this.remoteHost(row);
		if (running) await running.restart(reason);
		else if (host) await call("agents.host", { id, reason, restart: true }, host);
		else await this.place(row.manifest);
		return this.view(row.id);
	}

	/** Desired state stopped, and the agent stopped wherever it runs. */
	async stop(id: string, call: NodeCall): Promise<AgentView> {
		const row = await this.deps.agents.get(id);
		await this.deps.agents.setDesiredState(id, "stopped");
		await this.shutdownAnywhere(row, "stopped by request", call);
		return this.view(id);
	}

	/** Stops the agent wherever it runs and deletes its row; answers the agent as it was, now stopped. */
	async remove(id: string, call: NodeCall): Promise<AgentView> {
		const before = await this.view(id);
		await this.shutdownAnywhere(await this.deps.agents.get(id), "deleted", call);
		await this.deps.agents.delete(id);
		return { ...before, desiredState: "stopped", state: "stopped", pid: null, mailbox: null, uptimeSeconds: null };
	}

	/** The actor host: starts (or restarts) the agent on this node, as the leader's placement says. */
	async host(id: string, reason: string, restart: boolean): Promise<AgentView> {
		const row = await this.deps.agents.get(id);
		if (row.desired_state !== "running") return this.view(id);
		const running = this.local.get(id);
		if (running && restart) await running.restart(reason);
		else if (!running) {
			await this.deps.agents.setNode(id, this.deps.broker.nodeID);
			await this.launch(row.manifest, reason);
			// A stop (or delete) that came while it started, before its node was written, found nothing to stop.
			const now = await this.deps.agents.find(id);
			if (now?.desired_state !== "running") await this.shutdown(id, now ? "stopped while it was starting" : "deleted while it was starting");
		}
		return this.view(id);
	}

	/** Stops the agent if it runs here, without changing its desired state, and removes its actor service. */
	async shutdown(id: string, reason: string): Promise<void> {
		const runtime = this.local.get(id);
		if (!runtime) return;
		await runtime.stop(reason);
		this.local.delete(id);
		const service = this.deps.broker.getLocalService(actorServiceName(id));
		if (service) await this.deps.broker.destroyService(service);
		await this.persisting;
	}

	/** The node is going down, not the agents' desired state: they come back on the next boot. */
	async stopAll(): Promise<void> {
		await Promise.all([...this.local.values()].map(runtime => runtime.stop("node stopping").catch(() => undefined)));
		this.local.clear();
		await this.persisting;
	}

	/** The last lines the agent's worker wrote, from the node that runs it. */
	async logs(id: string, lines: number | undefined, call: NodeCall): Promise<{ id: string; node: string; lines: string[] }> {
		const host = this.remoteHost(await this.deps.agents.get(id));
		if (host) return (await call("agents.logs", { id, ...(lines !== undefined && { lines }) }, host)) as { id: string; node: string; lines: string[] };
		const runtime = this.local.get(id);
		return { id, node: this.deps.broker.nodeID, lines: runtime ? runtime.output(lines ?? 100) : [] };
	}

	async transitions(id: string, limit: number): Promise<TransitionEntry[]> {
		await this.deps.agents.get(id);
		// The history includes every transition this node has seen, not only those already written.
		await this.persisting;
		return this.deps.agents.transitions(id, limit);
	}

	async view(id: string): Promise<AgentView> {
		await this.persisting;
		const row = await this.deps.agents.get(id);
		return this.toView(row, (await this.deps.pendingCapabilities([id])).get(id));
	}

	async list(query: AgentQuery): Promise<{ items: AgentView[]; total: number; limit: number; offset: number }> {
		const { limit, offset } = query;
		const { rows, total } = await this.deps.agents.page(query);
		const pending = await this.deps.pendingCapabilities(rows.map(row => row.id));
		return { items: rows.map(row => this.toView(row, pending.get(row.id))), total, limit, offset };
	}

	/** Stops agents running here that the leader placed elsewhere (this node was taken for lost a while). */
	async releaseMoved(): Promise<void> {
		if (this.local.size === 0) return;
		const moved = await this.deps.agents.placedElsewhere([...this.local.keys()], this.deps.broker.nodeID);
		for (const row of moved) if (row.node_id) await this.shutdown(row.id, `moved to ${row.node_id}`);
	}

	/** Starts every agent that should be running here but is not (on a single node: all of them). */
	async restore(): Promise<void> {
		const rows = await this.deps.agents.desiredRunning(this.deps.config.TRANSPORTER ? this.deps.broker.nodeID : undefined);
		if (this.across) await this.releaseMoved();
		const missing = rows.filter(row => !this.local.has(row.id));
		for (const row of missing) {
			await this.launch(row.manifest).catch((err: Error) => this.deps.logger.error(`Could not start agent ${row.id}: ${err.message}`));
			// Embedded database queries settle as microtasks: without a turn of the event loop,
			// thousands of launches in a row would hold off every timer (audit writes, heartbeats, the leader's lease).
			await new Promise(resolve => setImmediate(resolve));
		}
		if (missing.length) this.deps.logger.info(`Started ${missing.length} agent(s) whose desired state is running`);
	}

	/** The other live node that hosts the agent, if it is not here. */
	private remoteHost(row: AgentRow): string | undefined {
		const { broker } = this.deps;
		return this.across && row.node_id && row.node_id !== broker.nodeID && isHosting(broker, row.node_id) ? row.node_id : undefined;
	}

	private async shutdownAnywhere(row: AgentRow, reason: string, call: NodeCall): Promise<void> {
		const host = this.remoteHost(row);
		if (host) await call("agents.release", { id: row.id, reason }, host);
		else await this.shutdown(row.id, reason);
	}

	private record(t: Transition, runtime: AgentRuntime): void {
		const { pid, restarts, lastError } = runtime.status();
		this.deps.broker.broadcast("agents.state", t).catch((err: Error) => this.deps.logger.warn(`Could not broadcast a state change: ${err.message}`));
		this.persisting = this.persisting
			.then(() => this.deps.agents.recordTransition(t, { pid, restarts, lastError }))
			.catch((err: Error) => this.deps.logger.error(`Could not record ${t.agentId} ${t.from} → ${t.to}: ${err.message}`));
	}

	private toView(row: AgentRow, pending: { capability: Capability }[] = []): AgentView {
		return agentView(row, this.local.get(row.id)?.status(), pending);
	}
}

const isOpen = (status: TaskStatus) => status === "queued" || status === "running" || status === "suspended";

/** The broker instances of the nodes up (this one included): a run owned by any other is an orphan. */
function liveInstances(broker: SupervisorBroker): string[] {
	const nodes = broker.registry.nodes.toArray() as Array<{ available: boolean; instanceID: string | null; local?: boolean }>;
	const ids = nodes.filter(n => n.available && n.instanceID).map(n => n.instanceID as string);
	return ids.includes(broker.instanceID) ? ids : [...ids, broker.instanceID];
}

/**
 * A refusal that leaves a task queued for its agent's next node (not one that fails it):
 * checked by type, since an error from another node arrives rebuilt, not as its class.
 */
function waitsForAgent(err: unknown): boolean {
	const { retryable, type } = err as { retryable?: boolean; type?: string };
	return retryable === true || type === "AGENT_NOT_RUNNING";
}
