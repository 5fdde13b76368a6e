import type { Database } from "../lib/kernel/database";

/** One completed step of a run: a ctx call the agent made, and how it ended. */
export interface JournalStep {
	/** 1, 2, 3…: the order in which the run made its calls. */
	seq: number;
	/** The action called (`mal.chat`, `tools.invoke`…) or the runtime's own method (`state.set`). */
	action: string;
	/** What the call was about, for people: the model, the tool. */
	label: string | null;
	ok: boolean;
	result: unknown;
	/** What it threw, as the caller saw it (type, message, code, data). */
	error: StepError | null;
	startedAt: string;
	durationMs: number;
	costUsd: number;
	tokens: number;
}

export interface StepError {
	name: string;
	message: string;
	type?: string;
	code?: number;
	data?: unknown;
}

interface Row {
	seq: number;
	action: string;
	label: string | null;
	ok: boolean;
	result: unknown;
	error: StepError | null;
	started_at: Date;
	duration_ms: number;
	cost_usd: number;
	tokens: number;
}

const toStep = (r: Row): JournalStep => ({
	seq: r.seq,
	action: r.action,
	label: r.label,
	ok: r.ok,
	result: r.result,
	error: r.error,
	startedAt: new Date(r.started_at).toISOString(),
	durationMs: r.duration_ms,
	costUsd: Number(r.cost_usd),
	tokens: r.tokens
});

/** The journals of runs (table `task_steps`): what each step returned, written as it completes. */
export class RunJournal {
	constructor(private readonly db: Database) {}

	async load(taskId: string): Promise<JournalStep[]> {
		const { rows } = await this.db.query<Row>("SELECT * FROM task_steps WHERE task_id = $1 ORDER BY seq", [taskId]);
		return rows.map(toStep);
	}

	/** Keeps a completed step; a step journaled already (an attempt that raced a resumed one) keeps its first outcome. */
	async append(taskId: string, step: JournalStep): Promise<void> {
		await this.db.query(
			`INSERT INTO task_steps (task_id, seq, action, label, ok, result, error, started_at, duration_ms, cost_usd, tokens)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (task_id, seq) DO NOTHING`,
			[
				taskId,
				step.seq,
				step.action,
				step.label,
				step.ok,
				step.ok ? JSON.stringify(step.result ?? null) : null,
				step.error ? JSON.stringify(step.error) : null,
				step.startedAt,
				step.durationMs,
				step.costUsd,
				step.tokens
			],
			// Run for every step of every durable run: kept prepared, it is bound and run in one exchange.
			{ prepare: true }
		);
	}
}
