import type { AgentDefinition, AgentTask, Caller } from "../agent-api";
import type { AgentManifest } from "../manifest-types";
import { createAgentContext, loadDefinition } from "./agent-context";
import { toWireError } from "./protocol";
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
	private readonly ctx;

	constructor(
		manifest: AgentManifest,
		private readonly entryPoint: string,
		hooks: WorkerHooks
	) {
		super(hooks);
		this.ctx = createAgentContext(manifest.id, (method, args) => hooks.onCall(method, args), (level, msg) => hooks.onLog(level, `[${manifest.id}] ${msg}`));
	}

	async start(): Promise<void> {
		this.definition = loadDefinition(this.entryPoint) as AgentDefinition;
		await this.definition.onStart?.(this.ctx);
	}

	run(kind: "task" | "message", id: string, payload: unknown, caller: Caller): Promise<unknown> {
		// Not async: one promise step fewer on the path that makes in-process agents cheap.
		try {
			const info = { id, caller };
			const value = kind === "task" ? this.definition!.onTask!(payload as AgentTask, this.ctx, info) : this.definition!.onMessage!(payload, this.ctx, info);
			return Promise.resolve(value).then(
				result => result ?? null,
				err => Promise.reject(toWireError(err))
			);
		} catch (err) {
			return Promise.reject(toWireError(err));
		}
	}

	protected override async beforeStop(): Promise<void> {
		await this.definition?.onStop?.(this.ctx);
	}
}
