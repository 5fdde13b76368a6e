/**
 * Policies: the list, and an editor that checks the source as it is typed (POST
 * /policies/validate) and marks a syntax error at its line and column, dry-runs it over
 * the past audit log (POST /policies/dry-run), and saves it.
 */
import { useEffect, useState } from "preact/hooks";
import { api, shown, type ShownError } from "../api";
import { CodeEditor, type CodeMark } from "../components/code-editor";
import { ConfirmButton } from "../components/confirm";
import { ErrorBanner } from "../components/error-banner";
import { GuardedButton } from "../components/guarded";
import { PagedTable } from "../components/paged-table";
import { TableHead } from "../components/table-head";
import { Time } from "../components/time";
import { useLiveEvent } from "../live";
import { can } from "../session";
import { entityPage, type Policy } from "./entity-page";

const EXAMPLE = 'when forum.posted count > 20 within 1m\nthen open case "flooding the forum" and throttle 10m';
const WINDOWS = { "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000 } as const;
type Mode = Policy["mode"];

interface Firing {
	subjectId: string;
	at: string;
	actions: { kind: string }[];
	evidence: unknown[];
}

interface DryRun {
	eventsRead: number;
	firings: Firing[];
}

/** A POLICY_SYNTAX answer's position, as the editor marks it. */
function markOf(err: ShownError): CodeMark | undefined {
	const data = err.data as { line?: number; column?: number; reason?: string } | undefined;
	if (err.type !== "POLICY_SYNTAX" || !data?.line || !data.column) return undefined;
	return { line: data.line, column: data.column, message: data.reason ?? err.message };
}

export function PoliciesView() {
	const [refresh, setRefresh] = useState(0);
	const [editing, setEditing] = useState<Policy | undefined>(undefined);
	const [name, setName] = useState("");
	const [mode, setMode] = useState<Mode>("dry-run");
	const [source, setSource] = useState(EXAMPLE);
	const [mark, setMark] = useState<CodeMark | undefined>(undefined);
	const [checked, setChecked] = useState(false);
	const [error, setError] = useState<ShownError | undefined>(undefined);
	const [span, setSpan] = useState<keyof typeof WINDOWS>("24h");
	const [dry, setDry] = useState<DryRun | undefined>(undefined);
	const [busy, setBusy] = useState(false);
	useLiveEvent("policies.changed", () => setRefresh(n => n + 1));

	// Checked as it is typed, a moment after the last key.
	useEffect(() => {
		setChecked(false);
		if (!can("governance:read")) return;
		const timer = setTimeout(() => {
			api.post("/policies/validate", { source }).then(
				() => (setMark(undefined), setChecked(true)),
				err => {
					const e = shown(err);
					setMark(markOf(e));
					if (!markOf(e)) setError(e);
				}
			);
		}, 350);
		return () => clearTimeout(timer);
	}, [source]);

	const edit = (p: Policy | undefined) => {
		setEditing(p);
		setName(p?.name ?? "");
		setMode(p?.mode ?? "dry-run");
		setSource(p?.source ?? EXAMPLE);
		setDry(undefined);
		setError(undefined);
	};
	const run = async (what: () => Promise<void>) => {
		setBusy(true);
		setError(undefined);
		try {
			await what();
		} catch (err) {
			const e = shown(err);
			const m = markOf(e);
			if (m) setMark(m);
			else setError(e);
		} finally {
			setBusy(false);
		}
	};
	const dryRun = () =>
		run(async () => setDry(await api.post<DryRun>("/policies/dry-run", { source, since: new Date(Date.now() - WINDOWS[span]).toISOString() })));
	const save = () =>
		run(async () => {
			const saved = editing ? await api.patch<Policy>(`/policies/${encodeURIComponent(editing.id)}`, { source, mode }) : await api.post<Policy>("/policies", { name, source, mode });
			edit(saved);
			setRefresh(n => n + 1);
		});

	return (
		<div class="policies">
			<PagedTable<Policy>
				caption="Policies"
				load={({ limit, offset }) => entityPage<Policy>("/policies", limit, offset)}
				rowKey={p => p.id}
				refresh={refresh}
				columns={[
					{ key: "name", title: "Name", render: p => <button type="button" class="link" onClick={() => edit(p)}>{p.name}</button> },
					{ key: "mode", title: "Mode", render: p => <span class={`state mode-${p.mode}`}>{p.mode}</span> },
					{ key: "source", title: "Rule", render: p => <code class="one-line">{p.source}</code> },
					{ key: "updatedAt", title: "Changed", render: p => <Time value={p.updatedAt} /> },
					{
						key: "actions",
						title: "",
						render: p => (
							<ConfirmButton scope="governance" label="Delete" title={`Delete policy ${p.name}?`} danger action={() => api.del(`/policies/${encodeURIComponent(p.id)}`)} onDone={() => setRefresh(n => n + 1)} />
						)
					}
				]}
				empty="No policies yet: write one below."
			/>

			<section class="policy-editor" aria-label="Policy editor">
				<h2>{editing ? `Edit policy ${editing.name}` : "New policy"}</h2>
				<div class="toolbar">
					<label>
						Name
						<input value={name} disabled={!!editing} onInput={e => setName((e.target as HTMLInputElement).value)} placeholder="no-flooding" />
					</label>
					<label>
						Mode
						<select value={mode} onChange={e => setMode((e.target as HTMLSelectElement).value as Mode)}>
							<option value="dry-run">dry-run (record firings only)</option>
							<option value="enforce">enforce</option>
							<option value="disabled">disabled</option>
						</select>
					</label>
					{editing && (
						<button type="button" onClick={() => edit(undefined)}>
							New policy instead
						</button>
					)}
				</div>
				<CodeEditor id="policy-source" label="Rule" value={source} onInput={setSource} mark={mark} />
				<p class="hint" aria-live="polite">
					{mark ? "The rule does not parse." : checked ? "The rule parses." : "Checking…"} Syntax: when &lt;event&gt; [where …] [count &gt; n within 10m] then &lt;action&gt; (and …).
				</p>
				<ErrorBanner error={error} onDismiss={() => setError(undefined)} />
				<div class="toolbar">
					<label>
						Dry run over the last
						<select value={span} onChange={e => setSpan((e.target as HTMLSelectElement).value as keyof typeof WINDOWS)}>
							{Object.keys(WINDOWS).map(w => (
								<option key={w} value={w}>
									{w}
								</option>
							))}
						</select>
					</label>
					<GuardedButton scope="governance:read" disabled={busy || !!mark} onClick={dryRun}>
						Dry run
					</GuardedButton>
					<GuardedButton scope="governance" class="primary" disabled={busy || !!mark || (!editing && !name)} onClick={save}>
						{editing ? "Save changes" : "Create policy"}
					</GuardedButton>
				</div>
				{dry && <DryRunResult result={dry} />}
			</section>
		</div>
	);
}

function DryRunResult({ result }: { result: DryRun }) {
	return (
		<section class="dry-run" aria-label="Dry run result">
			<h3>
				Dry run: {result.firings.length} firing{result.firings.length === 1 ? "" : "s"} over {result.eventsRead} past event{result.eventsRead === 1 ? "" : "s"}
			</h3>
			{result.firings.length > 0 && (
				<div class="table-scroll">
					<table>
						<caption>What the policy would have done</caption>
						<TableHead titles={["When", "Agent", "Actions", "Evidence"]} />
						<tbody>
							{result.firings.map((f, i) => (
								<tr key={i}>
									<td>
										<Time value={f.at} />
									</td>
									<td>{f.subjectId}</td>
									<td>{f.actions.map(a => a.kind).join(", ")}</td>
									<td>{f.evidence.length} entries</td>
								</tr>
							))}
						</tbody>
					</table>
				</div>
			)}
		</section>
	);
}
