/**
 * Approvals: what supervised agents wait for a person to allow — the pending queue by
 * default — approved or denied with a reason. Updated live by approvals.requested and
 * approvals.decided; a grant request is decided by admin tokens only (the node says so).
 */
import "../governance/console-pages.css";
import { useState } from "preact/hooks";
import { sdk, type Approval } from "../api";
import { AnySelect } from "../components/choice";
import { ConfirmButton } from "../components/confirm";
import { Guarded } from "../components/guarded";
import { PagedTable } from "../components/paged-table";
import { Time } from "../components/time";
import { useLiveEvent } from "../live";
import type { PageProps } from "../router";

const STATUSES = ["pending", "approved", "denied", "expired"] as const;
type Status = (typeof STATUSES)[number];

export function ApprovalsPage({ query }: PageProps) {
	const [status, setStatus] = useState<Status | "">((query.get("status") as Status | null) ?? "pending");
	const [refresh, setRefresh] = useState(0);
	const bump = () => setRefresh(n => n + 1);
	useLiveEvent("approvals.requested", bump);
	useLiveEvent("approvals.decided", bump);
	return (
		<section class="page">
			<h1>Approvals</h1>
			<Guarded scope="approvals" fallback={<p class="needs-scope">Seeing approvals needs scope approvals.</p>}>
				<div class="toolbar">
					<AnySelect label="Status" name="status" value={status} options={STATUSES} onChange={setStatus} />
				</div>
				<PagedTable<Approval>
					caption={status === "pending" ? "Waiting for a decision" : "Approvals"}
					load={({ limit, offset }) => sdk().approvals.list({ status: status || undefined, limit, offset })}
					rowKey={a => a.id}
					deps={[status]}
					refresh={refresh}
					columns={[
						{ key: "requestedAt", title: "Asked", render: a => <Time value={a.requestedAt} /> },
						{ key: "agentId", title: "Agent", render: a => a.agentId },
						{ key: "action", title: "Action", render: a => <code>{a.action}</code> },
						{ key: "reason", title: "Why", render: a => a.reason },
						{ key: "params", title: "With", render: a => <pre class="params">{JSON.stringify(a.params, null, 1)}</pre> },
						{ key: "status", title: "Status", render: a => <span class={`state approval-${a.status}`}>{a.status}</span> },
						{ key: "decision", title: "Decision", render: a => (a.status === "pending" ? <Decide a={a} onDone={bump} /> : <Decided a={a} />) }
					]}
					empty={status === "pending" ? "Nothing waits for a decision." : "No approvals match."}
				/>
			</Guarded>
		</section>
	);
}

function Decided({ a }: { a: Approval }) {
	return (
		<span>
			{a.decidedBy ? `${a.decidedBy}, ` : ""}
			<Time value={a.decidedAt ?? a.expiresAt} />
			{a.note ? ` — ${a.note}` : ""}
		</span>
	);
}

function Decide({ a, onDone }: { a: Approval; onDone(): void }) {
	const [note, setNote] = useState("");
	// A grant request gives the agent a capability: admin tokens only decide those.
	const scope = a.action === "permissions.grant" ? "admin" : "approvals";
	const field = (
		<label>
			Reason
			<textarea name="note" value={note} onInput={e => setNote((e.target as HTMLTextAreaElement).value)} />
		</label>
	);
	return (
		<div class="actions">
			<ConfirmButton scope={scope} label="Approve" title={`Let ${a.agentId} run ${a.action}?`} action={() => sdk().approvals.approve(a.id, note || undefined)} onDone={onDone}>
				{field}
			</ConfirmButton>
			<ConfirmButton scope={scope} label="Deny" danger title={`Refuse ${a.action} to ${a.agentId}?`} action={() => sdk().approvals.deny(a.id, note || undefined)} onDone={onDone}>
				{field}
			</ConfirmButton>
		</div>
	);
}
