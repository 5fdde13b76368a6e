import { execFile, fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { Caller } from "../agent-api";
import type { AgentManifest } from "../manifest-types";
import { PROTOCOL_VERSION, toWireError, type HostMessage, type WireError, type WorkerMessage } from "./protocol";
import { LineRing } from "./ring-buffer";
import type { AgentWorker, WorkerHooks } from "./worker";

export interface ProcessWorkerOptions {
	/** The compiled worker entry script (dist/actors/workers/process-entry.js). */
	entryScript: string;
	/** The agent module, resolved and allowed. */
	entryPoint: string;
	heartbeatMs: number;
	/** How long start() waits for onStart. */
	startTimeoutMs: number;
}

interface Pending {
	resolve(value: unknown): void;
	reject(error: WireError): void;
}

/**
 * A code agent in a child process: its own V8 heap (capped by the manifest's
 * memoryMB), a CPU-time limit (RLIMIT_CPU via prlimit), an environment without the
 * node's secrets, output captured, and IPC as its only channel to the cluster.
 */
export class ProcessWorker implements AgentWorker {
	readonly runtime = "process" as const;
	private child: ChildProcess | undefined;
	private readonly out = new LineRing();
	private readonly pending = new Map<string, Pending>();
	private readonly pings = new Map<number, () => void>();
	private nextPing = 1;
	private stopRequested = false;
	private exited = false;

	constructor(
		private readonly manifest: AgentManifest,
		private readonly options: ProcessWorkerOptions,
		private readonly hooks: WorkerHooks
	) {}

	get pid(): number | undefined {
		return this.child?.pid;
	}

	start(): Promise<void> {
		if (!fs.existsSync(this.options.entryScript)) {
			return Promise.reject(new Error(`The worker entry ${this.options.entryScript} is missing; run npm run build`));
		}
		const child = fork(this.options.entryScript, [], {
			cwd: path.dirname(this.options.entryPoint),
			execArgv: [`--max-old-space-size=${this.manifest.limits.memoryMB}`],
			// Only what a Node program needs: never the node's own environment and its secrets.
			env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NODE_ENV: process.env.NODE_ENV ?? "production", AGENTOS_AGENT_ID: this.manifest.id },
			stdio: ["ignore", "pipe", "pipe", "ipc"],
			serialization: "json"
		});
		this.child = child;
		const capture = (chunk: Buffer) => {
			for (const line of this.out.write(chunk)) this.hooks.onLog("debug", `[${this.manifest.id}] ${line}`);
		};
		child.stdout!.on("data", capture);
		child.stderr!.on("data", capture);
		if (this.manifest.limits.cpuTimeSeconds > 0 && child.pid) limitCpu(child.pid, this.manifest.limits.cpuTimeSeconds);

		return new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => {
				reject(new Error(`the agent did not finish onStart within ${this.options.startTimeoutMs} ms`));
				this.kill("start timeout");
			}, this.options.startTimeoutMs);
			let started = false;
			child.on("message", raw => {
				const message = raw as WorkerMessage;
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
			child.on("exit", (code, signal) => {
				clearTimeout(timer);
				if (!started) reject(new Error(`the worker ${describeExit(code, signal)} before it was ready${tailNote(this.out.tail(5))}`));
				this.onExit(code, signal);
			});
			child.on("error", err => this.hooks.onLog("error", `worker of ${this.manifest.id}: ${err.message}`));
			this.send({ t: "init", v: PROTOCOL_VERSION, agentId: this.manifest.id, entryPoint: this.options.entryPoint, heartbeatMs: this.options.heartbeatMs });
		});
	}

	run(kind: "task" | "message", id: string, payload: unknown, caller: Caller): Promise<unknown> {
		if (this.exited) return Promise.reject({ name: "WorkerGone", message: "the worker has exited" });
		return new Promise((resolve, reject) => {
			this.pending.set(id, { resolve, reject });
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
		const child = this.child;
		if (!child || this.exited) return;
		this.stopRequested = true;
		const exited = new Promise<void>(resolve => child.once("exit", () => resolve()));
		this.send({ t: "stop" });
		const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
		await exited;
		clearTimeout(timer);
	}

	kill(reason: string): void {
		if (this.child && !this.exited) {
			this.hooks.onLog("warn", `killing the worker of ${this.manifest.id}: ${reason}`);
			this.child.kill("SIGKILL");
		}
	}

	output(): string[] {
		return this.out.tail(20);
	}

	private send(message: HostMessage): void {
		if (this.child?.connected) this.child.send(message);
	}

	private onMessage(message: WorkerMessage): void {
		switch (message.t) {
			case "result": {
				const waiting = this.pending.get(message.id);
				this.pending.delete(message.id);
				if (message.ok) waiting?.resolve(message.value);
				else waiting?.reject(message.error);
				return;
			}
			case "call":
				this.hooks.onCall(message.method, message.args).then(
					value => this.send({ t: "reply", id: message.id, ok: true, value: value ?? null }),
					err => this.send({ t: "reply", id: message.id, ok: false, error: toWireError(err) })
				);
				return;
			case "pong":
				this.pings.get(message.n)?.();
				this.pings.delete(message.n);
				return;
			case "log":
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

/** RLIMIT_CPU on the running child; the kernel sends SIGXCPU when it is spent. */
function limitCpu(pid: number, seconds: number): void {
	execFile("prlimit", ["--pid", String(pid), `--cpu=${seconds}:${seconds + 1}`], err => {
		if (err) process.emitWarning(`could not limit CPU time of worker ${pid}: ${err.message}`);
	});
}
