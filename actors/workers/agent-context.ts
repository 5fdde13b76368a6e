import type { AgentContext, AgentTask } from "../agent-api";
import { createSocietyContext } from "../society-api";
import type { CtxMethod } from "./protocol";

export type CallFn = (method: CtxMethod, args: unknown[]) => Promise<unknown>;
export type LogFn = (level: "debug" | "info" | "warn" | "error", msg: string) => void;

/** The `ctx` handed to agent code: each method is one call through its actor. */
export function createAgentContext(agentId: string, call: CallFn, log: LogFn): AgentContext {
	return {
		agentId,
		llm: {
			chat: request => call("llm.chat", [request]),
			embed: request => call("llm.embed", [request]),
			run: request => call("llm.run", [request])
		},
		memory: {
			store: memory => call("memory.store", [memory]),
			search: query => call("memory.search", [query]),
			get: id => call("memory.get", [id]),
			forget: id => call("memory.forget", [id]),
			list: query => call("memory.list", [query ?? {}]),
			history: (sessionId, window) => call("memory.history", [{ sessionId, window }]),
			appendHistory: (sessionId, messages) => call("memory.appendHistory", [{ sessionId, messages }])
		},
		tools: {
			list: () => call("tools.list", []),
			invoke: (toolId, args) => call("tools.invoke", [toolId, args])
		},
		agents: {
			ask: (target: string, task: AgentTask, options?: { timeoutMs?: number }) => call("agents.ask", [target, task, options ?? {}]),
			send: async (target: string, task: AgentTask) => (await call("agents.send", [target, task])) as { taskId: string }
		},
		state: {
			get: async <T>(key: string) => (await call("state.get", [key])) as T | undefined,
			set: async (key, value) => void (await call("state.set", [key, value])),
			delete: async key => void (await call("state.delete", [key])),
			list: async () => (await call("state.list", [])) as string[]
		},
		society: createSocietyContext((name, params) => call("society", [name, params])),
		node: {
			health: () => call("node.health", []),
			alert: alert => call("node.alert", [alert])
		},
		log: {
			debug: msg => log("debug", String(msg)),
			info: msg => log("info", String(msg)),
			warn: msg => log("warn", String(msg)),
			error: msg => log("error", String(msg))
		}
	};
}

/**
 * The `ctx` of one task: the same methods, whose calls name the task. Built on first use,
 * so a task that never touches its ctx costs one small object — building every method
 * for each task would cost an in-process agent more than the rest of its round trip.
 */
export function taskContext<T>(agentId: string, task: T, call: (method: CtxMethod, args: unknown[], task: T) => Promise<unknown>, log: LogFn): AgentContext {
	return new LazyTaskContext(agentId, task, call, log);
}

class LazyTaskContext<T> implements AgentContext {
	private built: AgentContext | undefined;

	constructor(
		readonly agentId: string,
		private readonly task: T,
		private readonly callFor: (method: CtxMethod, args: unknown[], task: T) => Promise<unknown>,
		private readonly logFn: LogFn
	) {}

	private get ctx(): AgentContext {
		return (this.built ??= createAgentContext(this.agentId, (method, args) => this.callFor(method, args, this.task), this.logFn));
	}
	get llm() {
		return this.ctx.llm;
	}
	get memory() {
		return this.ctx.memory;
	}
	get tools() {
		return this.ctx.tools;
	}
	get agents() {
		return this.ctx.agents;
	}
	get state() {
		return this.ctx.state;
	}
	get society() {
		return this.ctx.society;
	}
	get node() {
		return this.ctx.node;
	}
	get log() {
		return this.ctx.log;
	}
}

/** Loads an agent module: `module.exports = defineAgent({...})`, or its `default` export. */
export function loadDefinition(entryPoint: string): Record<string, unknown> {
	// eslint-disable-next-line @typescript-eslint/no-require-imports -- agent code is CommonJS, loaded at run time
	const loaded = require(entryPoint) as Record<string, unknown> & { default?: Record<string, unknown> };
	const definition = loaded && typeof loaded.default === "object" ? loaded.default : loaded;
	if (!definition || typeof definition !== "object") throw new Error(`${entryPoint} does not export an agent definition`);
	if (typeof definition.onTask !== "function" && typeof definition.onMessage !== "function") {
		throw new Error(`${entryPoint} exports neither onTask nor onMessage; use defineAgent({ onTask(task, ctx) { … } })`);
	}
	return definition;
}
