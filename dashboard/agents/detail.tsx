/**
 * One agent: its facts and lifecycle actions, state timeline (transitions), a live log tail
 * (polled), its mailbox, recent tasks, spend against budget, and its grants.
 */
import { useEffect } from "preact/hooks";
import { api, sdk } from "../api";
import { ErrorBanner } from "../components/error-banner";
import { needsScope } from "../components/guarded";
import { TableHead } from "../components/table-head";
import { Time } from "../components/time";
import { useLiveEvent } from "../live";
import { useLoad } from "../load";
import { href, navigate } from "../router";
import { can } from "../session";
import { GrantsEditor } from "./grants";
import { LifecycleActions } from "./lifecycle";
import { NetworkFact } from "./network";
import { StateBadge } from "./states";

interface Transition {
	from: string;
	to: string;
	reason: string;
	node: string;
	at: string;
}

interface Budget {
	budget: { daily: Limits; monthly: Limits } | null;
	spent: { day: { tokens: number; usd: number }; month: { tokens: number; usd: number } };
}
interface Limits {
	tokens: number | null;
	usd: number | null;
}

interface TaskRow {
	id: string;
	type: string;
	status: string;
	createdAt: string;
	finishedAt: string | null;
	error?: unknown;
}

const LOG_POLL_MS = 3000;

export function AgentDetail({ id }: { id: string }) {
	const agent = useLoad(() => sdk().agents.get(id), [id]);
	const transitions = useLoad(() => api.get<Transition[]>(`/agents/${encodeURIComponent(id)}/transitions`, { limit: 50 }), [id]);
	const logs = useLoad(() => sdk().agents.logs(id, 100), [id]);
	useLiveEvent("agents.state", data => {
		if ((data as { id?: string; agentId?: string } | null)?.id === id || (data as { agentId?: string } | null)?.agentId === id) {
			agent.reload();
			transitions.reload();
		}
	});
	useEffect(() => {
		const timer = window.setInterval(logs.reload, LOG_POLL_MS);
		return () => window.clearInterval(timer);
	}, [id]);

	const a = agent.data;
	return (
		<section class="page agent-detail">
			<p>
				<a href={href("agents")}>← All agents</a>
			</p>
			<h1>
				{a?.name ?? id} {a && <StateBadge state={a.state} />}
			</h1>
			<ErrorBanner error={agent.error} />
			{a && <LifecycleActions agent={a} onDone={agent.reload} onDeleted={() => navigate("agents")} />}
			<div class="grid-2">
				{a && (
					<section aria-labelledby="facts-title">
						<h2 id="facts-title">Facts</h2>
						<dl class="facts">
							<dt>Id</dt>
							<dd>
								<code>{a.id}</code>
							</dd>
							<dt>Runtime</dt>
							<dd>{a.runtime}</dd>
							<dt>Desired</dt>
							<dd>{a.desiredState}</dd>
							<dt>Node</dt>
							<dd>{a.node ?? "—"}</dd>
							<dt>Trust</dt>
							<dd>{a.trustLevel ?? "—"}</dd>
							<NetworkFact value={a.networkIsolated} />
							<dt>Owner</dt>
							<dd>{a.owner ?? "—"}</dd>
							<dt>Restarts</dt>
							<dd>{a.restarts}</dd>
							<dt>Created</dt>
							<dd>
								<Time value={a.createdAt} />
							</dd>
							<dt>Mailbox</dt>
							<dd data-testid="mailbox">{a.mailbox ? `${a.mailbox.queued} queued, ${a.mailbox.running} running (max ${a.mailbox.maxQueue} queued, ${a.mailbox.concurrency} at once)` : "not running"}</dd>
							{a.lastError && (
								<>
									<dt>Last error</dt>
									<dd class="field-error">{a.lastError}</dd>
								</>
							)}
							{a.pendingCapabilities.length > 0 && (
								<>
									<dt>Waiting for an admin</dt>
									<dd>{a.pendingCapabilities.join(", ")}</dd>
								</>
							)}
						</dl>
					</section>
				)}
				<section aria-labelledby="timeline-title">
					<h2 id="timeline-title">State timeline</h2>
					<ErrorBanner error={transitions.error} />
					<ol class="timeline">
						{(transitions.data ?? []).map((t, i) => (
							<li key={`${t.at}-${i}`}>
								<Time value={t.at} /> {t.from} → <StateBadge state={t.to} /> <span class="sub">{t.reason}</span>
							</li>
						))}
					</ol>
				</section>
			</div>
			<section aria-labelledby="logs-title">
				<h2 id="logs-title">Log</h2>
				{logs.error ? <p class="sub">{logs.error.type === "AGENT_NOT_RUNNING" ? "The agent is not running: no log to tail." : `${logs.error.type}: ${logs.error.message}`}</p> : null}
				<pre class="log" aria-live="off" data-testid="log">
					{(logs.data?.lines ?? []).join("\n") || "(no output yet)"}
				</pre>
			</section>
			<div class="grid-2">
				<Spend id={id} />
				<Tasks id={id} />
			</div>
			<GrantsEditor agentId={id} />
		</section>
	);
}

const usd = (n: number | null | undefined) => (n === null || n === undefined ? "no limit" : `$${n.toFixed(4)}`);
const tokens = (n: number | null | undefined) => (n === null || n === undefined ? "no limit" : n.toLocaleString());

function Spend({ id }: { id: string }) {
	const allowed = can("llm");
	const budget = useLoad(() => (allowed ? api.get<Budget>(`/llm/budgets/${encodeURIComponent(id)}`) : Promise.resolve(undefined)), [id, allowed]);
	const b = budget.data;
	return (
		<section aria-labelledby="spend-title">
			<h2 id="spend-title">Spend and budget</h2>
			{!allowed && <p class="needs-scope">{needsScope("llm")}</p>}
			<ErrorBanner error={budget.error} />
			{b && (
				<table>
					<caption>Model spend against the agent's budget</caption>
					<TableHead titles={["Period", "Spent", "Budget"]} />
					<tbody>
						<tr>
							<th scope="row">Today (UTC)</th>
							<td>
								{usd(b.spent.day.usd)} · {tokens(b.spent.day.tokens)} tokens
								{b.budget?.daily.usd ? <meter class="meter" min={0} max={b.budget.daily.usd} value={b.spent.day.usd} aria-label="share of the daily dollar budget" /> : null}
							</td>
							<td>
								{usd(b.budget?.daily.usd)} · {tokens(b.budget?.daily.tokens)} tokens
							</td>
						</tr>
						<tr>
							<th scope="row">This month</th>
							<td>
								{usd(b.spent.month.usd)} · {tokens(b.spent.month.tokens)} tokens
								{b.budget?.monthly.usd ? <meter class="meter" min={0} max={b.budget.monthly.usd} value={b.spent.month.usd} aria-label="share of the monthly dollar budget" /> : null}
							</td>
							<td>
								{usd(b.budget?.monthly.usd)} · {tokens(b.budget?.monthly.tokens)} tokens
							</td>
						</tr>
					</tbody>
				</table>
			)}
		</section>
	);
}

/** Recent tasks from GET /api/v1/tasks?agentId= where the node has it. */
function Tasks({ id }: { id: string }) {
	const allowed = can("tasks");
	const tasks = useLoad(
		() => (allowed ? api.get<{ items: TaskRow[] }>("/tasks", { agentId: id, limit: 20 }) : Promise.resolve(undefined)),
		[id, allowed]
	);
	const missing = tasks.error?.status === 404 && tasks.error.type !== "AGENT_NOT_FOUND";
	return (
		<section aria-labelledby="tasks-title">
			<h2 id="tasks-title">Recent tasks</h2>
			{!allowed && <p class="needs-scope">{needsScope("tasks")}</p>}
			{missing ? <p class="sub">This node does not list tasks yet; a task's result is at GET /api/v1/tasks/&lt;taskId&gt;.</p> : <ErrorBanner error={tasks.error} />}
			{tasks.data && (
				<table>
					<caption>The agent's latest tasks</caption>
					<TableHead titles={["Type", "Status", "Created", "Finished"]} />
					<tbody>
						{tasks.data.items.map(t => (
							<tr key={t.id}>
								<td>
									<a href={href("tasks", t.id)}>{t.type}</a>
								</td>
								<td>{t.status}</td>
								<td>
									<Time value={t.createdAt} />
								</td>
								<td>
									<Time value={t.finishedAt} />
								</td>
							</tr>
						))}
						{tasks.data.items.length === 0 && (
							<tr>
								<td colSpan={4} class="empty">
									No tasks yet.
								</td>
							</tr>
						)}
					</tbody>
				</table>
			)}
		</section>
	);
}

