/** Reputation: the leaderboard, and one agent's score with the history of what changed it (`#/society/reputation/<agent>`). */
import { sdk } from "../../api";
import { ErrorBanner } from "../../components/error-banner";
import { PagedTable } from "../../components/paged-table";
import { Time } from "../../components/time";
import { useLoad } from "../../load";
import { href, type PageProps } from "../../router";

interface HistoryEntry {
	id: number;
	kind: string;
	delta: number;
	reason: string;
	actor: string | null;
	at: string;
}

/** The SDK types history entries loosely (records); these are the fields the reputation store writes. */
function historyEntry(h: Record<string, unknown>): HistoryEntry {
	return { id: Number(h.id), kind: String(h.kind), delta: Number(h.delta), reason: String(h.reason ?? ""), actor: typeof h.actor === "string" ? h.actor : null, at: String(h.at) };
}

export function ReputationTab({ params }: PageProps) {
	const [agentId] = params;
	return (
		<div class="grid-2">
			<PagedTable<{ agentId: string; reputation: number }>
				caption="Leaderboard"
				rowKey={r => r.agentId}
				load={({ limit, offset }) => sdk().society.reputation.list({ limit, offset })}
				columns={[
					{ key: "rank", title: "Agent", render: r => <a href={href("society", "reputation", r.agentId)}>{r.agentId}</a> },
					{ key: "reputation", title: "Reputation", render: r => r.reputation }
				]}
			/>
			{agentId ? <History agentId={agentId} /> : <p class="hint">Choose an agent to see what changed its reputation.</p>}
		</div>
	);
}

function History({ agentId }: { agentId: string }) {
	const rep = useLoad(() => sdk().society.reputation.get(agentId), [agentId]);
	const history = (rep.data?.history ?? []).map(historyEntry);
	return (
		<section aria-label={`Reputation history of ${agentId}`}>
			<h2>
				{agentId}: {rep.data?.reputation ?? "…"}
			</h2>
			<ErrorBanner error={rep.error} />
			<ol class="timeline">
				{history.map(h => (
					<li key={h.id}>
						<span class={h.delta >= 0 ? "delta-up" : "delta-down"}>{h.delta >= 0 ? `+${h.delta}` : h.delta}</span> {h.kind} · <span class="text">{h.reason}</span>
						<span class="hint">
							{" "}
							· <Time value={h.at} />
							{h.actor ? ` · by ${h.actor}` : ""}
						</span>
					</li>
				))}
				{!rep.loading && history.length === 0 && <li class="hint">No changes yet.</li>}
			</ol>
		</section>
	);
}
