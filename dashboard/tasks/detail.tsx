/** One task (`#/tasks/<id>`): who sent it to which agent, its input, and its result or error — all shown as text. */
import { sdk } from "../api";
import { ErrorBanner } from "../components/error-banner";
import { Time } from "../components/time";
import { useLoad } from "../load";
import { href } from "../router";

export function duration(ms: number | null): string {
	if (ms === null) return "running";
	if (ms < 1000) return `${ms} ms`;
	if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
	return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A task's error as one line: its type and message. */
export function errorText(error: unknown): string {
	if (!error) return "";
	const e = error as { type?: string; message?: string };
	return [e.type, e.message].filter(Boolean).join(": ") || JSON.stringify(error);
}

export function TaskDetail({ id }: { id: string }) {
	const task = useLoad(() => sdk().tasks.get(id), [id]);
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
						<dt>Started</dt>
						<dd>
							<Time value={t.createdAt} />
						</dd>
						<dt>Ended</dt>
						<dd>
							<Time value={t.finishedAt} />
						</dd>
						<dt>Duration</dt>
						<dd>{duration(t.durationMs)}</dd>
						{t.error !== null && t.error !== undefined && (
							<>
								<dt>Error</dt>
								<dd class="field-error">{errorText(t.error)}</dd>
							</>
						)}
					</dl>
					<h2>Input</h2>
					<pre class="log">{JSON.stringify(t.input, null, 2)}</pre>
					<h2>{t.status === "failed" ? "Error details" : "Result"}</h2>
					<pre class="log">{JSON.stringify(t.status === "failed" ? t.error : t.result, null, 2) ?? "—"}</pre>
				</>
			)}
		</section>
	);
}
