/** Sanctions, in force or ended; moderators apply and lift them, each with a reason. */
import { useState } from "preact/hooks";
import type { Sanction } from "../../sdk/society";
import { api } from "../api";
import { AnySelect, Choice } from "../components/choice";
import { ConfirmButton } from "../components/confirm";
import { PagedTable } from "../components/paged-table";
import { Time } from "../components/time";
import { useLiveEvent } from "../live";
import { DurationField } from "./duration-field";
import { entityPage } from "./entity-page";

const KINDS = ["warn", "throttle", "quarantine", "ban"] as const;

function inForce(s: Sanction): boolean {
	return !s.liftedAt && (!s.expiresAt || Date.parse(s.expiresAt) > Date.now());
}

export function SanctionsView() {
	const [agentId, setAgentId] = useState("");
	const [kind, setKind] = useState<(typeof KINDS)[number] | "">("");
	const [refresh, setRefresh] = useState(0);
	useLiveEvent("sanctions.changed", () => setRefresh(n => n + 1));
	const bump = () => setRefresh(n => n + 1);
	return (
		<div>
			<div class="toolbar">
				<label>
					Agent
					<input value={agentId} onChange={e => setAgentId((e.target as HTMLInputElement).value.trim())} placeholder="any" />
				</label>
				<AnySelect label="Kind" value={kind} options={KINDS} onChange={setKind} />
				<ApplySanction onDone={bump} />
			</div>
			<PagedTable<Sanction>
				caption="Sanctions"
				load={({ limit, offset }) => entityPage<Sanction>("/sanctions", limit, offset, { agentId: agentId || undefined, kind: kind || undefined })}
				rowKey={s => s.id}
				deps={[agentId, kind]}
				refresh={refresh}
				columns={[
					{ key: "createdAt", title: "Since", render: s => <Time value={s.createdAt} /> },
					{ key: "agentId", title: "Agent", render: s => s.agentId },
					{ key: "kind", title: "Kind", render: s => <span class={`state sanction-${s.kind}`}>{s.kind}</span> },
					{ key: "reason", title: "Reason", render: s => s.reason },
					{ key: "ends", title: "Ends", render: s => (s.liftedAt ? <>lifted <Time value={s.liftedAt} /></> : s.expiresAt ? <Time value={s.expiresAt} /> : "when lifted") },
					{ key: "by", title: "By", render: s => s.createdBy },
					{ key: "actions", title: "", render: s => (inForce(s) ? <LiftSanction s={s} onDone={bump} /> : null) }
				]}
			/>
		</div>
	);
}

function LiftSanction({ s, onDone }: { s: Sanction; onDone(): void }) {
	const [reason, setReason] = useState("");
	return (
		<ConfirmButton scope="governance" label="Lift" title={`Lift the ${s.kind} on ${s.agentId}?`} action={() => api.post(`/sanctions/${encodeURIComponent(s.id)}/lift`, { reason })} onDone={onDone}>
			<label>
				Reason
				<textarea value={reason} onInput={e => setReason((e.target as HTMLTextAreaElement).value)} />
			</label>
		</ConfirmButton>
	);
}

function ApplySanction({ onDone }: { onDone(): void }) {
	const [agentId, setAgentId] = useState("");
	const [kind, setKind] = useState<(typeof KINDS)[number]>("warn");
	const [reason, setReason] = useState("");
	const [duration, setDuration] = useState("");
	return (
		<ConfirmButton
			scope="governance"
			label="Apply a sanction…"
			title="Apply a sanction"
			confirmLabel="Apply"
			danger
			action={() => api.post("/sanctions", { agentId, kind, reason, duration: duration || undefined })}
			onDone={onDone}
		>
			<label>
				Agent
				<input value={agentId} onInput={e => setAgentId((e.target as HTMLInputElement).value.trim())} />
			</label>
			<Choice label="Kind" value={kind} options={KINDS} onChange={setKind} />
			<label>
				Reason
				<textarea value={reason} onInput={e => setReason((e.target as HTMLTextAreaElement).value)} />
			</label>
			<DurationField value={duration} onChange={setDuration} />
		</ConfirmButton>
	);
}
