/**
 * Overview: this node's and the cluster's health, the leader, agents by state, the last
 * hour's tasks per minute, error rate, p95 latency and model spend, and what waits for a
 * person (approvals, moderation cases). Agent states, approvals and cases follow the live
 * event stream; the minute series is fetched again every 15 s.
 */
import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { api, sdk, type AgentView, type Approval, type Page, type Scope } from "../api";
import { ErrorBanner } from "../components/error-banner";
import { needsScope } from "../components/guarded";
import { TimeChart } from "../components/time-chart";
import { formatAgo } from "../components/time";
import { useLiveEvent } from "../live";
import { useLoad, type Loaded } from "../load";
import type { PageProps } from "../router";
import { href } from "../router";
import { can } from "../session";

interface Health {
	status: string;
	node: string;
	version: string;
	uptimeSeconds: number;
	subsystems: Record<string, { state: string }>;
}

interface ClusterStatus {
	leader: { node: string; term: number } | null;
	nodes: { id: string; available: boolean; leader: boolean }[];
}

export interface ActivityPoint {
	at: string;
	tasks: number;
	failed: number;
	p95Ms: number | null;
	tokens: number;
	costUsd: number;
}

interface Usage {
	total: { calls: number; totalTokens: number; costUsd: number };
}

const REFRESH_MS = 15_000;

/** Loads only when the token has `scope` (a card without it says which scope it needs). */
function useScoped<T>(scope: Scope, fn: () => Promise<T>, deps: unknown[] = []): Loaded<T> & { allowed: boolean } {
	const allowed = can(scope);
	const loaded = useLoad(() => (allowed ? fn() : Promise.resolve(undefined as T)), [allowed, ...deps]);
	return { ...loaded, allowed };
}

function startOfToday(): string {
	const d = new Date();
	d.setHours(0, 0, 0, 0);
	return d.toISOString();
}

const count = (x: unknown): number => {
	if (Array.isArray(x)) return x.length;
	const o = x as { total?: number; rows?: unknown[]; items?: unknown[] };
	return o.total ?? o.rows?.length ?? o.items?.length ?? 0;
};

export function OverviewPage(_props: PageProps) {
	const health = useLoad<Health>(() => fetch("/health").then(r => r.json() as Promise<Health>), []);
	const cluster = useScoped("cluster:read", () => api.get<ClusterStatus>("/cluster"));
	const agents = useScoped("agents:read", () => sdk().agents.list({ limit: 1000 }));
	const activity = useScoped("node:read", () => api.get<{ points: ActivityPoint[] }>("/metrics/activity", { minutes: 60 }));
	const usage = useScoped("llm", () => api.get<Usage>("/llm/usage", { since: startOfToday() }));
	const approvals = useScoped("approvals", () => api.get<Page<Approval>>("/approvals", { status: "pending", limit: 1 }));
	const cases = useScoped("governance:read", () => api.get<unknown>("/cases", { state: "open" }));

	useLiveEvent("agents.state", () => agents.reload());
	useLiveEvent("approvals.requested", () => approvals.reload());
	useLiveEvent("approvals.decided", () => approvals.reload());
	useLiveEvent("cases.changed", () => cases.reload());
	useEffect(() => {
		const timer = window.setInterval(() => {
			health.reload();
			activity.reload();
			usage.reload();
			cluster.reload();
		}, REFRESH_MS);
		return () => window.clearInterval(timer);
	}, []);

	const points = activity.data?.points ?? [];
	const lastHour = points.reduce((t, p) => ({ tasks: t.tasks + p.tasks, failed: t.failed + p.failed }), { tasks: 0, failed: 0 });
	const p95s = points.map(p => p.p95Ms).filter((v): v is number => v !== null);
	const recent = points.slice(-5);
	const perMinute = recent.length ? recent.reduce((t, p) => t + p.tasks, 0) / recent.length : 0;
	const times = points.map(p => new Date(p.at).getTime() / 1000);
	const byState = countStates(agents.data?.items ?? []);

	return (
		<section class="page overview" aria-busy={health.loading}>
			<h1>Overview</h1>
			<ErrorBanner error={health.error ?? agents.error ?? activity.error ?? cluster.error} />
			<div class="cards">
				<Card title="Node" testId="node">
					<div class="value">{health.data?.status ?? "…"}</div>
					<div class="sub">
						{health.data ? `${health.data.node} · v${health.data.version} · up ${formatAgo(Date.now() - health.data.uptimeSeconds * 1000).replace(" ago", "")}` : ""}
					</div>
					<div class="sub">{health.data ? Object.entries(health.data.subsystems).map(([k, s]) => `${k} ${s.state}`).join(" · ") : ""}</div>
				</Card>
				<Card title="Cluster" testId="cluster" scope="cluster:read">
					<div class="value">{cluster.data ? `${cluster.data.nodes.filter(n => n.available).length} / ${cluster.data.nodes.length} up` : "…"}</div>
					<div class="sub">leader {cluster.data?.leader ? `${cluster.data.leader.node} (term ${cluster.data.leader.term})` : "none"}</div>
				</Card>
				<Card title="Agents" testId="agents" scope="agents:read">
					<div class="value">
						<a href={href("agents")}>{agents.data?.total ?? "…"}</a>
					</div>
					<div class="sub">{Object.entries(byState).map(([state, n]) => `${n} ${state}`).join(" · ") || "none yet"}</div>
					{agents.data && agents.data.total > agents.data.items.length && <div class="sub">(states of the first {agents.data.items.length})</div>}
				</Card>
				<Card title="Tasks per minute" testId="tasks" scope="node:read">
					<div class="value">{activity.data ? perMinute.toFixed(1) : "…"}</div>
					<div class="sub">{lastHour.tasks} in the last hour (5-minute average above)</div>
				</Card>
				<Card title="Error rate" testId="errors" scope="node:read">
					<div class="value">{activity.data ? (lastHour.tasks ? `${((lastHour.failed / lastHour.tasks) * 100).toFixed(1)} %` : "0 %") : "…"}</div>
					<div class="sub">{lastHour.failed} failed tasks in the last hour</div>
				</Card>
				<Card title="p95 latency" testId="latency" scope="node:read">
					<div class="value">{activity.data ? (p95s.length ? `${Math.max(...p95s)} ms` : "—") : "…"}</div>
					<div class="sub">worst minute of the last hour</div>
				</Card>
				<Card title="Models today" testId="usage" scope="llm">
					<div class="value">{usage.data ? `$${usage.data.total.costUsd.toFixed(4)}` : "…"}</div>
					<div class="sub">{usage.data ? `${usage.data.total.totalTokens.toLocaleString()} tokens in ${usage.data.total.calls} calls` : ""}</div>
				</Card>
				<Card title="Open approvals" testId="approvals" scope="approvals">
					<div class="value">
						<a href={href("approvals")}>{approvals.data?.total ?? "…"}</a>
					</div>
				</Card>
				<Card title="Open cases" testId="cases" scope="governance:read">
					<div class="value">
						<a href={href("governance")}>{cases.data === undefined ? "…" : count(cases.data)}</a>
					</div>
				</Card>
			</div>
			{activity.allowed && (
				<div class="charts">
					<TimeChart title="Tasks per minute" series={[{ label: "tasks" }, { label: "failed" }]} data={[times, points.map(p => p.tasks), points.map(p => p.failed)]} />
					<TimeChart title="p95 task latency (ms)" series={[{ label: "p95 ms" }]} data={[times, points.map(p => p.p95Ms)]} />
					<TimeChart title="Model tokens per minute" series={[{ label: "tokens" }]} data={[times, points.map(p => p.tokens)]} />
					<TimeChart title="Model cost per minute (USD)" series={[{ label: "USD" }]} data={[times, points.map(p => p.costUsd)]} format={v => `$${v === 0 || v >= 0.01 ? v.toFixed(2) : v.toPrecision(2)}`} />
				</div>
			)}
		</section>
	);
}

function countStates(agents: AgentView[]): Record<string, number> {
	const states: Record<string, number> = {};
	for (const a of agents) states[a.state] = (states[a.state] ?? 0) + 1;
	return states;
}

function Card({ title, testId, scope, children }: { title: string; testId: string; scope?: Scope; children: ComponentChildren }) {
	const allowed = scope === undefined || can(scope);
	return (
		<article class="card" data-card={testId} aria-label={title}>
			<h2>{title}</h2>
			{allowed ? children : <p class="needs-scope">{needsScope(scope!)}</p>}
		</article>
	);
}
