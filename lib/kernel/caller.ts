/** Who made a call: a person, an agent or the system, as every layer sees it in ctx.meta. */
export interface Caller {
	kind: "user" | "agent" | "system";
	id: string;
	/** The node the call came from, for agents. */
	node?: string;
	/** For agents: how far they are trusted (supervised agents wait for approvals). */
	trustLevel?: "supervised" | "semi-autonomous" | "autonomous";
}
