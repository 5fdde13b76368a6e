/**
 * A labelled picker of agents (GET /api/v1/agents, the first 1,000), for pages that work on
 * one agent at a time (Chat, Memory). `runtime` limits it to agents of one runtime. A token
 * that may not list agents (no agents:read) types the agent's id instead.
 */
import { sdk } from "../api";
import { useLoad } from "../load";
import { can } from "../session";
import { ErrorBanner } from "./error-banner";

export interface AgentSelectProps {
	label: string;
	value: string | undefined;
	onChange(agentId: string): void;
	runtime?: string;
}

export function AgentSelect(props: AgentSelectProps) {
	return can("agents:read") ? <AgentList {...props} /> : <AgentIdInput {...props} />;
}

function AgentIdInput({ label, value, onChange }: AgentSelectProps) {
	return (
		<form onSubmit={e => (e.preventDefault(), onChange(String(new FormData(e.currentTarget).get("agentId") ?? "").trim()))}>
			<label>
				{label} <input name="agentId" defaultValue={value} required title="needs scope agents:read to list the agents: type an agent's id" />
			</label>{" "}
			<button type="submit">Open</button>
		</form>
	);
}

function AgentList({ label, value, onChange, runtime }: AgentSelectProps) {
	const agents = useLoad(() => sdk().agents.list({ limit: 1000 }), []);
	const items = (agents.data?.items ?? []).filter(a => !runtime || a.runtime === runtime);
	return (
		<label>
			{label}
			<select value={value ?? ""} onChange={e => onChange((e.target as HTMLSelectElement).value)} aria-busy={agents.loading}>
				<option value="" disabled>
					{agents.loading ? "Loading agents…" : items.length ? "Choose an agent" : "No agents"}
				</option>
				{items.map(a => (
					<option key={a.id} value={a.id}>
						{a.name === a.id ? a.id : `${a.name} (${a.id})`} · {a.state}
					</option>
				))}
			</select>
			<ErrorBanner error={agents.error} />
		</label>
	);
}
