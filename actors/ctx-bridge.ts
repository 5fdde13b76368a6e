import type { ServiceBroker } from "moleculer";
import type { Caller } from "./agent-api";
import type { EnvelopeSigner } from "./envelope";
import { PermissionDeniedError } from "./errors";
import type { AgentManifest } from "./manifest-types";
import type { StateStore } from "./state-store";
import type { CtxMethod } from "./workers/protocol";

export interface BridgeDeps {
	broker: ServiceBroker;
	manifest: AgentManifest;
	signer: EnvelopeSigner;
	state: StateStore;
}

type Handler = (args: unknown[], caller: Caller) => Promise<unknown>;

interface Route {
	/** The capability the agent's manifest must ask for; `undefined` for its own state. */
	capability?: string;
	handler: Handler;
}

/** Whether `permissions` grant `capability`: exactly, or by a `family.*` or `*` wildcard. */
export function hasCapability(permissions: readonly string[], capability: string): boolean {
	const family = capability.slice(0, capability.indexOf("."));
	return permissions.includes(capability) || permissions.includes(`${family}.*`) || permissions.includes("*");
}

const obj = (value: unknown): Record<string, unknown> => (value && typeof value === "object" ? (value as Record<string, unknown>) : {});

/**
 * What agent code may ask of the cluster, and the capability each needs. Every call
 * goes out with the agent's identity in `meta.caller`, so the services it reaches can
 * check and audit it; anything not listed here does not exist for agent code.
 */
export function createCtxBridge(deps: BridgeDeps): (method: CtxMethod, args: unknown[]) => Promise<unknown> {
	const { broker, manifest, signer, state } = deps;
	const id = manifest.id;
	const call = (action: string, params: unknown, caller: Caller, timeout?: number) =>
		broker.call(action, params, { meta: { caller }, ...(timeout ? { timeout } : {}) });

	const routes: Record<CtxMethod, Route> = {
		"llm.chat": { capability: "llm.execute", handler: ([req], c) => call("mal.chat", { ...obj(req), agentId: id }, c) },
		"llm.embed": { capability: "llm.execute", handler: ([req], c) => call("mal.embed", { ...obj(req), agentId: id }, c) },
		"memory.store": { capability: "memory.write", handler: ([m], c) => call("memory.store", { ...obj(m), agentId: id }, c) },
		"memory.search": { capability: "memory.read", handler: ([q], c) => call("memory.search", { ...obj(q), agentId: id }, c) },
		"memory.get": { capability: "memory.read", handler: ([memoryId], c) => call("memory.get", { id: memoryId, agentId: id }, c) },
		"memory.forget": { capability: "memory.write", handler: ([memoryId], c) => call("memory.forget", { id: memoryId, agentId: id }, c) },
		"memory.list": { capability: "memory.read", handler: ([q], c) => call("memory.list", { ...obj(q), agentId: id }, c) },
		"tools.list": { capability: "tools.execute", handler: (_args, c) => call("tools.list", {}, c) },
		"tools.invoke": {
			capability: "tools.execute",
			handler: ([toolId, args], c) => call("tools.invoke", { agentId: id, toolId, arguments: obj(args) }, c)
		},
		"agents.ask": {
			capability: "a2a.send",
			handler: ([target, task, options], c) => {
				const timeoutMs = obj(options).timeoutMs as number | undefined;
				const envelope = signer.seal(id, String(target), broker.nodeID, task);
				// The transport may wait a little longer than the task itself, so the agent's own timeout answers first.
				return call(`agent.${String(target)}.ask`, { task, envelope, ...(timeoutMs ? { timeoutMs } : {}) }, c, timeoutMs ? timeoutMs + 5000 : undefined);
			}
		},
		"agents.send": {
			capability: "a2a.send",
			handler: ([target, task], c) => call(`agent.${String(target)}.tell`, { task, envelope: signer.seal(id, String(target), broker.nodeID, task) }, c)
		},
		"state.get": { handler: ([key]) => state.get(id, String(key)) },
		"state.set": { handler: ([key, value]) => state.set(id, String(key), value) },
		"state.delete": { handler: ([key]) => state.delete(id, String(key)) },
		"state.list": { handler: () => state.list(id) }
	};

	const caller: Caller = { kind: "agent", id, node: broker.nodeID };
	return async (method, args) => {
		const route = routes[method];
		if (!route) throw new PermissionDeniedError(id, method);
		if (route.capability && !hasCapability(manifest.permissions, route.capability)) throw new PermissionDeniedError(id, route.capability);
		return route.handler(Array.isArray(args) ? args : [], caller);
	};
}
