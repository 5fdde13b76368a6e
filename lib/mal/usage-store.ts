import type { Database } from "../kernel/database";

export interface UsageRecord {
	agentId: string | null;
	provider: string;
	model: string;
	kind: "chat" | "stream" | "embed";
	promptTokens: number;
	completionTokens: number;
	costUsd: number;
	latencyMs: number;
	requestId: string;
}

export interface Budget {
	daily: { tokens: number | null; usd: number | null };
	monthly: { tokens: number | null; usd: number | null };
}

export type UsageGroup = "day" | "model" | "agent" | "provider";

/** A time series' step: each row then totals one group in one bucket (UTC). */
export type UsageBucket = "minute" | "hour" | "day";
export const USAGE_BUCKETS: readonly UsageBucket[] = ["minute", "hour", "day"];

/** Where a series starts when the query names no `since`: a chart's worth of buckets, not the whole table. */
export const BUCKET_DEFAULT_SPAN_MS: Record<UsageBucket, number> = { minute: 3_600_000, hour: 86_400_000, day: 30 * 86_400_000 };

export interface UsageQuery {
	agentId?: string;
	since?: Date;
	until?: Date;
	groupBy: UsageGroup;
	bucket?: UsageBucket;
}

export interface UsageRow {
	/** With a `bucket`: when the bucket starts (ISO 8601, UTC). */
	at?: string;
	key: string;
	calls: number;
	promptTokens: number;
	completionTokens: number;
	totalTokens: number;
	costUsd: number;
}

const GROUP_SQL: Record<UsageGroup, string> = {
	day: "to_char(date_trunc('day', at AT TIME ZONE 'UTC'), 'YYYY-MM-DD')",
	model: "provider || '/' || model",
	agent: "coalesce(agent_id, '(none)')",
	provider: "provider"
};

const FLUSH_MS = 200;
const BATCH = 500;
const MAX_PENDING = 10_000;

/**
 * Metering and budgets of model calls; days and months are UTC. Usage rows are written
 * in batches (one INSERT for many calls): a row each would cost more than the rest of
 * the model layer together. Rows not yet written still count for budgets and totals.
 */
/** How long a budget read is trusted: a change applies on its own node at once, on others within this. */
const BUDGET_CACHE_MS = 2000;

export class UsageStore {
	private pending: (UsageRecord & { at: Date })[] = [];
	/** Budgets are read on every model call an agent makes, and seldom change. */
	private readonly budgets = new Map<string, { value: Budget | null; until: number }>();
	private timer: NodeJS.Timeout | undefined;
	private flushing: Promise<void> | undefined;

	constructor(
		private readonly db: Database,
		private readonly onError: (err: Error) => void = () => undefined
	) {}

	/** Queues a row; waits only when too many are already queued (the database is away). */
	async record(r: UsageRecord): Promise<void> {
		this.pending.push({ ...r, at: new Date() });
		if (this.pending.length >= MAX_PENDING) return this.flush();
		if (this.pending.length >= BATCH) void this.flush().catch(this.onError);
		else this.timer ??= setTimeout(() => void this.flush().catch(this.onError), FLUSH_MS);
	}

	/** Writes every queued row; rows stay queued (nothing is lost) when the write fails. */
	async flush(): Promise<void> {
		clearTimeout(this.timer);
		this.timer = undefined;
		while (this.flushing) await this.flushing;
		if (this.pending.length === 0) return;
		const batch = this.pending.slice(0, BATCH);
		this.flushing = this.insert(batch).then(
			() => void this.pending.splice(0, batch.length),
			err => {
				this.timer ??= setTimeout(() => void this.flush().catch(this.onError), FLUSH_MS * 10);
				throw err;
			}
		);
		try {
			await this.flushing;
		} finally {
			this.flushing = undefined;
		}
		if (this.pending.length) await this.flush();
	}

	private async insert(rows: (UsageRecord & { at: Date })[]): Promise<void> {
		const params: (string | number | Date | null)[] = [];
		const values = rows.map(r => {
			params.push(r.at, r.agentId, r.provider, r.model, r.kind, r.promptTokens, r.completionTokens, r.costUsd, Math.round(r.latencyMs), r.requestId);
			const n = params.length;
			return `(${Array.from({ length: 10 }, (_, i) => `$${n - 9 + i}`).join(", ")})`;
		});
		await this.db.query(
			`INSERT INTO llm_usage (at, agent_id, provider, model, kind, prompt_tokens, completion_tokens, cost_usd, latency_ms, request_id) VALUES ${values.join(", ")}`,
			params
		);
	}

	/** Totals per group; with `bucket`, per group and bucket, oldest bucket first (since defaults to BUCKET_DEFAULT_SPAN_MS ago). */
	async totals(q: UsageQuery): Promise<UsageRow[]> {
		// A report right after a call should include it.
		await this.flush().catch(this.onError);
		const where: string[] = [];
		const params: (string | Date)[] = [];
		const since = q.since ?? (q.bucket && new Date(Date.now() - BUCKET_DEFAULT_SPAN_MS[q.bucket]));
		if (q.agentId) where.push(`agent_id = $${params.push(q.agentId)}`);
		if (since) where.push(`at >= $${params.push(since)}`);
		if (q.until) where.push(`at < $${params.push(q.until)}`);
		// The bucket is one of USAGE_BUCKETS (checked by the action), never the caller's text.
		const bucket = q.bucket ? `to_char(date_trunc('${q.bucket}', at AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at, ` : "";
		const groups = q.bucket ? "1, 2" : "1";
		const { rows } = await this.db.query<{ at?: string; key: string; calls: string; prompt: string; completion: string; cost: string }>(
			`SELECT ${bucket}${GROUP_SQL[q.groupBy]} AS key, count(*) AS calls, sum(prompt_tokens) AS prompt,
			        sum(completion_tokens) AS completion, sum(cost_usd) AS cost
			 FROM llm_usage ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
			 GROUP BY ${groups} ORDER BY ${groups}`,
			params
		);
		return rows.map(r => ({
			...(r.at !== undefined && { at: r.at }),
			key: r.key,
			calls: Number(r.calls),
			promptTokens: Number(r.prompt),
			completionTokens: Number(r.completion),
			totalTokens: Number(r.prompt) + Number(r.completion),
			costUsd: Number(r.cost)
		}));
	}

	/** Tokens and USD an agent has used since the start of the current UTC day or month. */
	async spent(agentId: string, period: "day" | "month"): Promise<{ tokens: number; usd: number }> {
		const { rows } = await this.db.query<{ tokens: string | null; usd: string | null }>(
			`SELECT sum(prompt_tokens + completion_tokens) AS tokens, sum(cost_usd) AS usd FROM llm_usage
			 WHERE agent_id = $1 AND at >= date_trunc('${period}', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
			[agentId]
		);
		const start = periodStart(period);
		const queued = this.pending.filter(r => r.agentId === agentId && r.at >= start);
		return {
			tokens: Number(rows[0]?.tokens ?? 0) + queued.reduce((n, r) => n + r.promptTokens + r.completionTokens, 0),
			usd: Number(rows[0]?.usd ?? 0) + queued.reduce((n, r) => n + r.costUsd, 0)
		};
	}

	async budget(agentId: string): Promise<Budget | null> {
		const cached = this.budgets.get(agentId);
		if (cached && cached.until > Date.now()) return cached.value;
		const value = await this.readBudget(agentId);
		if (this.budgets.size > 50_000) this.budgets.clear();
		this.budgets.set(agentId, { value, until: Date.now() + BUDGET_CACHE_MS });
		return value;
	}

	private async readBudget(agentId: string): Promise<Budget | null> {
		const { rows } = await this.db.query<{ daily_tokens: string | null; daily_usd: string | null; monthly_tokens: string | null; monthly_usd: string | null }>(
			"SELECT daily_tokens, daily_usd, monthly_tokens, monthly_usd FROM llm_budgets WHERE agent_id = $1",
			[agentId]
		);
		const r = rows[0];
		if (!r) return null;
		const n = (v: string | null) => (v === null ? null : Number(v));
		return { daily: { tokens: n(r.daily_tokens), usd: n(r.daily_usd) }, monthly: { tokens: n(r.monthly_tokens), usd: n(r.monthly_usd) } };
	}

	async setBudget(agentId: string, b: Budget): Promise<void> {
		await this.db.query(
			`INSERT INTO llm_budgets (agent_id, daily_tokens, daily_usd, monthly_tokens, monthly_usd) VALUES ($1, $2, $3, $4, $5)
			 ON CONFLICT (agent_id) DO UPDATE SET daily_tokens = $2, daily_usd = $3, monthly_tokens = $4, monthly_usd = $5, updated_at = now()`,
			[agentId, b.daily.tokens, b.daily.usd, b.monthly.tokens, b.monthly.usd]
		);
		this.budgets.delete(agentId);
	}
}

function periodStart(period: "day" | "month"): Date {
	const now = new Date();
	return period === "day" ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())) : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}
