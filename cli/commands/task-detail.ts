/** How `agent-os tasks show` prints one task: its state, its run's attempts and wait, then its steps. */
import type { RunWait, TaskDetail, TaskSummary } from "../../sdk/http-client";
import { printTable } from "./common";

/** A task's error as one line: its type and message. */
export function errorOf(t: Pick<TaskSummary, "error">): string {
	const e = t.error as { type?: string; message?: string } | null;
	return e ? [e.type, e.message].filter(Boolean).join(": ") : "";
}

const usd = (n: number) => `$${n.toFixed(4)}`;

export function waitLine(w: RunWait): string {
	return `${w.kind} ${w.approvalId} for ${w.action} at step ${w.step} (${w.reason}), since ${w.since}, until ${w.until}`;
}

export function printTaskDetail(t: TaskDetail): void {
	const lines: [string, string][] = [
		["Task", `${t.id}: ${t.type} on agent ${t.agentId}`],
		["Status", t.status],
		["Created", t.createdAt],
		["Ended", t.finishedAt ? `${t.finishedAt} (${t.durationMs} ms)` : "-"],
		["Attempts", `${t.attempts}${t.durable ? "" : " (not durable: no journal, cannot be resumed)"}`]
	];
	if (t.waitingFor) lines.push(["Waits for", waitLine(t.waitingFor)]);
	if (t.failedStep) lines.push(["Failed step", `${t.failedStep.step}, ${t.failedStep.failures === 1 ? "once" : `${t.failedStep.failures} times in a row`}`]);
	if (t.error) lines.push(["Error", errorOf(t)]);
	// A run another agent's run asked for, and the runs this one asked for.
	if (t.parentTaskId) lines.push(["Parent", t.parentTaskId]);
	for (const child of t.children ?? []) lines.push(["Child", `${child.id} (${child.agentId}, ${child.status})`]);
	lines.push(["Cost", `${usd(t.costUsd)}, ${t.tokens} tokens`]);
	for (const [name, value] of lines) console.log(`${`${name}:`.padEnd(13)}${value}`);
	console.log("");
	if (!t.steps.length) {
		console.log("No steps journaled.");
		return;
	}
	printTable(
		["SEQ", "ACTION", "LABEL", "OK", "MS", "COST"],
		t.steps.map(s => [s.seq, s.action, s.label, s.ok ? "yes" : `no: ${[s.error?.type ?? s.error?.name, s.error?.message].filter(Boolean).join(": ")}`, s.durationMs, usd(s.costUsd)])
	);
}
