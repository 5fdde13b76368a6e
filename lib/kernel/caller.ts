/** Who made a call: a person, an agent or the system, as every layer sees it in ctx.meta. */
export interface Caller {
	kind: "user" | "agent" | "system";
	id: string;
	/** The node the call came from, for agents. */
	node?: string;
	/** For agents: how far they are trusted (supervised agents wait for approvals). */
	trustLevel?: "supervised" | "semi-autonomous" | "autonomous";
	/** For the system acting for someone (a schedule, for the identity that created it): that identity, whose the tasks it sends are. */
	onBehalfOf?: string;
}

/**
 * The identity a chat session belongs to: a person's token id (`token:<id>`, or `admin`
 * for the gateway's own token), `agent:<id>` for an agent, `system` for a node or an
 * operator inside the cluster. A session is only ever reached by the identity that
 * started it, so naming (or guessing) another's session id reaches nothing of theirs.
 */
export function sessionOwnerOf(caller: Caller): string {
	if (caller.kind === "agent") return `agent:${caller.id}`;
	if (caller.kind === "system") return "system";
	return caller.id;
}

/**
 * The identity a task belongs to: its caller's, as for sessions, or the one the system sent
 * it for (a schedule's creator). Only that identity (and an admin) sees, cancels or resumes
 * it; the task store's SQL names owners the same way (actors/task-store.ts, ownerSql).
 */
export function taskOwnerOf(caller: Caller): string {
	return caller.onBehalfOf ?? sessionOwnerOf(caller);
}
