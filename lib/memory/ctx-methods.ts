/**
 * `ctx.memory` for agent code: its own memories and chat histories, each method one
 * `memory.*` action with the agent's id, registered in the node's ctx registry by the
 * composition root.
 */
import { actionMethod, asObject, type CtxMethod, type CtxTask } from "../../actors/ctx-registry";
import { sessionOwnerOf } from "../kernel/caller";

const own = (name: string, capability: "memory.read" | "memory.write") =>
	actionMethod(`memory.${name}`, `memory.${name}`, capability, ([query], agent) => ({ ...asObject(query), agentId: agent.id }));

const byId = (name: string, capability: "memory.read" | "memory.write") =>
	actionMethod(`memory.${name}`, `memory.${name}`, capability, ([memoryId], agent) => ({ memoryId, agentId: agent.id }));

function ownerParam(owner: unknown): { owner?: unknown } {
	return owner !== undefined && owner !== null ? { owner } : {};
}

/** Whose session a call for a task keeps by default: the task's sender's. */
const taskOwner = (task: CtxTask | undefined): string | undefined => (task?.caller ? sessionOwnerOf(task.caller) : undefined);

export const memoryCtxMethods: readonly CtxMethod[] = [
	own("store", "memory.write"),
	own("search", "memory.read"),
	byId("get", "memory.read"),
	byId("forget", "memory.write"),
	own("list", "memory.read"),
	/**
	 * ctx.memory.history(sessionId, window?, owner?): the session's recent messages and the
	 * summary of older ones. A session belongs to an owner: the one the agent names, else the
	 * sender of the task the call runs for (so two people naming the same session id never
	 * share it), else, outside a task (onStart), the agent itself.
	 */
	actionMethod("memory.history", "memory.history", "memory.read", ([sessionId, window, owner], agent, task) => ({
		sessionId,
		...(window !== undefined && window !== null ? { window } : {}),
		...ownerParam(owner ?? taskOwner(task)),
		agentId: agent.id
	})),
	/** ctx.memory.appendHistory(sessionId, messages, owner?): the same owner as history's. */
	actionMethod("memory.appendHistory", "memory.appendHistory", "memory.write", ([sessionId, messages, owner], agent, task) => ({
		sessionId,
		messages,
		...ownerParam(owner ?? taskOwner(task)),
		agentId: agent.id
	}))
];
