import { sessionOwnerOf, type Caller } from "../kernel/caller";
import type { HistoryWindow, SessionKey } from "./conversation-store";
import { MemoryInvalidError, SessionNotFoundError } from "./memory-errors";

/**
 * Whose chat session a call is about. A person through the gateway reaches only their own
 * (their token's identity) and may not name another; an agent names whose session it keeps
 * (its runtime names the task's caller) or, naming none, keeps its own; an operator inside
 * the cluster (no gateway user) may name any owner.
 */
export function sessionOwnerFor(caller: Caller, throughGateway: boolean, named: string | undefined, agentId: string): string {
	if (named !== undefined && caller.kind !== "agent" && throughGateway) {
		throw new MemoryInvalidError("owner", `is your token's own; an admin reads another's session at GET /api/v1/agents/${agentId}/all-sessions/:owner/:sessionId`);
	}
	return named ?? sessionOwnerOf(caller);
}

/** A person's view of a session: an empty one is not theirs (or does not exist), and the answer does not say which. */
export function existingSession(key: SessionKey, window: HistoryWindow): HistoryWindow {
	if (window.total === 0 && window.summary === null) throw new SessionNotFoundError(key.agentId, key.sessionId);
	return window;
}
