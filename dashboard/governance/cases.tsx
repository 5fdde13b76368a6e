/** Moderation cases with their evidence; moderators assign them and resolve them (dismiss, or a sanction). */
import { useState } from "preact/hooks";
import { api, shown, type ShownError } from "../api";
import { AnySelect, Choice } from "../components/choice";
import { ConfirmButton } from "../components/confirm";
import { ErrorBanner } from "../components/error-banner";
import { GuardedButton } from "../components/guarded";
import { PagedTable } from "../components/paged-table";
import { Time } from "../components/time";
import { useLiveEvent } from "../live";
import { useLoad } from "../load";
import { DurationField } from "./duration-field";
import { entityPage, type Case } from "./entity-page";

const DECISIONS = ["dismiss", "warn", "throttle", "quarantine", "ban"] as const;
const STATES = ["open", "assigned", "resolved"] as const;

export function CasesView() {
	const [state, setState] = useState<(typeof STATES)[number] | "">("");
	const [refresh, setRefresh] = useState(0);
	const [open, setOpen] = useState<string | undefined>(undefined);
	useLiveEvent("cases.changed", () => setRefresh(n => n + 1));
	const bump = () => setRefresh(n => n + 1);
	return (
		<div>
			<div class="toolbar">
				<AnySelect label="State" value={state} options={STATES} onChange={setState} />
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
				<Choice label="Decision" value={decision} options={DECISIONS} onChange={setDecision} />
				<label>
					Resolution
					<textarea value={resolution} onInput={e => setResolution((e.target as HTMLTextAreaElement).value)} />
				</label>
				<DurationField value={duration} onChange={setDuration} />
			</ConfirmButton>
		</div>
	);
}
