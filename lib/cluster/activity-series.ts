import type { Database } from "../kernel/database";

/** One minute of the cluster's work: tasks finished (and failed), their p95 duration, model tokens and dollars. */
export interface ActivityPoint {
	/** The minute's start, ISO. */
	at: string;
	tasks: number;
	failed: number;
	/** The 95th percentile of the finished tasks' durations (created → finished); null without tasks. */
	p95Ms: number | null;
	tokens: number;
	costUsd: number;
}

export interface ActivitySeries {
	stepSeconds: 60;
	from: string;
	to: string;
	/** One point per minute, oldest first, every minute present (zeros where nothing happened). */
	points: ActivityPoint[];
}

/**
 * The last `minutes` of activity, minute by minute, from the task and model-usage tables
 * every node writes to (so it is the cluster's, not one node's). For the console's charts.
 */
export async function activitySeries(db: Database, minutes: number, now = new Date()): Promise<ActivitySeries> {
	const end = Math.floor(now.getTime() / 60_000) * 60_000 + 60_000;
	const start = end - minutes * 60_000;
	const from = new Date(start);
	const [tasks, usage] = await Promise.all([
		db.query<{ minute: string; tasks: string; failed: string; p95: string | null }>(
			`SELECT floor(extract(epoch FROM finished_at) / 60) AS minute, count(*) AS tasks,
				count(*) FILTER (WHERE status = 'failed') AS failed,
				percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at) * 1000) AS p95
			 FROM agent_tasks WHERE finished_at >= $1 GROUP BY 1`,
			[from]
		),
		db.query<{ minute: string; tokens: string; cost: string }>(
			`SELECT floor(extract(epoch FROM at) / 60) AS minute, sum(prompt_tokens + completion_tokens) AS tokens, sum(cost_usd) AS cost
			 FROM llm_usage WHERE at >= $1 GROUP BY 1`,
			[from]
		)
	]);
	const byMinute = new Map<number, ActivityPoint>();
	const points: ActivityPoint[] = [];
	for (let t = start; t < end; t += 60_000) {
		const point: ActivityPoint = { at: new Date(t).toISOString(), tasks: 0, failed: 0, p95Ms: null, tokens: 0, costUsd: 0 };
		byMinute.set(t / 60_000, point);
		points.push(point);
	}
	for (const row of tasks.rows) {
		const point = byMinute.get(Number(row.minute));
		if (!point) continue;
		point.tasks = Number(row.tasks);
		point.failed = Number(row.failed);
		point.p95Ms = row.p95 === null ? null : Math.round(Number(row.p95));
	}
	for (const row of usage.rows) {
		const point = byMinute.get(Number(row.minute));
		if (!point) continue;
		point.tokens = Number(row.tokens);
		point.costUsd = Number(row.cost);
	}
	return { stepSeconds: 60, from: from.toISOString(), to: new Date(end).toISOString(), points };
}
