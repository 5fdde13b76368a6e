import type { Caller } from "../agent-api";
import { keepsIdentity, type TaskOrigin } from "../agent-calls";
import type { AgentManifest, WorkerRuntime } from "../manifest-types";
import type { WorkerChannel } from "./channel";
import { PROTOCOL_VERSION, toWireError, type HostMessage, type WireError, type WorkerMessage } from "./protocol";
import { LineRing } from "./ring-buffer";
import type { AgentWorker, WorkerHooks } from "./worker";

export interface ChannelWorkerOptions {
	runtime: WorkerRuntime;
	/** Starts the worker (a process, a container) and returns the channel to it. */
	launch(): Promise<WorkerChannel>;
	/** The agent module as the worker sees it (a path inside the container for docker). */
	entryPoint: string;
	heartbeatMs: number;
	/** How long start() waits for onStart. */
	startTimeoutMs: number;
}

interface Pending {
	resolve(value: unknown): void;
	/** A wire error, or the cluster error a ctx call of the task was answered with. */
	reject(error: WireError | Error): void;
	/** What the task's ctx calls are children of. */
	origin: TaskOrigin | undefined;
}

/**
 * A code agent outside the node — a child process or a container — reached only
 * through its channel: tasks out, results and ctx calls back, pings for the watchdog,
 * its output kept for crash reports.
 */
export class ChannelWorker implements AgentWorker {
	readonly runtime: WorkerRuntime;
	private channel: WorkerChannel | undefined;
	private readonly out = new LineRing();
	private readonly pending = new Map<string, Pending>();
	/** Per running task, the cluster errors its ctx calls were answered with, by call id. */
	private readonly refused = new Map<string, Map<number, Error>>();
	private readonly pings = new Map<number, () => void>();
	private nextPing = 1;
	private stopRequested = false;
	private exited = false;

	constructor(
		private readonly manifest: AgentManifest,
		private readonly options: ChannelWorkerOptions,
		private readonly hooks: WorkerHooks
	) {
		this.runtime = options.runtime;
	}

	get pid(): number | undefined {
		return this.channel?.pid;
	}

	get networkIsolated(): boolean | undefined {
		return this.channel?.networkIsolated;
	}

	async start(): Promise<void> {
		const channel = await this.options.launch();
		this.channel = channel;
		channel.onOutput(chunk => {
			for (const line of this.out.write(chunk)) this.hooks.onLog("debug", `[${this.manifest.id}] ${line}`);
		});

		return new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => {
				reject(new Error(`the agent did not finish onStart within ${this.options.startTimeoutMs} ms`));
				this.kill("start timeout");
			}, this.options.startTimeoutMs);
			let started = false;
			channel.onMessage(message => {
				if (message.t === "ready") {
					started = true;
					clearTimeout(timer);
					if (message.v !== PROTOCOL_VERSION) {
						reject(new Error(`worker speaks protocol ${message.v}, not ${PROTOCOL_VERSION}`));
						this.kill("protocol mismatch");
					} else resolve();
				} else if (message.t === "fatal" && !started) {
					clearTimeout(timer);
					reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
				} else this.onMessage(message);
			});
			channel.onExit((code, signal) => {
				clearTimeout(timer);
				if (!started) reject(new Error(`the worker ${describeExit(code, signal)} before it was ready${tailNote(this.out.tail(5))}`));
				this.onExit(code, signal);
			});
			this.send({ t: "init", v: PROTOCOL_VERSION, agentId: this.manifest.id, entryPoint: this.options.entryPoint, heartbeatMs: this.options.heartbeatMs, methods: this.hooks.methods });
		});
	}

	run(kind: "task" | "message", id: string, payload: unknown, caller: Caller, origin?: TaskOrigin): Promise<unknown> {
		if (this.exited) return Promise.reject({ name: "WorkerGone", message: "the worker has exited" });
		return new Promise((resolve, reject) => {
			this.pending.set(id, { resolve, reject, origin });
			this.send(kind === "task" ? { t: "task", id, task: payload, caller } : { t: "message", id, message: payload, caller });
		});
	}

	ping(timeoutMs: number): Promise<void> {
		const n = this.nextPing++;
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.pings.delete(n);
				reject(new Error(`no heartbeat for ${timeoutMs} ms`));
			}, timeoutMs);
			this.pings.set(n, () => {
				clearTimeout(timer);
				resolve();
			});
			this.send({ t: "ping", n });
		});
	}

	async stop(graceMs: number): Promise<void> {
		const channel = this.channel;
		if (!channel || this.exited) return;
		this.stopRequested = true;
		const exited = new Promise<void>(resolve => channel.onExit(() => resolve()));
		this.send({ t: "stop" });
		const timer = setTimeout(() => channel.kill(), graceMs);
		await exited;
		clearTimeout(timer);
	}

	kill(reason: string): void {
		if (this.channel && !this.exited) {
			this.hooks.onLog("warn", `killing the worker of ${this.manifest.id}: ${reason}`);
			this.channel.kill();
		}
	}

	output(lines = 20): string[] {
		return this.out.tail(lines);
	}

	private send(message: HostMessage): void {
		if (!this.exited) this.channel?.send(message);
	}

	private onMessage(message: WorkerMessage): void {
		switch (message.t) {
			case "result": {
				const waiting = this.pending.get(message.id);
				const refused = this.refused.get(message.id);
				this.pending.delete(message.id);
				this.refused.delete(message.id);
				if (message.ok) waiting?.resolve(message.value);
				else {
					// The worker can only point at an error this host gave it for this task, never forge one.
					const kept = message.error.ref !== undefined ? refused?.get(message.error.ref) : undefined;
					waiting?.reject(kept ?? message.error);
				}
				return;
			}
			case "call": {
				const { id, task } = message;
				// A call names its task; one whose task has ended (or none, from onStart/onStop) runs for no task.
				const origin = task !== undefined ? this.pending.get(task)?.origin : undefined;
				this.hooks.onCall(message.method, message.args, origin).then(
					value => this.send({ t: "reply", id, ok: true, value: value ?? null }),
					err => {
						if (task !== undefined && this.pending.has(task) && keepsIdentity(err)) {
							const refused = this.refused.get(task) ?? new Map<number, Error>();
							this.refused.set(task, refused.set(id, err));
						}
						this.send({ t: "reply", id, ok: false, error: { ...toWireError(err), ref: id } });
					}
				);
				return;
			}
			case "pong":
				this.pings.get(message.n)?.();
				this.pings.delete(message.n);
				return;
			case "log":
				// ctx.log lines are part of the agent's output too (agents logs shows them).
				this.out.write(`${message.level}: ${message.msg}\n`);
				this.hooks.onLog(message.level, `[${this.manifest.id}] ${message.msg}`);
				return;
			case "fatal":
				this.hooks.onLog("error", `[${this.manifest.id}] ${message.error.name}: ${message.error.message}`);
				return;
		}
	}

	private onExit(code: number | null, signal: NodeJS.Signals | null): void {
		this.exited = true;
		const reason = describeExit(code, signal);
		for (const waiting of this.pending.values()) waiting.reject({ name: "WorkerGone", message: `the worker ${reason}` });
		this.pending.clear();
		this.refused.clear();
		this.hooks.onExit({ reason, requested: this.stopRequested, output: this.out.tail(20) });
	}
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
	if (signal === "SIGXCPU") return "exceeded its CPU time limit (SIGXCPU)";
	if (signal) return `was killed (${signal})`;
	return `exited with code ${code}`;
}

function tailNote(lines: string[]): string {
	return lines.length ? `: ${lines.join(" | ")}` : "";
}
