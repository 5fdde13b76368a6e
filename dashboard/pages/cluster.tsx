/**
 * Cluster (`#/cluster`, `#/cluster/<schedule>` for a schedule's runs): the nodes (up or
 * down, load, memory, agents, tags), the leader and its term, refreshed every few seconds;
 * the schedules with pause, resume, trigger now and their run history.
 */
import { useEffect, useState } from "preact/hooks";
import type { ClusterStatus, RunView, ScheduleView } from "../../sdk/cluster";
import { ClusterClient } from "../../sdk/cluster";
import { api, sdk, shown, type Page, type ShownError } from "../api";
import { ErrorBanner } from "../components/error-banner";
import { Guarded, GuardedButton } from "../components/guarded";
import { PagedTable } from "../components/paged-table";
import { TableHead } from "../components/table-head";
import { Time } from "../components/time";
import { useLoad } from "../load";
import { href, type PageProps } from "../router";
import "./explorers.css";

const REFRESH_MS = 5000;
const cluster = () => new ClusterClient((method, path, body) => sdk().request(method, path, body));

const duration = (s: number) => (s < 3600 ? `${Math.round(s / 60)} min` : s < 86_400 ? `${(s / 3600).toFixed(1)} h` : `${(s / 86_400).toFixed(1)} d`);
const cadence = (s: ScheduleView) => (s.cron ? `cron ${s.cron}${s.timezone ? ` (${s.timezone})` : ""}` : s.intervalMs ? `every ${s.intervalMs / 1000} s` : "—");
const target = (s: ScheduleView) => (s.target.kind === "agent" ? `agent ${s.target.agent}: ${String(s.target.task.type ?? "task")}` : `action ${s.target.action}`);

export function ClusterPage({ params }: PageProps) {
	const [scheduleId] = params;
	return (
		<section class="page cluster-page">
			<h1>Cluster</h1>
			<Guarded scope="cluster:read" fallback={<p class="needs-scope">needs scope cluster:read to see the nodes</p>}>
				<Nodes />
			</Guarded>
			<Guarded scope="schedules" fallback={<p class="needs-scope">needs scope schedules to see the schedules</p>}>
				<Schedules selected={scheduleId} />
				{scheduleId && <Runs scheduleId={scheduleId} />}
			</Guarded>
		</section>
	);
}

function Nodes() {
	const status = useLoad<ClusterStatus>(() => cluster().status(), []);
	useEffect(() => {
		const timer = window.setInterval(status.reload, REFRESH_MS);
		return () => window.clearInterval(timer);
	}, [status.reload]);
	const s = status.data;
	return (
		<section aria-label="Nodes">
			<ErrorBanner error={status.error} />
			{s && (
				<dl class="facts cluster-facts">
					<dt>Leader</dt>
					<dd>{s.leader ? <strong>{s.leader.node}</strong> : "none (election under way)"}</dd>
					<dt>Term</dt>
					<dd>{s.leader?.term ?? "—"}</dd>
					<dt>Lock</dt>
					<dd>{s.lock}</dd>
					<dt>Placement</dt>
					<dd>{s.placement}</dd>
				</dl>
			)}
			<div class="table-scroll">
				<table aria-busy={status.loading}>
					<caption>Nodes</caption>
					<TableHead titles={["Node", "Status", "CPU", "Load", "Memory", "Agents", "Tags", "Up"]} />
					<tbody>
						{s?.nodes.map(n => (
							<tr key={n.id} class={n.available ? undefined : "node-down"}>
								<td data-label="Node">
									{n.id}
									{n.load && <div class="hint">{n.load.hostname}</div>}
								</td>
								<td data-label="Status">
									<span class={`badge ${n.available ? "badge-ok" : "badge-bad"}`}>{n.available ? "up" : "down"}</span>
									{n.leader && <span class="badge badge-leader">leader</span>}
								</td>
								<td data-label="CPU">{n.cpu === null ? "—" : `${Math.round(n.cpu)} %`}</td>
								<td data-label="Load">{n.load ? `${n.load.loadAverage.map(l => l.toFixed(2)).join(" ")} (${n.load.cpus} cpus)` : "—"}</td>
								<td data-label="Memory">{n.load ? `${n.load.memory.rssMb} MB rss · ${n.load.memory.heapUsedMb} MB heap · ${n.load.memory.freeMb}/${n.load.memory.totalMb} MB free` : "—"}</td>
								<td data-label="Agents">
									{n.agents.running} running / {n.agents.placed} placed
								</td>
								<td data-label="Tags">{n.tags.length ? n.tags.map(t => <span key={t} class="badge">{t}</span>) : "—"}</td>
								<td data-label="Up">{n.load ? duration(n.load.uptimeSeconds) : "—"}</td>
							</tr>
						))}
					</tbody>
				</table>
			</div>
		</section>
	);
}

function Schedules({ selected }: { selected?: string }) {
	const [version, setVersion] = useState(0);
	const [error, setError] = useState<ShownError | undefined>(undefined);
	const act = async (what: () => Promise<unknown>) => {
		setError(undefined);
		try {
			await what();
		} catch (err) {
			setError(shown(err));
		}
		setVersion(v => v + 1);
	};
	const s = cluster().schedules;
	return (
		<section aria-label="Schedules">
			<ErrorBanner error={error} />
			<PagedTable<ScheduleView>
				caption="Schedules"
				rowKey={x => x.id}
				refresh={version}
				load={({ limit, offset }) => api.get<Page<ScheduleView>>("/schedules", { limit, offset })}
				columns={[
					{ key: "name", title: "Schedule", render: x => <a href={href("cluster", x.id)} aria-current={x.id === selected ? "true" : undefined}>{x.name}</a> },
					{ key: "cadence", title: "Cadence", render: cadence },
					{ key: "target", title: "Target", render: target },
					{
						key: "state",
						title: "State",
						render: x => (
							<>
								<span class={`badge ${x.state === "active" ? "badge-ok" : "badge-warn"}`}>{x.state}</span>
								{x.pausedReason && <div class="hint text">{x.pausedReason}</div>}
							</>
						)
					},
					{ key: "nextRunAt", title: "Next run", render: x => <Time value={x.nextRunAt} /> },
					{ key: "failures", title: "Failures", render: x => `${x.consecutiveFailures} / ${x.maxFailures}` },
					{
						key: "actions",
						title: "Actions",
						render: x => (
							<div class="actions">
								{x.state === "active" ? (
									<GuardedButton scope="schedules" onClick={() => void act(() => s.pause(x.id))}>
										Pause
									</GuardedButton>
								) : (
									<GuardedButton scope="schedules" onClick={() => void act(() => s.resume(x.id))}>
										Resume
									</GuardedButton>
								)}
								<GuardedButton scope="schedules" onClick={() => void act(() => s.trigger(x.id))}>
									Trigger now
								</GuardedButton>
							</div>
						)
					}
				]}
			/>
		</section>
	);
}

function Runs({ scheduleId }: { scheduleId: string }) {
	const runs = useLoad<RunView[]>(() => cluster().schedules.runs(scheduleId, 50), [scheduleId]);
	useEffect(() => {
		const timer = window.setInterval(runs.reload, REFRESH_MS);
		return () => window.clearInterval(timer);
	}, [runs.reload]);
	return (
		<section aria-label="Run history">
			<h2>Run history</h2>
			<ErrorBanner error={runs.error} />
			<div class="table-scroll">
				<table>
					<caption>Recent runs, newest first</caption>
					<TableHead titles={["Started", "Trigger", "Node", "Term", "Status", "Finished", "Result or error"]} />
					<tbody>
						{runs.data?.map(r => (
							<tr key={r.id}>
								<td data-label="Started">
									<Time value={r.startedAt} />
								</td>
								<td data-label="Trigger">{r.trigger}</td>
								<td data-label="Node">{r.node}</td>
								<td data-label="Term">{r.term ?? "—"}</td>
								<td data-label="Status">
									<span class={`badge ${r.status === "succeeded" ? "badge-ok" : r.status === "failed" ? "badge-bad" : "badge-warn"}`}>{r.status}</span>
								</td>
								<td data-label="Finished">
									<Time value={r.finishedAt} />
								</td>
								<td data-label="Result or error" class="text">
									{r.error ? `${r.error.type}: ${r.error.message}` : JSON.stringify(r.result)?.slice(0, 200)}
								</td>
							</tr>
						))}
						{runs.data?.length === 0 && (
							<tr>
								<td colSpan={7} class="empty">
									No runs yet.
								</td>
							</tr>
						)}
					</tbody>
				</table>
			</div>
		</section>
	);
}
