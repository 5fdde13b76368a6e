/**
 * The lifecycle of an agent. Every transition is persisted and emitted; any other move
 * is a bug in the runtime, so it throws rather than corrupting the recorded history.
 */
export const AGENT_STATES = ["pending", "starting", "running", "restarting", "stopping", "stopped", "crashed", "quarantined"] as const;
export type AgentState = (typeof AGENT_STATES)[number];

const ALLOWED: Record<AgentState, readonly AgentState[]> = {
	pending: ["starting", "stopped", "quarantined"],
	starting: ["running", "restarting", "crashed", "stopping", "stopped", "quarantined"],
	running: ["restarting", "stopping", "crashed", "stopped", "quarantined"],
	restarting: ["starting", "crashed", "stopping", "stopped", "quarantined"],
	stopping: ["stopped", "crashed"],
	stopped: ["starting", "quarantined"],
	crashed: ["starting", "stopped", "quarantined"],
	quarantined: ["stopped", "starting"]
};

export function canTransition(from: AgentState, to: AgentState): boolean {
	return ALLOWED[from].includes(to);
}

/** States in which a task may be accepted into the mailbox (it waits while the worker restarts). */
export function acceptsTasks(state: AgentState): boolean {
	return state === "running" || state === "starting" || state === "restarting";
}

export interface Transition {
	agentId: string;
	from: AgentState;
	to: AgentState;
	reason: string;
	node: string;
	at: Date;
}
