import type { Caller } from "../agent-api";
import type { TaskOrigin } from "../agent-calls";
import type { WorkerRuntime } from "../manifest-types";

export interface WorkerExit {
	/** Why it ended, for a person: "exited with code 1", "killed (SIGKILL)", … */
	reason: string;
	/** True when it ended because it was asked to stop. */
	requested: boolean;
	/** Its last lines of output. */
	output: string[];
}

export interface WorkerHooks {
	/**
	 * A ctx call from agent code, to answer: for the task whose `origin` `run` was given, or
	 * for none from onStart/onStop. A Moleculer error it rejects with is marked
	 * (keepIdentity), and a worker hands it back as it is when the task fails with it.
	 */
	onCall(method: string, args: unknown[], origin: TaskOrigin | undefined): Promise<unknown>;
	/** The ctx methods beyond the runtime's own that agent code gets (AgentCallPort.methods). */
	readonly methods: readonly string[];
	onExit(exit: WorkerExit): void;
	onLog(level: "debug" | "info" | "warn" | "error", msg: string): void;
}

/** Where an agent's code runs: a child process, a container, or (trusted code only) the node itself. */
export interface AgentWorker {
	readonly runtime: WorkerRuntime;
	readonly pid: number | undefined;
	/**
	 * Whether the agent's code is cut off from the network (it reaches it only through ctx
	 * tools, under ALLOWED_DOMAINS): known once started; undefined when no agent code runs.
	 */
	readonly networkIsolated?: boolean;
	/** Resolves once the agent's onStart has returned; rejects if it fails. */
	start(): Promise<void>;
	/** Runs one task or message; resolves with what the agent's code returned. Its ctx calls run for `origin`. */
	run(kind: "task" | "message", id: string, payload: unknown, caller: Caller, origin?: TaskOrigin): Promise<unknown>;
	/** Resolves when the worker answers within `timeoutMs`. */
	ping(timeoutMs: number): Promise<void>;
	/** Asks the agent to stop (onStop), killing it after `graceMs`. */
	stop(graceMs: number): Promise<void>;
	kill(reason: string): void;
	/** Its last `lines` lines of output (20 by default). */
	output(lines?: number): string[];
}
