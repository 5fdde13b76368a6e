import type { Caller } from "../agent-api";
import type { TaskOrigin } from "../agent-calls";
import type { WorkerRuntime } from "../manifest-types";
import type { AgentWorker, WorkerHooks } from "./worker";

/**
 * A worker that is the node itself — no process to ping, kill or read output from: if
 * this code runs, so does the agent. Stopping runs `beforeStop`, then reports the exit.
 */
export abstract class InNodeWorker implements AgentWorker {
	abstract readonly runtime: WorkerRuntime;
	readonly pid = undefined;
	/** The node's own process: its network is the node's, and no namespace can take it away. */
	readonly networkIsolated: boolean | undefined = false;

	constructor(protected readonly hooks: WorkerHooks) {}

	abstract start(): Promise<void>;
	abstract run(kind: "task" | "message", id: string, payload: unknown, caller: Caller, origin?: TaskOrigin): Promise<unknown>;

	/** What the agent does when asked to stop (nothing by default). */
	protected async beforeStop(): Promise<void> {}

	async ping(): Promise<void> {
		// The node answers for it.
	}

	async stop(): Promise<void> {
		try {
			await this.beforeStop();
		} finally {
			this.hooks.onExit({ reason: "stopped", requested: true, output: [] });
		}
	}

	kill(reason: string): void {
		this.hooks.onExit({ reason: `stopped (${reason})`, requested: false, output: [] });
	}

	output(): string[] {
		return [];
	}
}
