/** Model usage rows (GET /llm/usage with `bucket`) as the columns uPlot charts. */

export type Bucket = "minute" | "hour" | "day";

export interface UsageRow {
	/** The bucket's start, ISO 8601 UTC. */
	at: string;
	key: string;
	calls: number;
	totalTokens: number;
	costUsd: number;
}

const STEP_MS: Record<Bucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** uPlot columns from usage rows: every bucket of the range (0 where nothing was spent), one series per key. */
export function seriesOf(rows: UsageRow[], field: "costUsd" | "totalTokens", bucket: Bucket, sinceMs: number, nowMs: number) {
	const step = STEP_MS[bucket];
	const start = Math.floor(sinceMs / step) * step;
	const times: number[] = [];
	for (let t = start; t <= nowMs; t += step) times.push(t);
	const keys = [...new Set(rows.map(r => r.key))].sort();
	const index = new Map(times.map((t, i) => [t, i]));
	const columns = keys.map(() => times.map(() => 0));
	for (const r of rows) {
		const i = index.get(Math.floor(Date.parse(r.at) / step) * step);
		if (i !== undefined) columns[keys.indexOf(r.key)][i] += r[field];
	}
	return { series: keys.map(label => ({ label })), data: [times.map(t => t / 1000), ...columns] as [number[], ...number[][]] };
}

