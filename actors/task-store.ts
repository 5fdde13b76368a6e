import crypto from "node:crypto";
import { EventEmitter } from "node:events";
import { Errors } from "moleculer";
import type { Database } from "../lib/kernel/database";
import type { SqlParam } from "../lib/kernel/database/database";
import type { Caller } from "./agent-api";
import { TaskExistsError, TaskNotFoundError, type RunWait } from "./errors";
import type { JournalStep } from "./run-journal";

export type TaskStatus = "queued" | "running" | "suspended" | "succeeded" | "failed" | "cancelled";

/** The states a task ends in. */
export const ENDED: readonly TaskStatus[] = ["succeeded", "failed", "cancelled"];

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
	/** The conversation the task belongs to (an A2A context, a chat session), when its caller named one. */
	contextId: string | null;
	/** Journaled and resumable after a crash (its agent's manifest did not turn that off). */
	durable: boolean;
	/** Times its run was started or resumed. */
	attempts: number;
	/** What a suspended run waits for. */
	waitingFor: RunWait | null;
	/** The step the last attempts failed at, and how many times in a row; null when none failed. */
	failedStep: { step: number; failures: number } | null;
	/** The run whose step asked this task's agent, when another agent's durable run asked it. */
	parentTaskId: string | null;
}

/** A run another agent's run asked for, as its parent's detail lists it. */
export interface ChildTask {
	id: string;
	agentId: string;
	status: TaskStatus;
}

/** A task with its run (`GET /tasks/:id`): each step it made, with timings and costs. */
export interface TaskDetail extends TaskRecord {
	steps: JournalStep[];
	/** The child runs its steps started by asking other agents, oldest first. */
	children: ChildTask[];
	/** What the steps cost together. */
	costUsd: number;
	tokens: number;
}

/** How a task ended, as its end is written. */
export type TaskEnd = Pick<TaskRecord, "id" | "status" | "result" | "error" | "finishedAt">;

/** A task with the record an open protocol (A2A) keeps of it: history, artifacts. */
export interface ProtocolTaskRecord extends TaskRecord {
	protocolState: unknown;
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

export const TASK_STATUSES: readonly TaskStatus[] = ["queued", "running", "suspended", "succeeded", "failed", "cancelled"];
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
	context_id: string | null;
	protocol_state: unknown;
	durable: boolean;
	attempts: number;
	waiting_for: RunWait | null;
	failed_step: number | null;
	step_failures: number;
	parent_task_id: string | null;
}

/**
 * Whose tasks a reader sees: an identity (`token:<id>`, `agent:<id>`…) sees its own tasks
 * and the child runs of those; null sees them all (an admin, the node, an operator inside
 * the cluster).
 */
export type TaskViewer = string | null;

export type TaskOutcome = { ok: true; result: unknown } | { ok: false; error: unknown };

/** A task as it is recorded: its id, the agent it is for, what it asks and who asked. */
export interface TaskEntry {
	id: string;
	agentId: string;
	task: { type: string };
	caller: Caller;
	contextId?: string;
	/** An open protocol's record of the task (A2A: the message that asked), written with the row. */
	protocolState?: unknown;
	/** The run whose step asked for it (a child run). */
	parentTaskId?: string;
}

/** How a task is run: awaited (its caller holds the only copy meanwhile) or handed over (acknowledged at once). */
export type RecordMode = { handedOver: false } | { handedOver: true; onUnrecorded(err: Error): void };

/** status, result, error */
export function outcomeColumns(outcome: TaskOutcome): [string, string | null, string | null] {
	return outcome.ok ? ["succeeded", JSON.stringify(outcome.result ?? null), null] : ["failed", null, JSON.stringify(outcome.error)];
}

/** Tasks that ended on this node, so a waiter here learns at once (others poll). */
const endings = new EventEmitter().setMaxListeners(0);

/** Tells waiters on this node that the task ended, as written at `finishedAt`. */
export function taskEnded(id: string, outcome: TaskOutcome, finishedAt: Date): void {
	endings.emit(id, ended(id, outcome, finishedAt));
}

/** Tells waiters on this node that the task was cancelled. */
export function taskCancelled(id: string): void {
	endings.emit(id, { id, status: "cancelled", result: null, error: null, finishedAt: new Date().toISOString() } satisfies TaskEnd);
}

function ended(id: string, outcome: TaskOutcome, finishedAt: Date): TaskEnd {
	const [status, result, error] = outcome.ok ? (["succeeded", outcome.result ?? null, null] as const) : (["failed", null, outcome.error] as const);
	return { id, status, result, error, finishedAt: new Date(finishedAt).toISOString() };
}

/**
 * Postgres's unique_violation: a caller-chosen task id that is taken. The database layer
 * answers it as ALREADY_EXISTS (lib/kernel/database/constraint-error.ts); a driver's raw
 * error says 23505.
 */
export function isDuplicate(err: unknown): boolean {
	const e = err as { code?: unknown; type?: unknown };
	return e.code === "23505" || e.type === "ALREADY_EXISTS";
}

/** A task's recorded error as the error its waiting caller gets: the same type, message, code and data. */
export function taskError(recorded: unknown): Error {
	const e = (recorded ?? {}) as { type?: string; message?: string; code?: number; data?: unknown };
	return new Errors.MoleculerError(e.message ?? "the task failed", e.code ?? 502, e.type ?? "AGENT_TASK_FAILED", e.data);
}

export function failure(err: Error & { type?: string; code?: number; data?: unknown }): TaskOutcome {
	return { ok: false, error: { type: err.type ?? err.name, message: err.message, ...(typeof err.code === "number" && { code: err.code }), data: err.data } };
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

	private async create({ id, agentId, task, caller, contextId, protocolState }: TaskEntry): Promise<void> {
		try {
			await this.db.query("INSERT INTO agent_tasks (id, agent_id, type, input, caller, status, context_id, protocol_state) VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7)", [
				id,
				agentId,
				task.type,
				JSON.stringify(task),
				JSON.stringify(caller),
				contextId ?? null,
				protocolState === undefined ? null : JSON.stringify(protocolState)
			]);
		} catch (err) {
			throw isDuplicate(err) ? new TaskExistsError(id) : err;
		}
	}

	/** A task its agent refused before running it (not running, invalid, busy), as the refusal. */
	recordRefusal(entry: TaskEntry, err: Error): Promise<void> {
		return this.record(entry, failure(err), new Date());
	}

	/** A queued task refused for good when it was delivered; false when it was not queued any more. */
	async failQueued(id: string, err: Error): Promise<boolean> {
		const outcome = failure(err);
		const { rows } = await this.db.query<{ finished_at: Date }>(
			"UPDATE agent_tasks SET status = $2, result = $3, error = $4, finished_at = now() WHERE id = $1 AND status = 'queued' RETURNING finished_at",
			[id, ...outcomeColumns(outcome)]
		);
		if (rows[0]) taskEnded(id, outcome, rows[0].finished_at);
		return rows.length > 0;
	}

	/** A task that has ended, in one write; `receivedAt` keeps its duration (created → finished) true. */
	private async record({ id, agentId, task, caller, contextId, protocolState }: TaskEntry, outcome: TaskOutcome, receivedAt: Date): Promise<void> {
		try {
			await this.db.query(
				"INSERT INTO agent_tasks (id, agent_id, type, input, caller, status, result, error, created_at, finished_at, context_id, protocol_state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now(), $10, $11)",
				[id, agentId, task.type, JSON.stringify(task), JSON.stringify(caller), ...outcomeColumns(outcome), receivedAt, contextId ?? null, protocolState === undefined ? null : JSON.stringify(protocolState)]
			);
		} catch (err) {
			throw isDuplicate(err) ? new TaskExistsError(id) : err;
		}
	}

	/** A cancelled task keeps its state: the outcome of a run that could not be stopped is dropped. */
	private async finish(id: string, outcome: TaskOutcome): Promise<void> {
		const { rows } = await this.db.query<{ finished_at: Date }>(
			"UPDATE agent_tasks SET status = $2, result = $3, error = $4, finished_at = now() WHERE id = $1 AND status <> 'cancelled' RETURNING finished_at",
			[id, ...outcomeColumns(outcome)]
		);
		if (rows[0]) endings.emit(id, ended(id, outcome, rows[0].finished_at));
	}

	/** Keeps an open protocol's record of a task (history, artifacts) beside it; false when there is no such task. */
	async saveProtocolState(id: string, contextId: string, state: unknown): Promise<boolean> {
		const { rows } = await this.db.query<{ id: string }>("UPDATE agent_tasks SET context_id = $2, protocol_state = $3 WHERE id = $1 RETURNING id", [
			id,
			contextId,
			JSON.stringify(state)
		]);
		return rows.length > 0;
	}

	/**
	 * Resolves with the task's end: at once when it ends on this node (from the write
	 * itself, no read), by reading it every `pollMs` when it runs elsewhere (another node
	 * of the cluster). Watch before giving the task, so no end is missed; `signal` stops
	 * watching (the promise then rejects with its reason).
	 */
	whenEnded(id: string, options: { pollMs?: number; signal?: AbortSignal } = {}): Promise<TaskEnd> {
		const { pollMs = 500, signal } = options;
		return new Promise<TaskEnd>((resolve, reject) => {
			const stop = () => {
				endings.off(id, ended);
				clearInterval(timer);
				signal?.removeEventListener("abort", aborted);
			};
			const ended = (end: TaskEnd) => {
				stop();
				resolve(end);
			};
			const aborted = () => {
				stop();
				reject(signal?.reason);
			};
			const poll = () =>
				this.get(id).then(
					task => ENDED.includes(task.status) && ended(task),
					(err: Error) => (err instanceof TaskNotFoundError ? undefined : (stop(), reject(err)))
				);
			endings.on(id, ended);
			const timer = setInterval(poll, pollMs);
			signal?.addEventListener("abort", aborted);
		});
	}

	async get(id: string): Promise<TaskRecord> {
		const { rows } = await this.db.query<Row>("SELECT * FROM agent_tasks WHERE id = $1", [id]);
		if (!rows[0]) throw new TaskNotFoundError(id);
		return toRecord(rows[0]);
	}

	/** Recent tasks, newest first, with the number that match (for paging). */
	async list(q: TaskQuery, viewer: TaskViewer): Promise<TaskPage> {
		const limit = Math.min(Math.max(q.limit ?? DEFAULT_TASK_PAGE, 1), MAX_TASK_PAGE);
		const offset = Math.max(q.offset ?? 0, 0);
		const params: (string | number)[] = [];
		const conditions: string[] = [];
		const add = (value: string, sql: (p: string) => string) => conditions.push(sql(`$${params.push(value)}`));
		if (q.agentId) add(q.agentId, p => `agent_id = ${p}`);
		if (q.status) add(q.status, p => `status = ${p}`);
		if (q.since) add(new Date(q.since).toISOString(), p => `created_at >= ${p}::timestamptz`);
		if (viewer !== null) add(viewer, ownedBy);
		const where = conditions.length ? `WHERE ${conditions.join(" AND ")}` : "";
		const count = await this.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM agent_tasks ${where}`, params);
		const n = params.length;
		const { rows } = await this.db.query<Omit<Row, "input" | "result">>(
			`SELECT ${SUMMARY_COLUMNS} FROM agent_tasks ${where} ORDER BY created_at DESC, id LIMIT $${n + 1} OFFSET $${n + 2}`,
			[...params, limit, offset]
		);
		return { items: rows.map(toSummary), total: Number(count.rows[0].n), limit, offset };
	}

	/** Whether the viewer may see the task: it is theirs, or a child run of one of theirs (up its parents). False when there is no such task. */
	async seenBy(id: string, viewer: TaskViewer): Promise<boolean> {
		const { rows } = await this.db.query<{ owner: string | null }>(
			`WITH RECURSIVE up AS (
				SELECT id, parent_task_id, ${ownerSql("caller")} AS owner FROM agent_tasks WHERE id = $1
				UNION SELECT t.id, t.parent_task_id, ${ownerSql("t.caller")} FROM agent_tasks t JOIN up ON t.id = up.parent_task_id
			) SELECT owner FROM up`,
			[id]
		);
		return rows.length > 0 && (viewer === null || rows.some(r => r.owner === viewer));
	}

	/** The task as the viewer may see it; TASK_NOT_FOUND for another's, the same as for none, so the answer does not say it exists. */
	async getFor(id: string, viewer: TaskViewer): Promise<TaskRecord> {
		if (viewer !== null && !(await this.seenBy(id, viewer))) throw new TaskNotFoundError(id);
		return this.get(id);
	}

	/** The child runs the task's steps started, oldest first. */
	async children(id: string): Promise<ChildTask[]> {
		const { rows } = await this.db.query<{ id: string; agent_id: string; status: TaskStatus }>(
			"SELECT id, agent_id, status FROM agent_tasks WHERE parent_task_id = $1 ORDER BY created_at, id",
			[id]
		);
		return rows.map(r => ({ id: r.id, agentId: r.agent_id, status: r.status }));
	}

	/** A task with its protocol record, or undefined. */
	async find(id: string): Promise<ProtocolTaskRecord | undefined> {
		const { rows } = await this.db.query<Row>("SELECT * FROM agent_tasks WHERE id = $1", [id]);
		return rows[0] ? { ...toRecord(rows[0]), protocolState: rows[0].protocol_state } : undefined;
	}

	/** An agent's tasks with their protocol records, newest first, optionally of one conversation and states; `total` counts them all. */
	async listForAgent(
		agentId: string,
		filter: { contextId?: string; statuses?: TaskStatus[]; offset: number; limit: number; viewer: TaskViewer }
	): Promise<{ tasks: ProtocolTaskRecord[]; total: number }> {
		const where = ["agent_id = $1"];
		const args: SqlParam[] = [agentId];
		if (filter.viewer !== null) where.push(ownedBy(`$${args.push(filter.viewer)}`));
		if (filter.contextId) where.push(`context_id = $${args.push(filter.contextId)}`);
		if (filter.statuses) where.push(`status = ANY($${args.push(filter.statuses)})`);
		const clause = where.join(" AND ");
		const [{ rows }, count] = await Promise.all([
			this.db.query<Row>(`SELECT * FROM agent_tasks WHERE ${clause} ORDER BY created_at DESC, id LIMIT $${args.length + 1} OFFSET $${args.length + 2}`, [...args, filter.limit, filter.offset]),
			this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM agent_tasks WHERE ${clause}`, args)
		]);
		return { tasks: rows.map(r => ({ ...toRecord(r), protocolState: r.protocol_state })), total: count.rows[0]?.n ?? 0 };
	}
}

/**
 * The identity a row belongs to, from its caller column, as taskOwnerOf (lib/kernel/caller.ts)
 * names it; NULL (an admin's to see) for a row whose caller names none.
 */
function ownerSql(caller: string): string {
	return `COALESCE(${caller}->>'onBehalfOf', CASE ${caller}->>'kind' WHEN 'agent' THEN 'agent:' || (${caller}->>'id') WHEN 'system' THEN 'system' WHEN 'user' THEN ${caller}->>'id' END)`;
}

/** Rows of the identity in `param`: its own tasks and, down the tree, the child runs they started. */
function ownedBy(param: string): string {
	return `id IN (WITH RECURSIVE mine AS (
		SELECT id FROM agent_tasks WHERE ${ownerSql("caller")} = ${param}
		UNION SELECT t.id FROM agent_tasks t JOIN mine ON t.parent_task_id = mine.id
	) SELECT id FROM mine)`;
}

const SUMMARY_COLUMNS = "id, agent_id, type, caller, status, error, created_at, finished_at, context_id, durable, attempts, waiting_for, failed_step, step_failures, parent_task_id";

function toSummary(r: Omit<Row, "input" | "result" | "protocol_state">): TaskSummary {
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
		durationMs: finishedAt ? Math.max(finishedAt.getTime() - createdAt.getTime(), 0) : null,
		contextId: r.context_id,
		durable: r.durable,
		attempts: r.attempts,
		waitingFor: r.waiting_for,
		failedStep: r.failed_step === null || r.step_failures === 0 ? null : { step: r.failed_step, failures: r.step_failures },
		parentTaskId: r.parent_task_id ?? null
	};
}

function toRecord(r: Row): TaskRecord {
	return { ...toSummary(r), input: r.input, result: r.result };
}
