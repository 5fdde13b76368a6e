/** The agent states (DESIGN.md, "Supervision"), for the state filter. */
export const AGENT_STATES = ["pending", "starting", "running", "idle", "stopping", "stopped", "restarting", "crashed", "quarantined"] as const;

export function StateBadge({ state }: { state: string }) {
	return <span class={`state state-${state}`}>{state}</span>;
}
