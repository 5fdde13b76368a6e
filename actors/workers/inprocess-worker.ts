import type { AgentContext, AgentDefinition, AgentTask, Caller } from "../agent-api";
import type { TaskOrigin } from "../agent-calls";
import type { AgentManifest } from "../manifest-types";
import { createAgentContext, loadDefinition, taskContexts, type LogFn } from "./agent-context";
import { InNodeWorker } from "./in-node-worker";
import type { WorkerHooks } from "./worker";

/**
 * Trusted built-in code inside the node itself: no process, no IPC, so it is as cheap
 * as a local action. Only for code in AGENT_INPROCESS_PATHS — it shares the node's
 * memory and could read its secrets, and it cannot be killed, only stopped.
 */
export class InProcessWorker extends InNodeWorker {
	readonly runtime = "inprocess" as const;
	private definition: AgentDefinition | undefined;
	/** For onStart and onStop: calls that run for no task. */
	private readonly ctx;
	private readonly log: LogFn;
	/** The ctx of one task: its calls go straight to the port, as children of the task's context. */
	private readonly taskContext: (origin: TaskOrigin | undefined) => AgentContext;

	constructor(
		private readonly manifest: AgentManifest,
		private readonly entryPoint: string,
		hooks: WorkerHooks
	) {
		super(hooks);
		this.log = (level, msg) => hooks.onLog(level, `[${manifest.id}] ${msg}`);
		this.ctx = createAgentContext(manifest.id, hooks.methods, (method, args) => hooks.onCall(method, args, undefined), this.log);
		this.taskContext = taskContexts(manifest.id, hooks.methods, (method, args, origin) => hooks.onCall(method, args, origin), this.log);
	}

	async start(): Promise<void> {
		this.definition = loadDefinition(this.entryPoint) as AgentDefinition;
		await this.definition.onStart?.(this.ctx);
	}

	run(kind: "task" | "message", id: string, payload: unknown, caller: Caller, origin?: TaskOrigin): Promise<unknown> {
		// Not async: one promise step fewer on the path that makes in-process agents cheap.
		// The agent's own ctx for this task: its calls go straight to the port, as children of the task's context.
		// What the code throws goes to the runtime as it is; the runtime decides what the caller sees.
		try {
			const info = { id, caller };
			const ctx = this.taskContext(origin);
			const value = kind === "task" ? this.definition!.onTask!(payload as AgentTask, ctx, info) : this.definition!.onMessage!(payload, ctx, info);
			return Promise.resolve(value).then(result => result ?? null);
		} catch (err) {
			return Promise.reject(err);
		}
	}

	protected override async beforeStop(): Promise<void> {
		await this.definition?.onStop?.(this.ctx);
	}
}
