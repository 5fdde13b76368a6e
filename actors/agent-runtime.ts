import type { Context, Logger } from "moleculer";
import { inputProblem, storableText } from "../lib/kernel/input-guard";
import type { Caller } from "./agent-api";
import { keepIdentity, keepsIdentity, type AgentCallPort, type TaskOrigin } from "./agent-calls";
import { acceptsTasks, canTransition, type AgentState, type Transition } from "./agent-state";
import { AgentBusyError, AgentNotRunningError, TaskFailedError, TaskTimeoutError, WorkerCrashedError } from "./errors";
import { taskDeadlines } from "./deadlines";
import { Mailbox, MailboxFullError } from "./mailbox";
import type { AgentManifest } from "./manifest-types";
import { RestartTracker } from "./restart-tracker";
import type { WireError } from "./workers/protocol";
import type { AgentWorker, WorkerExit, WorkerHooks } from "./workers/worker";
import type { TaskRun } from "./task-run";

export interface RuntimeOptions {
	nodeID: string;
	logger: Logger;
	maxTaskTimeoutMs: number;
	heartbeatIntervalMs: number;
	heartbeatTimeoutMs: number;
	stopGraceMs: number;
	createWorker(hooks: WorkerHooks): AgentWorker;
	/** Answers a ctx call of the agent's code (permission checks happen there). */
	onCall: AgentCallPort;
	/** Told of every state change, in order. */
	onTransition(transition: Transition): void;
}

export interface RuntimeStatus {
	state: AgentState;
	node: string;
	pid: number | null;
	/** Whether the running worker's code is cut off from the network; null when none runs or no agent code does (declarative). */
	networkIsolated: boolean | null;
	runtime: string;
	restarts: number;
	uptimeSeconds: number | null;
	mailbox: { queued: number; running: number; maxQueue: number; concurrency: number };
	lastError: string | null;
}

export interface SubmitOptions {
	taskId: string;
	timeoutMs?: number;
	/** The context the task came in with: the agent's ctx calls for it run as its children. */
	parent?: Context;
	/** The task's durable run: its ctx calls are journaled (or replayed), and its retries are the run's. */
	run?: TaskRun;
}

/**
 * One agent on this node: its worker, mailbox, supervision and state. A worker that
 * exits unasked is restarted with backoff, a worker that stops answering heartbeats is
 * killed, and too many restarts in the window leave the agent `crashed` with the reason
 * and its last output. Tasks wait in the mailbox through a restart; a task whose
 * worker died under it is delivered once more to the new worker.
 */
export class AgentRuntime {
	private stateValue: AgentState = "pending";
	private worker: AgentWorker | undefined;
	private readonly mailbox: Mailbox;
	private readonly restarts: RestartTracker;
	private runningSince: number | undefined;
	private lastError: string | null = null;
	private heartbeat: NodeJS.Timeout | undefined;
	private restartTimer: NodeJS.Timeout | undefined;
	private waiters: Array<{ resolve(): void; reject(err: Error): void }> = [];

	constructor(
		readonly manifest: AgentManifest,
		private readonly options: RuntimeOptions
	) {
		this.mailbox = new Mailbox(manifest.limits.maxConcurrency, manifest.limits.maxQueue);
		this.restarts = new RestartTracker(manifest.restart);
	}

	get state(): AgentState {
		return this.stateValue;
	}

	get id(): string {
		return this.manifest.id;
	}

	status(): RuntimeStatus {
		const { limits } = this.manifest;
		return {
			state: this.stateValue,
			node: this.options.nodeID,
			pid: this.worker?.pid ?? null,
			networkIsolated: this.worker?.networkIsolated ?? null,
			runtime: this.manifest.runtime,
			restarts: this.restarts.total,
			uptimeSeconds: this.runningSince ? Math.round((Date.now() - this.runningSince) / 1000) : null,
			mailbox: { queued: this.mailbox.queued, running: this.mailbox.running, maxQueue: limits.maxQueue, concurrency: limits.maxConcurrency },
			lastError: this.lastError
		};
	}

	/** The worker's last lines of output (stdout and stderr), newest last. */
	output(lines = 100): string[] {
		return this.worker?.output(lines) ?? [];
	}

	/** Starts the worker; resolves once the agent is running or has given up (see `state`). */
	async start(reason = "spawned"): Promise<void> {
		clearTimeout(this.restartTimer);
		this.transition("starting", reason);
		const worker = this.options.createWorker({
			onCall: (method, args, origin) => this.options.onCall(method, args, origin).catch((err: unknown) => Promise.reject(keepIdentity(err))),
			methods: this.options.onCall.methods ?? [],
			onExit: exit => this.onWorkerExit(worker, exit),
			onLog: (level, msg) => this.options.logger[level](msg)
		});
		this.worker = worker;
		try {
			await worker.start();
		} catch (err) {
			if (this.worker === worker && this.stateValue === "starting") this.onFailure(`failed to start: ${(err as Error).message}`, worker.output());
			return;
		}
		if (this.worker !== worker || this.stateValue !== "starting") return;
		this.runningSince = Date.now();
		this.transition("running", reason === "spawned" ? "started" : reason);
		this.startHeartbeat(worker);
	}

	/**
	 * Queues a task (or message) and resolves with the agent's answer. The caller's wait
	 * is bounded by the task timeout (clamped by MAX_AGENT_TASK_TIMEOUT_MS); the agent
	 * keeps its mailbox slot until its code returns.
	 */
	submit(kind: "task" | "message", payload: unknown, caller: Caller, { taskId, timeoutMs, parent, run }: SubmitOptions): Promise<unknown> {
		if (!acceptsTasks(this.stateValue)) throw new AgentNotRunningError(this.id, this.stateValue);
		const limit = this.timeLimit(timeoutMs);
		// Kept while the agent's code runs, even past the caller's timeout (its calls are refused then).
		const origin: TaskOrigin | undefined = parent || run ? { ctx: parent, deadline: Date.now() + limit, run, caller } : undefined;
		return new Promise((resolve, reject) => {
			const cancel = taskDeadlines.add(limit, () => reject(new TaskTimeoutError(this.id, taskId, limit)));
			this.mailbox.push(() => this.deliver(kind, taskId, payload, caller, origin)).then(
				value => {
					cancel();
					resolve(value);
				},
				err => {
					cancel();
					reject(err instanceof MailboxFullError ? new AgentBusyError(this.id, err.queued, this.manifest.limits.maxQueue) : err);
				}
			);
		});
	}

	/** A task's time limit: what it asks for (or the manifest's), within MAX_AGENT_TASK_TIMEOUT_MS. */
	timeLimit(timeoutMs?: number): number {
		return Math.min(timeoutMs ?? this.manifest.limits.timeoutMs, this.options.maxTaskTimeoutMs);
	}

	/** Drains the mailbox (within the grace period), runs onStop, then ends the worker. */
	async stop(reason = "stopped by request"): Promise<void> {
		if (this.stateValue === "stopped" || this.stateValue === "stopping") return;
		clearTimeout(this.restartTimer);
		if (!acceptsTasks(this.stateValue)) {
			// Crashed, pending or quarantined: no worker to wind down.
			this.mailbox.rejectQueued(new AgentNotRunningError(this.id, "stopped"));
			return this.transition("stopped", reason);
		}
		const worker = this.worker;
		const hadWorker = worker !== undefined && (this.stateValue === "running" || this.stateValue === "starting");
		this.transition("stopping", reason);
		this.stopHeartbeat();
		const deadline = Date.now() + this.options.stopGraceMs;
		if (hadWorker) {
			await Promise.race([this.mailbox.idle(), sleep(this.options.stopGraceMs)]);
			await worker!.stop(Math.max(deadline - Date.now(), 100));
		}
		this.mailbox.rejectQueued(new AgentNotRunningError(this.id, "stopped"));
		this.worker = undefined;
		this.runningSince = undefined;
		this.transition("stopped", reason);
	}

	/** A fresh start with a clean restart count (also brings back a crashed agent). */
	async restart(reason = "restarted by request"): Promise<void> {
		this.restarts.reset();
		if (this.stateValue === "running" || this.stateValue === "starting") await this.stop(reason);
		await this.start(reason);
	}

	private deliver(kind: "task" | "message", taskId: string, payload: unknown, caller: Caller, origin: TaskOrigin | undefined, attempt = 0): Promise<unknown> {
		// The common case, a running worker, goes straight through without an extra await.
		const ready = this.stateValue === "running" ? undefined : this.whenRunning();
		const run = () =>
			this.worker!.run(kind, taskId, payload, caller, origin).then(
				value => {
					// The agent's code made the result: what the node cannot store is the agent's failure, not a 500.
					const problem = inputProblem(value);
					if (problem) throw new TaskFailedError(this.id, taskId, { name: "InvalidResult", message: `its result cannot be kept: ${problem.message}` });
					return value;
				},
				(err: unknown) => {
					// A refusal from the cluster that the agent let through reaches the caller as it is.
					if (keepsIdentity(err)) throw err;
					const wire = summary(err);
					if (wire.name === "WorkerGone") {
						// The worker died under this task: once more on the next worker, then give up. A durable
						// run is tried again by its runner, from its journal.
						if (attempt === 0 && !origin?.run && acceptsTasks(this.stateValue)) return this.deliver(kind, taskId, payload, caller, origin, 1);
						throw new WorkerCrashedError(this.id, wire.message);
					}
					throw new TaskFailedError(this.id, taskId, { name: storableText(String(wire.name)), message: storableText(String(wire.message)) });
				}
			);
		return ready ? ready.then(run) : run();
	}

	private whenRunning(): Promise<void> {
		if (this.stateValue === "running") return Promise.resolve();
		if (!acceptsTasks(this.stateValue)) return Promise.reject(new AgentNotRunningError(this.id, this.stateValue));
		return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
	}

	private onWorkerExit(worker: AgentWorker, exit: WorkerExit): void {
		if (worker !== this.worker) return;
		this.stopHeartbeat();
		// Only a worker that was starting or running can fail now: one whose start already
		// failed was counted then, and its process exiting afterwards is the same failure.
		if (exit.requested || (this.stateValue !== "running" && this.stateValue !== "starting")) return;
		this.onFailure(`worker ${exit.reason}`, exit.output);
	}

	private onFailure(reason: string, output: string[]): void {
		this.runningSince = undefined;
		this.lastError = output.length ? `${reason}; last output:\n${output.join("\n")}` : reason;
		if (this.manifest.restart.policy === "never") return this.transition("crashed", reason);
		clearTimeout(this.restartTimer);
		const decision = this.restarts.next();
		if (decision.giveUp) {
			return this.transition("crashed", `${reason}; ${decision.recent} restarts within ${this.manifest.restart.windowMs} ms`);
		}
		this.transition("restarting", `${reason}; restarting in ${Math.round(decision.delayMs)} ms`);
		this.restartTimer = setTimeout(() => void this.start(`restart after: ${reason}`), decision.delayMs);
	}

	private startHeartbeat(worker: AgentWorker): void {
		let inFlight = false;
		this.heartbeat = setInterval(() => {
			if (inFlight) return;
			inFlight = true;
			worker.ping(this.options.heartbeatTimeoutMs).then(
				() => (inFlight = false),
				(err: Error) => {
					inFlight = false;
					if (this.worker === worker && this.stateValue === "running") worker.kill(`watchdog: ${err.message}`);
				}
			);
		}, this.options.heartbeatIntervalMs);
		this.heartbeat.unref();
	}

	private stopHeartbeat(): void {
		clearInterval(this.heartbeat);
		this.heartbeat = undefined;
	}

	private transition(to: AgentState, reason: string): void {
		const from = this.stateValue;
		if (from === to) return;
		if (!canTransition(from, to)) throw new Error(`agent ${this.id}: illegal transition ${from} → ${to} (${reason})`);
		this.stateValue = to;
		this.options.onTransition({ agentId: this.id, from, to, reason, node: this.options.nodeID, at: new Date() });
		if (to === "running") {
			for (const w of this.waiters.splice(0)) w.resolve();
		} else if (!acceptsTasks(to)) {
			for (const w of this.waiters.splice(0)) w.reject(new AgentNotRunningError(this.id, to));
			if (to === "crashed") this.mailbox.rejectQueued(new AgentNotRunningError(this.id, to));
		}
	}
}

/** What the agent's code threw (an Error, a worker's wire error, anything), as a name and a message. */
function summary(err: unknown): WireError {
	if (err && typeof err === "object" && typeof (err as WireError).message === "string") {
		const e = err as WireError;
		return { name: typeof e.name === "string" ? e.name : "Error", message: e.message };
	}
	return { name: "Error", message: String(err) };
}

function sleep(ms: number): Promise<void> {
	return new Promise(resolve => setTimeout(resolve, ms).unref());
}
