/**
 * Models (`#/models`): the providers this node routes to with their circuit state (GET
 * /llm/models), and model usage and cost over time by model and by agent (GET /llm/usage
 * with `bucket`), charted with the shell's uPlot chart in the browser's zone.
 */
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { ErrorBanner } from "../components/error-banner";
import { formatUsd, formatUsdAxis } from "../components/usd";
import { Guarded } from "../components/guarded";
import { TableHead } from "../components/table-head";
import { TimeChart } from "../components/time-chart";
import { useLoad } from "../load";
import type { PageProps } from "../router";
import { seriesOf, type Bucket, type UsageRow } from "./usage-series";
import "./explorers.css";

type Circuit = "closed" | "open" | "half-open" | "unavailable";

interface Provider {
	name: string;
	type: string;
	models: string[];
	embeddingModel: string | null;
	baseUrl: string | null;
	circuit: Circuit;
}

interface Models {
	defaultModel: string;
	embeddingModel: string;
	aliases: Record<string, string>;
	failover: string[];
	providers: Provider[];
}


interface Usage {
	rows: UsageRow[];
	total: { calls: number; totalTokens: number; costUsd: number };
}

const RANGES: { id: string; label: string; bucket: Bucket; spanMs: number }[] = [
	{ id: "hour", label: "Last hour, by minute", bucket: "minute", spanMs: 3_600_000 },
	{ id: "day", label: "Last day, by hour", bucket: "hour", spanMs: 86_400_000 },
	{ id: "month", label: "Last 30 days, by day", bucket: "day", spanMs: 30 * 86_400_000 }
];
const CIRCUIT_BADGE: Record<Circuit, string> = { closed: "badge-ok", "half-open": "badge-warn", open: "badge-bad", unavailable: "badge-bad" };
const REFRESH_MS = 15_000;

export function ModelsPage(_props: PageProps) {
	return (
		<section class="page models-page">
			<h1>Models</h1>
			<Guarded scope="llm" fallback={<p class="needs-scope">needs scope llm to see the models and their usage</p>}>
				<Providers />
				<UsageCharts />
			</Guarded>
		</section>
	);
}

function Providers() {
	const models = useLoad(() => api.get<Models>("/llm/models"), []);
	useEffect(() => {
		const timer = window.setInterval(models.reload, REFRESH_MS);
		return () => window.clearInterval(timer);
	}, [models.reload]);
	const m = models.data;
	return (
		<section aria-label="Providers">
			<ErrorBanner error={models.error} />
			{m && (
				<dl class="facts">
					<dt>Default model</dt>
					<dd>{m.defaultModel}</dd>
					<dt>Embeddings</dt>
					<dd>{m.embeddingModel}</dd>
					<dt>Failover</dt>
					<dd>{m.failover.length ? m.failover.join(" → ") : "none"}</dd>
					<dt>Aliases</dt>
					<dd>{Object.entries(m.aliases).map(([alias, to]) => `${alias} → ${to}`).join(", ") || "none"}</dd>
				</dl>
			)}
			<div class="table-scroll">
				<table aria-busy={models.loading}>
					<caption>Providers</caption>
					<TableHead titles={["Provider", "Type", "Circuit", "Models", "Embedding model", "Address"]} />
					<tbody>
						{m?.providers.map(p => (
							<tr key={p.name} data-provider={p.name}>
								<td data-label="Provider">{p.name}</td>
								<td data-label="Type">{p.type}</td>
								<td data-label="Circuit">
									<span class={`badge circuit ${CIRCUIT_BADGE[p.circuit]}`}>{p.circuit}</span>
								</td>
								<td data-label="Models">{p.models.join(", ")}</td>
								<td data-label="Embedding model">{p.embeddingModel ?? "—"}</td>
								<td data-label="Address">{p.baseUrl ?? "—"}</td>
							</tr>
						))}
					</tbody>
				</table>
			</div>
		</section>
	);
}

function UsageCharts() {
	const [rangeId, setRangeId] = useState("hour");
	const range = RANGES.find(r => r.id === rangeId) ?? RANGES[0];
	return (
		<section aria-label="Usage and cost">
			<h2>Usage and cost</h2>
			<div class="toolbar">
				<label>
					Range
					<select value={rangeId} onChange={e => setRangeId((e.target as HTMLSelectElement).value)}>
						{RANGES.map(r => (
							<option key={r.id} value={r.id}>
								{r.label}
							</option>
						))}
					</select>
				</label>
			</div>
			<UsageBy groupBy="model" range={range} />
			<UsageBy groupBy="agent" range={range} />
		</section>
	);
}

function UsageBy({ groupBy, range }: { groupBy: "model" | "agent"; range: (typeof RANGES)[number] }) {
	const [now, setNow] = useState(Date.now());
	const since = now - range.spanMs;
	const usage = useLoad(() => api.get<Usage>("/llm/usage", { groupBy, bucket: range.bucket, since: new Date(since).toISOString() }), [groupBy, range.id, now]);
	useEffect(() => {
		const timer = window.setInterval(() => setNow(Date.now()), REFRESH_MS);
		return () => window.clearInterval(timer);
	}, []);
	const rows = usage.data?.rows ?? [];
	const cost = seriesOf(rows, "costUsd", range.bucket, since, now);
	const tokens = seriesOf(rows, "totalTokens", range.bucket, since, now);
	const totals = new Map<string, { calls: number; tokens: number; usd: number }>();
	for (const r of rows) {
		const t = totals.get(r.key) ?? { calls: 0, tokens: 0, usd: 0 };
		totals.set(r.key, { calls: t.calls + r.calls, tokens: t.tokens + r.totalTokens, usd: t.usd + r.costUsd });
	}
	return (
		<div class={`usage usage-by-${groupBy}`}>
			<ErrorBanner error={usage.error} />
			<div class="charts">
				{cost.series.length > 0 ? (
					<>
						<TimeChart title={`Cost by ${groupBy} (USD)`} series={cost.series} data={cost.data} format={formatUsdAxis} />
						<TimeChart title={`Tokens by ${groupBy}`} series={tokens.series} data={tokens.data} />
					</>
				) : (
					<p class="hint">No model calls by {groupBy} in this range.</p>
				)}
			</div>
			<table>
				<caption>
					Totals by {groupBy}, {range.label.toLowerCase()}
				</caption>
				<TableHead titles={[groupBy === "model" ? "Model" : "Agent", "Calls", "Tokens", "Cost"]} />
				<tbody>
					{[...totals].map(([key, t]) => (
						<tr key={key}>
							<td data-label="Key">{key}</td>
							<td data-label="Calls">{t.calls}</td>
							<td data-label="Tokens">{t.tokens}</td>
							<td data-label="Cost">{formatUsd(t.usd)}</td>
						</tr>
					))}
				</tbody>
			</table>
		</div>
	);
}
