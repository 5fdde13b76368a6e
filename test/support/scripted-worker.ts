import type { AgentWorker, WorkerHooks } from "../../actors/workers/worker";

/**
 * A worker that lives in the test: it answers tasks from a script and can "die", so the
 * runtime's supervision logic is tested without processes (the integration tests run
 * real worker processes).
 */
export class ScriptedWorker implements AgentWorker {
	readonly runtime = "process" as const;
	readonly pid: number;
	exited = false;
	constructor(
		private readonly hooks: WorkerHooks,
		readonly n: number,
		private readonly answer: (task: { type: string; ms?: number }) => Promise<unknown>
	) {
		this.pid = 1000 + n;
	}
	async start(): Promise<void> {}
	private pending = new Set<(err: unknown) => void>();
	run(_kind: "task" | "message", _id: string, payload: unknown): Promise<unknown> {
		if (this.exited) return Promise.reject({ name: "WorkerGone", message: "gone" });
		// Like a real worker, a task in flight fails with WorkerGone when the worker dies.
		return new Promise((resolve, reject) => {
			this.pending.add(reject);
			this.answer(payload as { type: string }).then(resolve, reject).finally(() => this.pending.delete(reject));
		});
	}
	async ping(): Promise<void> {}
	async stop(): Promise<void> {
		this.die("stopped", true);
	}
	kill(reason: string): void {
		this.die(reason, false);
	}
	die(reason: string, requested = false): void {
		if (this.exited) return;
		this.exited = true;
		for (const reject of this.pending) reject({ name: "WorkerGone", message: reason });
		this.hooks.onExit({ reason, requested, output: ["last words"] });
	}
	output(): string[] {
		return [];
	}
}
