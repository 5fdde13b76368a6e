/**
 * One task (`#/tasks/<id>`): who sent it to which agent, its input, its result or error, and
 * its durable run (attempts, wait, failed step, steps), the run that asked for it and the runs
 * it asked other agents for — all shown as text. It follows the
 * task's `tasks.changed` events, so a run that moves on or is cancelled elsewhere shows at once.
 */
import type { TaskDetail as Task, TaskChange } from "../../sdk/http-client";
import { sdk } from "../api";
import { ConfirmButton } from "../components/confirm";
import { ErrorBanner } from "../components/error-banner";
import { Time } from "../components/time";
import { useLiveEvent } from "../live";
import { useLoad } from "../load";
import { href } from "../router";
import { ChildRuns, ParentFact } from "./children";
import { ENDED, errorText, taskDuration } from "./format";
import { changesTaskPage } from "./page-changes";
import { RunFacts, StepsTable } from "./run";

export function TaskDetail({ id }: { id: string }) {
	const task = useLoad(() => sdk().tasks.get(id), [id]);
	useLiveEvent("tasks.changed", data => {
		if (changesTaskPage(task.data, id, data as TaskChange)) task.reload();
	});
	const t = task.data;
	return (
		<section class="page">
			<p>
				<a href={href("tasks")}>← All tasks</a>
			</p>
			<h1>Task {id}</h1>
			<ErrorBanner error={task.error} />
			{t && (
				<>
					<TaskActions t={t} onDone={task.reload} />
					<dl class="facts">
						<dt>Agent</dt>
						<dd>
							<a href={href("agents", t.agentId)}>{t.agentId}</a>
						</dd>
						<dt>Type</dt>
						<dd>{t.type}</dd>
						<dt>Status</dt>
						<dd>
							<span class={`state status-${t.status}`}>{t.status}</span>
						</dd>
						<dt>Sent by</dt>
						<dd>
							{t.caller.kind} {t.caller.id}
						</dd>
						<ParentFact t={t} />
						<dt>Started</dt>
						<dd>
							<Time value={t.createdAt} />
						</dd>
						<dt>Ended</dt>
						<dd>
							<Time value={t.finishedAt} />
						</dd>
						<dt>Duration</dt>
						<dd>{taskDuration(t)}</dd>
						<RunFacts t={t} />
						{t.error !== null && t.error !== undefined && (
							<>
								<dt>Error</dt>
								<dd class="field-error">{errorText(t.error)}</dd>
							</>
						)}
					</dl>
					<h2>Steps</h2>
					<StepsTable steps={t.steps} />
					<h2>Child runs</h2>
					<ChildRuns t={t} />
					<h2>Input</h2>
					<pre class="log">{JSON.stringify(t.input, null, 2)}</pre>
					<h2>{t.status === "failed" ? "Error details" : "Result"}</h2>
					<pre class="log">{JSON.stringify(t.status === "failed" ? t.error : t.result, null, 2) ?? "—"}</pre>
				</>
			)}
		</section>
	);
}

/** Cancel while the task has not ended; Resume for a failed durable run. */
function TaskActions({ t, onDone }: { t: Task; onDone(): void }) {
	const resumable = t.status === "failed" && t.durable;
	return (
		<div class="actions" role="group" aria-label={`Actions for task ${t.id}`}>
			<ConfirmButton scope="tasks" label="Cancel task" title={`Cancel task ${t.id}?`} danger disabled={ENDED.includes(t.status)} action={() => sdk().tasks.cancel(t.id)} onDone={onDone}>
				{t.status === "suspended" ? "The run stops waiting and its approval is closed." : "Its running step is abandoned; the agent gets no further calls for it."}
			</ConfirmButton>
			{resumable && (
				<ConfirmButton scope="tasks" label="Resume" title={`Resume task ${t.id}?`} action={() => sdk().tasks.resume(t.id)} onDone={onDone}>
					The run goes on from its last good step: the {t.steps.length} journaled steps are replayed, not made again.
				</ConfirmButton>
			)}
		</div>
	);
}
