import crypto from "node:crypto";
import type { Database } from "../lib/kernel/database";
import type { Caller } from "./agent-api";
import { TaskNotFoundError } from "./errors";

export type TaskStatus = "queued" | "running" | "succeeded" | "failed";

export interface TaskRecord {
	id: string;
	agentId: string;
	type: string;
	input: unknown;
	caller: Caller;
	status: TaskStatus;
	result: unknown;
	error: unknown;
	createdAt: string;
	finishedAt: string | null;
	/** From acceptance to the end; null while it runs. */
	durationMs: number | null;
}

/** Filters of the task list, newest first; since: created at or after. */
export interface TaskQuery {
	agentId?: string;
	status?: TaskStatus;
	since?: Date;
	limit?: number;
	offset?: number;
}

/** A task as lists show it: without its input and result, which can be large (GET /tasks/:id has them). */
export type TaskSummary = Omit<TaskRecord, "input" | "result">;

export interface TaskPage {
	items: TaskSummary[];
	total: number;
	limit: number;
	offset: number;
}

export const TASK_STATUSES: readonly TaskStatus[] = ["queued", "running", "succeeded", "failed"];
export const DEFAULT_TASK_PAGE = 50;
export const MAX_TASK_PAGE = 500;

interface Row {
	id: string;
	agent_id: string;
	type: string;
	input: unknown;
	caller: Caller;
	status: TaskStatus;
	result: unknown;
	error: unknown;
	created_at: Date;
	finished_at: Date | null;
}

export type TaskOutcome = { ok: true; result: unknown } | { ok: false; error: unknown };

/** A task as it is recorded: its id, the agent it is for, what it asks and who asked. */
export interface TaskEntry {
	id: string;
	agentId: string;
	task: { type: string };
	caller: Caller;
}

/** How a task is run: awaited (its caller holds the only copy meanwhile) or handed over (acknowledged at once). */
export type RecordMode = { handedOver: false } | { handedOver: true; onUnrecorded(err: Error): void };

/** status, result, error */
function outcomeColumns(outcome: TaskOutcome): [string, string | null, string | null] {
	return outcome.ok ? ["succeeded", JSON.stringify(outcome.result ?? null), null] : ["failed", null, JSON.stringify(outcome.error)];
}

/** What the task row keeps of an error: the caller sees the same type, message and data. */
function failure(err: Error & { type?: string; data?: unknown }): TaskOutcome {
	return { ok: false, error: { type: err.type ?? err.name, message: err.message, data: err.data } };
}

/**
 * Tasks and their outcomes (table `agent_tasks`); `runRecorded` is the one writer. A task
 * handed over is written before it is acknowledged and updated when it ends; a task its
 * caller waits for is written once, when it ends.
 */
export class TaskStore {
	constructor(private readonly db: Database) {}

	static newId(): string {
		return crypto.randomUUID();
	}

	/**
	 * Runs the task and records it. Awaited: settles as `run` does, after its outcome is
	 * written. Handed over: resolves once the task is written (so it is never lost
	 * silently) and records the outcome when `run` ends, telling `onUnrecorded` when that
	 * write fails.
	 */
	runRecorded<T>(entry: TaskEntry, run: () => Promise<T>, mode: { handedOver: false }): Promise<T>;
	runRecorded<T>(entry: TaskEntry, run: () => Promise<T>, mode: { handedOver: true; onUnrecorded(err: Error): void }): Promise<void>;
	async runRecorded<T>(entry: TaskEntry, run: () => Promise<T>, mode: RecordMode): Promise<T | void> {
		if (!mode.handedOver) {
			const receivedAt = new Date();
			let result: T;
			try {
				result = await run();
			} catch (err) {
				await this.record(entry, failure(err as Error), receivedAt);
				throw err;
			}
			await this.record(entry, { ok: true, result }, receivedAt);
			return result;
		}
		await this.create(entry);
		run()
			.then(
				result => this.finish(entry.id, { ok: true, result }),
				(err: Error) => this.finish(entry.id, failure(err))
			)
			.catch((err: Error) => mode.onUnrecorded(err));
	}

	private async create({ id, agentId, task, caller }: TaskEntry): Promise<void> {
		await this.db.query("INSERT INTO agent_tasks (id, agent_id, type, input, caller, status) VALUES ($1, $2, $3, $4, $5, 'queued')", [
			id,
			agentId,
			task.type,
			JSON.stringify(task),
			JSON.stringify(caller)
		]);
	}

	/** A task that has ended, in one write; `receivedAt` keeps its duration (created → finished) true. */
	private async record({ id, agentId, task, caller }: TaskEntry, outcome: TaskOutcome, receivedAt: Date): Promise<void> {
		await this.db.query(
			"INSERT INTO agent_tasks (id, agent_id, type, input, caller, status, result, error, created_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())",
			[id, agentId, task.type, JSON.stringify(task), JSON.stringify(caller), ...outcomeColumns(outcome), receivedAt]
		);
	}

	private async finish(id: string, outcome: TaskOutcome): Promise<void> {
		await this.db.query("UPDATE agent_tasks SET status = $2, result = $3, error = $4, finished_at = now() WHERE id = $1", [id, ...outcomeColumns(outcome)]);
	}

	async get(id: string): Promise<TaskRecord> {
		const { rows } = await this.db.query<Row>("SELECT * FROM agent_tasks WHERE id = $1", [id]);
		if (!rows[0]) throw new TaskNotFoundError(id);
		return toRecord(rows[0]);
	}

	/** Recent tasks, newest first, with the number that match (for paging). */
	async list(q: TaskQuery): Promise<TaskPage> {
		const limit = Math.min(Math.max(q.limit ?? DEFAULT_TASK_PAGE, 1), MAX_TASK_PAGE);
		const offset = Math.max(q.offset ?? 0, 0);
		const params: (string | number)[] = [];
		const conditions: string[] = [];
		const add = (value: string, sql: (p: string) => string) => conditions.push(sql(`$${params.push(value)}`));
		if (q.agentId) add(q.agentId, p => `agent_id = ${p}`);
		if (q.status) add(q.status, p => `status = ${p}`);
		if (q.since) add(new Date(q.since).toISOString(), p => `created_at >= ${p}::timestamptz`);
		const where = conditions.length ? `WHERE ${conditions.join(" AND ")}` : "";
		const count = await this.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM agent_tasks ${where}`, params);
		const n = params.length;
		const { rows } = await this.db.query<Omit<Row, "input" | "result">>(
			`SELECT ${SUMMARY_COLUMNS} FROM agent_tasks ${where} ORDER BY created_at DESC, id LIMIT $${n + 1} OFFSET $${n + 2}`,
			[...params, limit, offset]
		);
		return { items: rows.map(toSummary), total: Number(count.rows[0].n), limit, offset };
	}
}

const SUMMARY_COLUMNS = "id, agent_id, type, caller, status, error, created_at, finished_at";

function toSummary(r: Omit<Row, "input" | "result">): TaskSummary {
	const createdAt = new Date(r.created_at);
	const finishedAt = r.finished_at ? new Date(r.finished_at) : null;
	return {
		id: r.id,
		agentId: r.agent_id,
		type: r.type,
		caller: r.caller,
		status: r.status,
		error: r.error,
		createdAt: createdAt.toISOString(),
		finishedAt: finishedAt ? finishedAt.toISOString() : null,
		durationMs: finishedAt ? Math.max(finishedAt.getTime() - createdAt.getTime(), 0) : null
	};
}

function toRecord(r: Row): TaskRecord {
	return { ...toSummary(r), input: r.input, result: r.result };
}
