/**
 * A task's durable run on its detail page: attempts, what a suspended run waits for (with
 * the Approvals page one click away), the step it failed at, and its journaled steps.
 */
import { useState } from "preact/hooks";
import type { JournalStep, TaskDetail } from "../../sdk/http-client";
import { TableHead } from "../components/table-head";
import { Time } from "../components/time";
import { formatUsd } from "../components/usd";
import { href } from "../router";
import { duration } from "./format";

export function RunFacts({ t }: { t: TaskDetail }) {
	const w = t.waitingFor;
	return (
		<>
			<dt>Attempts</dt>
			<dd>
				{t.attempts}
				{!t.durable && " (not durable: no journal, cannot be resumed)"}
			</dd>
			{w && (
				<>
					<dt>Waits for</dt>
					<dd class="run-wait">
						<a href={`${href("approvals")}?status=pending`}>approval {w.approvalId}</a> of <code>{w.action}</code> at step {w.step}: {w.reason} — since <Time value={w.since} />, until{" "}
						<Time value={w.until} />
					</dd>
				</>
			)}
			{t.failedStep && (
				<>
					<dt>Failed step</dt>
					<dd class="field-error">
						step {t.failedStep.step}, {t.failedStep.failures} {t.failedStep.failures === 1 ? "time" : "times in a row"}
					</dd>
				</>
			)}
			<dt>Cost</dt>
			<dd>
				{formatUsd(t.costUsd)}, {t.tokens} tokens
			</dd>
		</>
	);
}

export function StepsTable({ steps }: { steps: JournalStep[] }) {
	if (!steps.length) return <p class="empty">No steps journaled: the run made no calls (yet).</p>;
	return (
		<table class="steps">
			<caption>Steps of the run, in order</caption>
			<TableHead titles={["#", "Action", "Label", "OK", "Duration", "Cost", "Outcome"]} />
			<tbody>
				{steps.map(s => (
					<StepRow key={s.seq} s={s} />
				))}
			</tbody>
		</table>
	);
}

function StepRow({ s }: { s: JournalStep }) {
	const [open, setOpen] = useState(false);
	return (
		<>
			<tr class={s.ok ? undefined : "step-failed"}>
				<td>{s.seq}</td>
				<td>
					<code>{s.action}</code>
				</td>
				<td>{s.label ?? ""}</td>
				<td>{s.ok ? "yes" : "no"}</td>
				<td>{duration(s.durationMs)}</td>
				<td>{formatUsd(s.costUsd)}</td>
				<td>
					<button type="button" aria-expanded={open} aria-label={`${open ? "Hide" : "Show"} the ${s.ok ? "result" : "error"} of step ${s.seq}`} onClick={() => setOpen(!open)}>
						{s.ok ? "result" : "error"}
					</button>
				</td>
			</tr>
			{open && (
				<tr class="step-outcome">
					<td colSpan={7}>
						<pre class="log">{JSON.stringify(s.ok ? s.result : s.error, null, 2) ?? "—"}</pre>
					</td>
				</tr>
			)}
		</>
	);
}
