/**
 * Audit: the log queried by actor, action, target, outcome and time (newest first, paged),
 * the entries recorded since the page opened as they come (audit.recorded), and a check
 * of the keyed hash chain (GET /audit/verify) with its result.
 */
import "../governance/console-pages.css";
import { useRef, useState } from "preact/hooks";
import { sdk, shown, type AuditRecord, type ShownError } from "../api";
import type { AuditVerifyResult, LiveAuditEntry } from "../../sdk/http-client";
import { AnySelect } from "../components/choice";
import { ErrorBanner } from "../components/error-banner";
import { Guarded, GuardedButton } from "../components/guarded";
import { PagedTable } from "../components/paged-table";
import { TableHead } from "../components/table-head";
import { Time } from "../components/time";
import { useLiveEvent } from "../live";
import type { PageProps } from "../router";

const OUTCOMES = ["allowed", "denied", "succeeded", "failed"] as const;
type Outcome = (typeof OUTCOMES)[number];
const LIVE_MAX = 50;

interface Filters {
	actorId: string;
	action: string;
	target: string;
	outcome: Outcome | "";
	since: string;
	until: string;
}

/** A datetime-local value (the browser's zone) as an ISO instant, or undefined. */
const instant = (local: string) => (local ? new Date(local).toISOString() : undefined);

export function AuditPage({ query }: PageProps) {
	const [filters, setFilters] = useState<Filters>({ actorId: query.get("actorId") ?? "", action: query.get("action") ?? "", target: query.get("target") ?? "", outcome: "", since: "", until: "" });
	const [draft, setDraft] = useState<Filters>(filters);
	const set = (key: keyof Filters) => (e: Event) => setDraft({ ...draft, [key]: (e.target as HTMLInputElement).value });
	return (
		<section class="page">
			<h1>Audit</h1>
			<Guarded scope="audit:read" fallback={<p class="needs-scope">The audit log needs scope audit:read.</p>}>
				<VerifyChain />
				<form class="toolbar" role="search" aria-label="Audit query" onSubmit={e => (e.preventDefault(), setFilters(draft))}>
					<label>
						Actor
						<input name="actorId" value={draft.actorId} onInput={set("actorId")} placeholder="admin, an agent id…" />
					</label>
					<label>
						Action
						<input name="action" value={draft.action} onInput={set("action")} placeholder="agents.* or exact" />
					</label>
					<label>
						Target
						<input name="target" value={draft.target} onInput={set("target")} placeholder="an agent, tool or task id" />
					</label>
					<AnySelect label="Outcome" name="outcome" value={draft.outcome} options={OUTCOMES} onChange={outcome => setDraft({ ...draft, outcome })} />
					<label>
						From
						<input name="since" type="datetime-local" value={draft.since} onInput={set("since")} />
					</label>
					<label>
						Until
						<input name="until" type="datetime-local" value={draft.until} onInput={set("until")} />
					</label>
					<button type="submit" class="primary">
						Search
					</button>
				</form>
				<PagedTable<AuditRecord>
					caption="Audit entries, newest first"
					load={({ limit, offset }) =>
						sdk().audit.query({
							actorId: filters.actorId || undefined,
							action: filters.action || undefined,
							target: filters.target || undefined,
							outcome: filters.outcome || undefined,
							since: instant(filters.since),
							until: instant(filters.until),
							limit,
							offset
						})
					}
					rowKey={e => String(e.seq)}
					deps={[filters]}
					pageSize={25}
					columns={[
						{ key: "seq", title: "#", render: e => e.seq },
						...ENTRY_COLUMNS
					]}
					empty="No entries match."
				/>
				<LiveEntries />
			</Guarded>
		</section>
	);
}

/** The columns an entry shows, stored or live. */
const ENTRY_COLUMNS = [
	{ key: "at", title: "When", render: (e: LiveAuditEntry) => <Time value={e.at} /> },
	{ key: "actor", title: "Actor", render: (e: LiveAuditEntry) => `${e.actor.kind} ${e.actor.id}` },
	{ key: "action", title: "Action", render: (e: LiveAuditEntry) => <code>{e.action}</code> },
	{ key: "target", title: "Target", render: (e: LiveAuditEntry) => e.target ?? "" },
	{ key: "outcome", title: "Outcome", render: (e: LiveAuditEntry) => <span class={`state outcome-${e.outcome}`}>{e.outcome}</span> },
	{ key: "data", title: "Details", render: (e: LiveAuditEntry) => (Object.keys(e.data).length ? <pre class="params">{JSON.stringify(e.data)}</pre> : "") }
];

function LiveEntries() {
	const [entries, setEntries] = useState<(LiveAuditEntry & { key: number })[]>([]);
	const counter = useRef(0);
	useLiveEvent("audit.recorded", data => {
		const key = ++counter.current;
		setEntries(list => [{ ...(data as LiveAuditEntry), key }, ...list].slice(0, LIVE_MAX));
	});
	return (
		<section aria-label="Live audit stream">
			<h2>Live: entries as they are recorded</h2>
			<div class="table-scroll">
				<table class="live-audit">
					<caption class="hint">{entries.length ? `The last ${entries.length} since this page opened` : "Waiting for the next entry…"}</caption>
					<TableHead titles={ENTRY_COLUMNS.map(c => c.title)} />
					<tbody aria-live="polite">
						{entries.map(e => (
							<tr key={e.key}>
								{ENTRY_COLUMNS.map(c => (
									<td key={c.key} data-label={c.title}>
										{c.render(e)}
									</td>
								))}
							</tr>
						))}
					</tbody>
				</table>
			</div>
		</section>
	);
}

function VerifyChain() {
	const [result, setResult] = useState<AuditVerifyResult | undefined>(undefined);
	const [error, setError] = useState<ShownError | undefined>(undefined);
	const [busy, setBusy] = useState(false);
	const verify = async () => {
		setBusy(true);
		setError(undefined);
		try {
			setResult(await sdk().audit.verify());
		} catch (err) {
			setError(shown(err));
		} finally {
			setBusy(false);
		}
	};
	return (
		<div class="toolbar verify" aria-live="polite">
			<GuardedButton scope="audit:read" disabled={busy} onClick={verify}>
				{busy ? "Verifying…" : "Verify chain"}
			</GuardedButton>
			{result && (
				<span class={result.ok ? "verify-ok" : "verify-bad"} data-verify={result.ok ? "ok" : "bad"}>
					{result.ok
						? `Chain ok: ${result.checked} entries checked${result.checkpoint ? `, up to the checkpoint at #${result.checkpoint.seq}` : ""}.`
						: `Chain broken at #${result.firstBad?.seq} (${result.firstBad?.check}): ${result.firstBad?.reason}`}
				</span>
			)}
			<ErrorBanner error={error} />
		</div>
	);
}
