/**
 * What agent code may ask of the cluster beyond the runtime's own (`ctx.state`,
 * `ctx.agents`, `ctx.log`): a registry the layers above fill when the node is composed
 * (the framework its `llm`, memory its `memory`, society its `society`…). The runtime routes
 * every ctx call through it and knows none of the methods, so a new capability never
 * touches the runtime. A name not registered does not exist for agent code.
 */
import type { ServiceBroker } from "moleculer";
import type { Caller } from "../lib/kernel/caller";
import { isCapability, type Capability } from "../lib/security/capabilities";
import { CtxMethodInvalidError } from "./errors";
import type { AgentManifest } from "./manifest-types";

/** An action call as the agent, for the task at hand; `timeout` only ever shortens the task's remaining time. */
export type CtxCall = (action: string, params: unknown, timeout?: number) => Promise<unknown>;

/** The task a ctx call runs for. */
export interface CtxTask {
	/** Who sent it (a person's token, another agent, the cluster). */
	readonly caller?: Caller;
}

/** The agent a ctx call is made by. */
export interface CtxAgent {
	readonly id: string;
	readonly manifest: AgentManifest;
	/** The node's broker, for what is not an action call as the agent (a stream relay). */
	readonly broker: ServiceBroker;
}

export interface CtxMethod {
	/** How agent code calls it: "society.forums.post" is `ctx.society.forums.post(...)`. */
	readonly name: string;
	/**
	 * The capability the call needs, or null for none. It is not checked here: the action
	 * the call reaches declares it (`permission`), and the security middleware checks the
	 * agent's grant, with audit, on the node where that action runs.
	 */
	readonly capability: Capability | null;
	/** The action it reaches, when it reaches one. */
	readonly action?: string;
	/**
	 * Answers the call with the agent's arguments (checked by the input rules already), as the
	 * agent; `task` is the task it runs for, if any (who sent it).
	 */
	handle(args: unknown[], call: CtxCall, agent: CtxAgent, task?: CtxTask): Promise<unknown>;
}

/** The runtime's own part of ctx (actors/runtime-ctx.ts); no layer registers under these. */
export const RUNTIME_NAMESPACES: readonly string[] = ["agentId", "agents", "state", "log", "waitFor"];

/** Name segments agent code could not be given safely: inherited properties, and `then` (it would make ctx a thenable). */
const SEGMENT = /^[a-z][A-Za-z0-9]*$/;
const unsafeSegment = (segment: string) => !SEGMENT.test(segment) || segment in Object.prototype || segment === "then";

/** The shape of a ctx method's name: `namespace.method` or deeper, every part a safe word. */
export function isCtxMethodName(name: unknown): name is string {
	if (typeof name !== "string") return false;
	const segments = name.split(".");
	return segments.length >= 2 && !segments.some(unsafeSegment);
}

export const asObject = (value: unknown): Record<string, unknown> => (value && typeof value === "object" ? (value as Record<string, unknown>) : {});

/** A method that is one action call, its params made from the agent's arguments. */
export function actionMethod(
	name: string,
	action: string,
	capability: Capability | null,
	params: (args: unknown[], agent: CtxAgent, task?: CtxTask) => unknown = () => ({})
): CtxMethod {
	return { name, action, capability, handle: (args, call, agent, task) => call(action, params(args, agent, task)) };
}

export class CtxRegistry {
	private readonly methods = new Map<string, CtxMethod>();

	/** Adds methods; a name that is taken, the runtime's, or unsafe is a composition bug and throws at once. */
	register(...methods: CtxMethod[]): this {
		for (const method of methods) {
			const problem = this.problem(method.name) ?? (method.capability === null || isCapability(method.capability) ? undefined : `"${String(method.capability)}" is not a capability`);
			if (problem) throw new CtxMethodInvalidError(method.name, problem);
			this.methods.set(method.name, method);
		}
		return this;
	}

	/** The method of that name; a Map, so `constructor` or `__proto__` find nothing. */
	get(name: string): CtxMethod | undefined {
		return this.methods.get(name);
	}

	/** Every registered name, for the worker that builds agent code's ctx from them. */
	names(): string[] {
		return [...this.methods.keys()];
	}

	private problem(name: string): string | undefined {
		if (!isCtxMethodName(name)) return "it must be `namespace.method`, each part a camelCase word, not an inherited property or `then`";
		const segments = name.split(".");
		if (RUNTIME_NAMESPACES.includes(segments[0])) return `ctx.${segments[0]} is the runtime's own`;
		if (this.methods.has(name)) return "it is registered already";
		// ctx.x.y cannot be both a method and a namespace of methods.
		for (const taken of this.methods.keys()) if (taken.startsWith(`${name}.`) || name.startsWith(`${taken}.`)) return `it clashes with "${taken}"`;
		return undefined;
	}
}

const nodes = new WeakMap<ServiceBroker, CtxRegistry>();

/**
 * The ctx methods of the node whose broker this is: the composition root fills it before
 * the broker starts, and every agent the node runs gets them.
 */
export function ctxMethodsOf(broker: ServiceBroker): CtxRegistry {
	let registry = nodes.get(broker);
	if (!registry) nodes.set(broker, (registry = new CtxRegistry()));
	return registry;
}
