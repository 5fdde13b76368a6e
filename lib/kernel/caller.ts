/** Who made a call: a person, an agent or the system, as every layer sees it in ctx.meta. */
export interface Caller {
	kind: "user" | "agent" | "system";
	id: string;
	/** The node the call came from, for agents. */
	node?: string;
	/** For agents: how far they are trusted (supervised agents wait for approvals). */
	trustLevel?: "supervised" | "semi-autonomous" | "autonomous";
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
