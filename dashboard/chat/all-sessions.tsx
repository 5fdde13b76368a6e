/**
 * For admins on the Chat page: every identity's sessions with the agent and whose each is
 * (GET /agents/:id/all-sessions, admin scope). Each listing is audited, so it loads only when
 * the admin opens it, not on every visit to the page.
 */
import { useState } from "preact/hooks";
import type { SessionSummary } from "../../sdk/memory";
import { api } from "../api";
import { ErrorBanner } from "../components/error-banner";
import { Time } from "../components/time";
import { useLoad } from "../load";

export function AllSessions({ agentId }: { agentId: string }) {
	const [open, setOpen] = useState(false);
	return (
		<details class="all-sessions" onToggle={e => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
			<summary>Everyone's sessions (admin)</summary>
			{open && <OwnedSessions agentId={agentId} />}
		</details>
	);
}

function OwnedSessions({ agentId }: { agentId: string }) {
	const sessions = useLoad(() => api.get<{ items: SessionSummary[] }>(`/agents/${encodeURIComponent(agentId)}/all-sessions`), [agentId]);
	const items = sessions.data?.items ?? [];
	return (
		<>
			<ErrorBanner error={sessions.error} />
			<ul class="session-list" aria-label={`Everyone's sessions with ${agentId}`}>
				{items.map(s => (
					<li key={`${s.owner}/${s.sessionId}`}>
						<code>{s.sessionId}</code>
						<span class="hint">
							{s.owner} · {s.messages} messages · <Time value={s.lastAt} />
						</span>
					</li>
				))}
				{!sessions.loading && items.length === 0 && <li class="hint">Nobody has a session yet.</li>}
			</ul>
		</>
	);
}
