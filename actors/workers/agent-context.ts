import type { AgentContext, AgentTask } from "../agent-api";

export type CallFn = (method: string, args: unknown[]) => Promise<unknown>;
export type LogFn = (level: "debug" | "info" | "warn" | "error", msg: string) => void;

type Namespace = Record<string, unknown>;

/** The runtime's own namespaces; the rest of ctx is what the node's layers registered. */
const RUNTIME = new Set(["agents", "state", "log", "waitFor"]);

/** The runtime's own part of ctx: other agents, private state, the log, and `waitFor` — short for the registered `human.waitFor`. */
function runtimePart(call: CallFn, log: LogFn): Namespace {
	return {
		waitFor: (reason: string, data?: Record<string, unknown>) => call("human.waitFor", data === undefined ? [reason] : [reason, data]),
		agents: {
			ask: (target: string, task: AgentTask, options?: { timeoutMs?: number }) => call("agents.ask", [target, task, options ?? {}]),
			send: (target: string, task: AgentTask) => call("agents.send", [target, task])
		},
		state: {
			get: (key: string) => call("state.get", [key]),
			set: async (key: string, value: unknown) => void (await call("state.set", [key, value])),
			delete: async (key: string) => void (await call("state.delete", [key])),
			list: () => call("state.list", [])
		},
		log: {
			debug: (msg: unknown) => log("debug", String(msg)),
			info: (msg: unknown) => log("info", String(msg)),
			warn: (msg: unknown) => log("warn", String(msg)),
			error: (msg: unknown) => log("error", String(msg))
		}
	};
}

/**
 * Puts `ctx.a.b.c` in place for the method "a.b.c" under `root`: each call sends the
 * method's name and the agent's arguments as they are; the host's registry shapes them for
 * the action. Own properties only (defineProperty), so no name reaches a prototype.
 */
function place(root: Namespace, path: readonly string[], fn: (...args: unknown[]) => Promise<unknown>): void {
	let node = root;
	for (const key of path.slice(0, -1)) {
		if (!Object.hasOwn(node, key)) Object.defineProperty(node, key, { value: {}, enumerable: true });
		const next = node[key];
		if (!next || typeof next !== "object") return;
		node = next as Namespace;
	}
	const leaf = path[path.length - 1];
	if (!Object.hasOwn(node, leaf)) Object.defineProperty(node, leaf, { value: fn, enumerable: true });
}

/** The registered names by their first part (`memory` → ["memory.store", …]), the runtime's own left out. */
function byNamespace(methods: readonly string[]): Map<string, string[]> {
	const groups = new Map<string, string[]>();
	for (const name of methods) {
		const key = name.split(".")[0];
		if (key === "agentId" || RUNTIME.has(key)) continue;
		groups.set(key, [...(groups.get(key) ?? []), name]);
	}
	return groups;
}

/** One namespace of the layers' part: `ctx.memory` from "memory.store", "memory.search"… */
function namespace(names: readonly string[], call: CallFn): Namespace {
	const ns: Namespace = {};
	for (const name of names) place(ns, name.split(".").slice(1), (...args) => call(name, args));
	return ns;
}

function build(agentId: string, methods: readonly string[], call: CallFn, log: LogFn): Namespace {
	const ctx: Namespace = { agentId, ...runtimePart(call, log) };
	for (const [key, names] of byNamespace(methods)) Object.defineProperty(ctx, key, { value: namespace(names, call), enumerable: true });
	return ctx;
}

/**
 * The `ctx` handed to agent code: the runtime's own methods and the `methods` the node's
 * layers registered, each one call through its actor. AgentContext is the typed surface
 * agent authors code against; what a node does not offer is refused by its actor.
 */
export function createAgentContext(agentId: string, methods: readonly string[], call: CallFn, log: LogFn): AgentContext {
	return agentContext(build(agentId, methods, call, log));
}

/**
 * The one place a ctx built from names becomes the typed AgentContext: the runtime's part
 * is checked here; the layers' part is the contract AgentContext states for a node with
 * every layer, which the node's registry (ctxMethodsOf) fulfils.
 */
function agentContext(ctx: object): AgentContext {
	if (!isAgentContext(ctx)) throw new TypeError("an agent's ctx lacks the runtime's own methods");
	return ctx;
}

function isAgentContext(ctx: object): ctx is AgentContext {
	return "agentId" in ctx && "agents" in ctx && "state" in ctx && "log" in ctx;
}

/**
 * Makes the `ctx` of each task: the same methods, whose calls name the task. Each namespace
 * is built on first use, so a task that never touches its ctx costs one small object —
 * building every method for each task would cost an in-process agent more than the rest
 * of its round trip.
 */
export function taskContexts<T>(agentId: string, methods: readonly string[], callFor: (method: string, args: unknown[], task: T) => Promise<unknown>, log: LogFn): (task: T) => AgentContext {
	class TaskContext {
		/** The namespaces built so far, each on first use. */
		built: Namespace | undefined;
		constructor(
			readonly agentId: string,
			readonly task: T
		) {}
	}
	const callOf = (ctx: TaskContext): CallFn => (method, args) => callFor(method, args, ctx.task);
	const define = (key: string, make: (ctx: TaskContext) => unknown) =>
		Object.defineProperty(TaskContext.prototype, key, {
			enumerable: true,
			get(this: TaskContext) {
				const built = (this.built ??= {});
				if (!Object.hasOwn(built, key)) Object.defineProperty(built, key, { value: make(this), enumerable: true });
				return built[key];
			}
		});
	for (const key of RUNTIME) define(key, ctx => runtimePart(callOf(ctx), log)[key]);
	for (const [key, names] of byNamespace(methods)) define(key, ctx => namespace(names, callOf(ctx)));
	// The namespaces are the prototype's getters.
	return task => agentContext(new TaskContext(agentId, task));
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
