/**
 * A task's place among runs on its detail page: the run that asked for it (an agent's durable
 * run that asks another agent makes the asked task its child) and the child runs it asked for.
 */
import type { TaskDetail } from "../../sdk/http-client";
import { TableHead } from "../components/table-head";
import { href } from "../router";

/** The "Asked by" fact, inside the page's facts list; nothing for a task nobody's run asked for. */
export function ParentFact({ t }: { t: TaskDetail }) {
	if (!t.parentTaskId) return null;
	return (
		<>
			<dt>Asked by</dt>
			<dd class="run-parent">
				task <a href={href("tasks", t.parentTaskId)}>{t.parentTaskId}</a>
			</dd>
		</>
	);
}

export function ChildRuns({ t }: { t: TaskDetail }) {
	if (!t.children.length) return <p class="empty">No child runs: the run asked no other agent (yet).</p>;
	return (
		<table class="child-runs">
			<caption>Runs of other agents this run asked, oldest first</caption>
			<TableHead titles={["Task", "Agent", "Status"]} />
			<tbody>
				{t.children.map(c => (
					<tr key={c.id}>
						<td>
							<a href={href("tasks", c.id)}>{c.id}</a>
						</td>
						<td>
							<a href={href("agents", c.agentId)}>{c.agentId}</a>
						</td>
						<td>
							<span class={`state status-${c.status}`}>{c.status}</span>
						</td>
					</tr>
				))}
			</tbody>
		</table>
	);
}
