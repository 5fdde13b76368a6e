/** Appeals against sanctions; moderators uphold the sanction or lift it, with a note. */
import { useState } from "preact/hooks";
import { api } from "../api";
import { AnySelect } from "../components/choice";
import { ConfirmButton } from "../components/confirm";
import { PagedTable } from "../components/paged-table";
import { Time } from "../components/time";
import { useLiveEvent } from "../live";
import { entityPage, type Appeal } from "./entity-page";

const STATES = ["open", "upheld", "lifted"] as const;

export function AppealsView() {
	const [state, setState] = useState<(typeof STATES)[number] | "">("open");
	const [refresh, setRefresh] = useState(0);
	useLiveEvent("appeals.changed", () => setRefresh(n => n + 1));
	return (
		<div>
			<div class="toolbar">
				<AnySelect label="State" value={state} options={STATES} onChange={setState} />
			</div>
			<PagedTable<Appeal>
				caption="Appeals"
				load={({ limit, offset }) => entityPage<Appeal>("/appeals", limit, offset, { state: state || undefined })}
				rowKey={a => a.id}
				deps={[state]}
				refresh={refresh}
				columns={[
					{ key: "createdAt", title: "Filed", render: a => <Time value={a.createdAt} /> },
					{ key: "agentId", title: "Agent", render: a => a.agentId },
					{ key: "appellant", title: "By", render: a => a.appellant },
					{ key: "statement", title: "Statement", render: a => a.statement },
					{ key: "state", title: "State", render: a => <span class="state">{a.state}</span> },
					{ key: "decision", title: "Decision", render: a => (a.state === "open" ? <Decide a={a} onDone={() => setRefresh(n => n + 1)} /> : `${a.decisionNote ?? ""} (${a.decidedBy ?? ""})`) }
				]}
			/>
		</div>
	);
}

function Decide({ a, onDone }: { a: Appeal; onDone(): void }) {
	const [note, setNote] = useState("");
	const field = (
		<label>
			Note
			<textarea value={note} onInput={e => setNote((e.target as HTMLTextAreaElement).value)} />
		</label>
	);
	const decide = (decision: "uphold" | "lift") => () => api.post(`/appeals/${encodeURIComponent(a.id)}/resolve`, { decision, note });
	return (
		<div class="actions">
			<ConfirmButton scope="governance" label="Uphold" title={`Uphold the sanction on ${a.agentId}?`} action={decide("uphold")} onDone={onDone}>
				{field}
			</ConfirmButton>
			<ConfirmButton scope="governance" label="Lift" title={`Lift the sanction on ${a.agentId}?`} action={decide("lift")} onDone={onDone}>
				{field}
			</ConfirmButton>
		</div>
	);
}
