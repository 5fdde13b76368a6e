/**
 * `ctx.memory` for agent code: its own memories and chat histories, each method one
 * `memory.*` action with the agent's id, registered in the node's ctx registry by the
 * composition root.
 */
import { actionMethod, asObject, type CtxMethod } from "../../actors/ctx-registry";

const own = (name: string, capability: "memory.read" | "memory.write") =>
	actionMethod(`memory.${name}`, `memory.${name}`, capability, ([query], agent) => ({ ...asObject(query), agentId: agent.id }));

const byId = (name: string, capability: "memory.read" | "memory.write") =>
	actionMethod(`memory.${name}`, `memory.${name}`, capability, ([memoryId], agent) => ({ memoryId, agentId: agent.id }));

function ownerParam(owner: unknown): { owner?: unknown } {
	return owner !== undefined && owner !== null ? { owner } : {};
}

export const memoryCtxMethods: readonly CtxMethod[] = [
	own("store", "memory.write"),
	own("search", "memory.read"),
	byId("get", "memory.read"),
	byId("forget", "memory.write"),
	own("list", "memory.read"),
	/**
	 * ctx.memory.history(sessionId, window?, owner?): the session's recent messages and the
	 * summary of older ones. A session belongs to an owner (the agent itself when none is
	 * named); the declarative loop names the task's caller, so callers never share one.
	 */
	actionMethod("memory.history", "memory.history", "memory.read", ([sessionId, window, owner], agent) => ({
		sessionId,
		...(window !== undefined && window !== null ? { window } : {}),
		...ownerParam(owner),
		agentId: agent.id
	})),
	/** ctx.memory.appendHistory(sessionId, messages, owner?). */
	actionMethod("memory.appendHistory", "memory.appendHistory", "memory.write", ([sessionId, messages, owner], agent) => ({ sessionId, messages, ...ownerParam(owner), agentId: agent.id }))
];
