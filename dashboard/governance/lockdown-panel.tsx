/**
 * Incident lockdown: the one in force (its reason, who, since when, the agents it
 * quarantined) with a confirmed lift, or a confirmed start over every agent or a selection.
 */
import { useState } from "preact/hooks";
import { sdk } from "../api";
import { ConfirmButton } from "../components/confirm";
import { ErrorBanner } from "../components/error-banner";
import { Time } from "../components/time";
import { lockdown, refreshLockdown, showLockdown, type Lockdown } from "../lockdown";
import { useLoad } from "../load";

export function LockdownPanel() {
	const current = lockdown.value;
	return <section aria-label="Incident lockdown">{current ? <Active current={current} /> : <Start />}</section>;
}

function Active({ current }: { current: Lockdown }) {
	const [reason, setReason] = useState("");
	return (
		<div class="lockdown-active">
			<h2>A lockdown is in force</h2>
			<dl class="facts">
				<dt>Reason</dt>
				<dd>{current.reason}</dd>
				<dt>Since</dt>
				<dd>
					<Time value={current.createdAt} />
				</dd>
				<dt>By</dt>
				<dd>{current.createdBy}</dd>
				<dt>Covers</dt>
				<dd>{current.selection ? "the agents selected" : "every agent"}</dd>
				<dt>Quarantined</dt>
				<dd>{current.agents.join(", ") || "none"}</dd>
			</dl>
			<ConfirmButton
				scope="governance"
				label="Lift the lockdown"
				title="Lift the lockdown?"
				confirmLabel="Lift"
				action={async () => {
					await sdk().society.lockdown.lift(reason);
					showLockdown(null);
				}}
				onDone={() => void refreshLockdown().catch(() => undefined)}
			>
				<p>The quarantines this lockdown made end, and the agents that were running start again. Sanctions made otherwise stay.</p>
				<label>
					Reason
					<textarea name="lift-reason" value={reason} onInput={e => setReason((e.target as HTMLTextAreaElement).value)} />
				</label>
			</ConfirmButton>
		</div>
	);
}

function Start() {
	const [reason, setReason] = useState("");
	const [all, setAll] = useState(true);
	const [picked, setPicked] = useState<string[]>([]);
	const agents = useLoad(() => sdk().agents.list({ limit: 500 }), []);
	const toggle = (id: string) => setPicked(p => (p.includes(id) ? p.filter(x => x !== id) : [...p, id]));
	return (
		<div class="lockdown-start">
			<h2>No lockdown is in force</h2>
			<p>A lockdown quarantines every agent (or the ones you pick) at once: their actors stop and no task reaches them until it is lifted.</p>
			<ConfirmButton
				scope="governance"
				label="Lock down…"
				title={all ? "Quarantine every agent?" : `Quarantine ${picked.length} agent${picked.length === 1 ? "" : "s"}?`}
				confirmLabel="Lock down"
				danger
				action={async () => showLockdown(await sdk().society.lockdown.start(reason, all ? undefined : picked))}
			>
				<label>
					Reason
					<textarea name="lockdown-reason" value={reason} onInput={e => setReason((e.target as HTMLTextAreaElement).value)} />
				</label>
				<fieldset>
					<legend>Agents</legend>
					<label>
						<input type="radio" name="lockdown-scope" checked={all} onChange={() => setAll(true)} /> every agent
					</label>
					<label>
						<input type="radio" name="lockdown-scope" checked={!all} onChange={() => setAll(false)} /> only these:
					</label>
					<ErrorBanner error={agents.error} />
					<ul class="pick-list">
						{(agents.data?.items ?? []).map(a => (
							<li key={a.id}>
								<label>
									<input type="checkbox" disabled={all} checked={picked.includes(a.id)} onChange={() => toggle(a.id)} /> {a.id} <span class={`state state-${a.state}`}>{a.state}</span>
								</label>
							</li>
						))}
					</ul>
				</fieldset>
			</ConfirmButton>
		</div>
	);
}
