/**
 * Tasks: the recent tasks of every agent (GET /tasks) with status, duration and error,
 * filtered by agent and status and paged; `#/tasks/<id>` shows one task. The list follows
 * `tasks.changed` (durable runs starting, suspending, ending, being cancelled) as it happens,
 * and refreshes now and then for the tasks of agents that run without a journal.
 */
import "../governance/console-pages.css";
import { useEffect, useState } from "preact/hooks";
import type { TaskStatus, TaskSummary } from "../../sdk/http-client";
import { sdk } from "../api";
import { AnySelect } from "../components/choice";
import { Guarded } from "../components/guarded";
import { PagedTable } from "../components/paged-table";
import { Time } from "../components/time";
import { useLiveEvent } from "../live";
import { href, type PageProps } from "../router";
import { TaskDetail } from "../tasks/detail";
import { errorText, taskDuration } from "../tasks/format";

const STATUSES: readonly TaskStatus[] = ["queued", "running", "suspended", "succeeded", "failed", "cancelled"];
/** Tasks of non-durable agents send no `tasks.changed`: they show within this. */
const REFRESH_MS = 15_000;

export function TasksPage({ params, query }: PageProps) {
	if (params[0]) return <TaskDetail id={params[0]} />;
	return (
		<section class="page">
			<h1>Tasks</h1>
			<Guarded scope="tasks" fallback={<p class="needs-scope">Listing tasks needs scope tasks.</p>}>
				<TaskList initialAgent={query.get("agentId") ?? ""} initialStatus={query.get("status") ?? ""} />
			</Guarded>
		</section>
	);
}

function TaskList({ initialAgent, initialStatus }: { initialAgent: string; initialStatus: string }) {
	const [agentId, setAgentId] = useState(initialAgent);
	const [status, setStatus] = useState<TaskStatus | "">(STATUSES.find(s => s === initialStatus) ?? "");
	const [refresh, setRefresh] = useState(0);
	useLiveEvent("tasks.changed", () => setRefresh(n => n + 1));
	useLiveEvent("agents.state", () => setRefresh(n => n + 1));
	useEffect(() => {
		const timer = setInterval(() => setRefresh(n => n + 1), REFRESH_MS);
		return () => clearInterval(timer);
	}, []);
	return (
		<>
			<form class="toolbar" role="search" onSubmit={e => e.preventDefault()}>
				<label>
					Agent
					<input name="agentId" value={agentId} placeholder="any agent" onChange={e => setAgentId((e.target as HTMLInputElement).value.trim())} />
				</label>
				<AnySelect label="Status" name="status" value={status} options={STATUSES} onChange={setStatus} />
			</form>
			<PagedTable<TaskSummary>
				caption="Recent tasks, newest first"
				load={({ limit, offset }) => sdk().tasks.list({ agentId: agentId || undefined, status: status || undefined, limit, offset })}
				rowKey={t => t.id}
				deps={[agentId, status]}
				refresh={refresh}
				pageSize={25}
				columns={[
					{ key: "createdAt", title: "Started", render: t => <Time value={t.createdAt} /> },
					{ key: "agentId", title: "Agent", render: t => <a href={href("agents", t.agentId)}>{t.agentId}</a> },
					{ key: "type", title: "Type", render: t => <TaskType t={t} /> },
					{ key: "status", title: "Status", render: t => <span class={`state status-${t.status}`}>{t.status}</span> },
					{ key: "duration", title: "Duration", render: t => taskDuration(t) },
					{ key: "attempts", title: "Attempts", render: t => t.attempts },
					{ key: "error", title: "Error", render: t => errorText(t.error) }
				]}
				empty="No tasks match."
			/>
		</>
	);
}

/** The task's type, linked to its page, marked when another agent's run asked for it. */
function TaskType({ t }: { t: TaskSummary }) {
	return (
		<>
			<a href={href("tasks", t.id)}>{t.type}</a>
			{t.parentTaskId && (
				<span class="child-mark" title={`A child run: task ${t.parentTaskId} asked for it`}>
					child
				</span>
			)}
		</>
	);
}
