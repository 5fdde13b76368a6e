/** Moderation cases with their evidence; moderators assign them and resolve them (dismiss, or a sanction). */
import { useState } from "preact/hooks";
import { api, shown, type ShownError } from "../api";
import { ConfirmButton } from "../components/confirm";
import { ErrorBanner } from "../components/error-banner";
import { GuardedButton } from "../components/guarded";
import { PagedTable } from "../components/paged-table";
import { Time } from "../components/time";
import { useLiveEvent } from "../live";
import { useLoad } from "../load";
import { entityPage, type Case } from "./entity-page";

const DECISIONS = ["dismiss", "warn", "throttle", "quarantine", "ban"] as const;

export function CasesView() {
	const [state, setState] = useState("");
	const [refresh, setRefresh] = useState(0);
	const [open, setOpen] = useState<string | undefined>(undefined);
	useLiveEvent("cases.changed", () => setRefresh(n => n + 1));
	const bump = () => setRefresh(n => n + 1);
	return (
		<div>
			<div class="toolbar">
				<label>
					State
					<select value={state} onChange={e => setState((e.target as HTMLSelectElement).value)}>
						<option value="">any</option>
						<option value="open">open</option>
						<option value="assigned">assigned</option>
						<option value="resolved">resolved</option>
					</select>
				</label>
			</div>
			<PagedTable<Case>
				caption="Moderation cases"
				load={({ limit, offset }) => entityPage<Case>("/cases", limit, offset, { state: state || undefined })}
				rowKey={c => c.id}
				deps={[state]}
				refresh={refresh}
				columns={[
					{ key: "createdAt", title: "Opened", render: c => <Time value={c.createdAt} /> },
					{ key: "subjectId", title: "Agent", render: c => c.subjectId },
					{ key: "reason", title: "Reason", render: c => c.reason },
					{ key: "state", title: "State", render: c => <span class="state">{c.state}{c.decision ? `: ${c.decision}` : ""}</span> },
					{ key: "assignee", title: "Assignee", render: c => c.assignee ?? "—" },
					{
						key: "evidence",
						title: "Evidence",
						render: c => (
							<button type="button" class="link" aria-expanded={open === c.id} onClick={() => setOpen(open === c.id ? undefined : c.id)}>
								{c.evidence.length} item{c.evidence.length === 1 ? "" : "s"}
							</button>
						)
					},
					{ key: "actions", title: "", render: c => (c.state === "resolved" ? c.resolution : <CaseActions c={c} onDone={bump} />) }
				]}
			/>
			{open && <Evidence id={open} />}
		</div>
	);
}

function Evidence({ id }: { id: string }) {
	const loaded = useLoad(() => api.get<Case>(`/cases/${encodeURIComponent(id)}`), [id]);
	return (
		<section aria-label="Evidence">
			<h3>Evidence of case {id}</h3>
			<ErrorBanner error={loaded.error} />
			{/* Evidence is what agents and people did: shown as text, never as HTML. */}
			<pre class="log">{loaded.data ? JSON.stringify(loaded.data.evidence, null, 2) : "Loading…"}</pre>
		</section>
	);
}

function CaseActions({ c, onDone }: { c: Case; onDone(): void }) {
	const [decision, setDecision] = useState<(typeof DECISIONS)[number]>("dismiss");
	const [resolution, setResolution] = useState("");
	const [duration, setDuration] = useState("");
	const [error, setError] = useState<ShownError | undefined>(undefined);
	const assign = () => api.post(`/cases/${encodeURIComponent(c.id)}/assign`).then(onDone, err => setError(shown(err)));
	return (
		<div class="actions">
			<ErrorBanner error={error} onDismiss={() => setError(undefined)} />
			<GuardedButton scope="governance" onClick={assign}>
				Assign to me
			</GuardedButton>
			<ConfirmButton
				scope="governance"
				label="Resolve"
				title={`Resolve the case about ${c.subjectId}`}
				action={() => api.post(`/cases/${encodeURIComponent(c.id)}/resolve`, { decision, resolution, duration: duration || undefined })}
				onDone={onDone}
			>
				<label>
					Decision
					<select value={decision} onChange={e => setDecision((e.target as HTMLSelectElement).value as (typeof DECISIONS)[number])}>
						{DECISIONS.map(d => (
							<option key={d} value={d}>
								{d}
							</option>
						))}
					</select>
				</label>
				<label>
					Resolution
					<textarea value={resolution} onInput={e => setResolution((e.target as HTMLTextAreaElement).value)} />
				</label>
				<label>
					Duration (30m, 2h, 7d; none: until lifted)
					<input value={duration} onInput={e => setDuration((e.target as HTMLInputElement).value)} />
				</label>
			</ConfirmButton>
		</div>
	);
}
