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
}

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

/**
 * Tasks and their outcomes. A task handed over (not awaited) is written before it is
 * acknowledged and updated when it ends; a task its caller waits for is written once, when
 * it ends.
 */
/** status, result, error */
function outcomeColumns(outcome: TaskOutcome): [string, string | null, string | null] {
	return outcome.ok ? ["succeeded", JSON.stringify(outcome.result ?? null), null] : ["failed", null, JSON.stringify(outcome.error)];
}

export class TaskStore {
	constructor(private readonly db: Database) {}

	static newId(): string {
		return crypto.randomUUID();
	}

	async create(id: string, agentId: string, task: { type: string }, caller: Caller): Promise<void> {
		await this.db.query("INSERT INTO agent_tasks (id, agent_id, type, input, caller, status) VALUES ($1, $2, $3, $4, $5, 'queued')", [
			id,
			agentId,
			task.type,
			JSON.stringify(task),
			JSON.stringify(caller)
		]);
	}

	/** A task that has ended, in one write; `receivedAt` keeps its duration (created → finished) true. */
	async record(id: string, agentId: string, task: { type: string }, caller: Caller, outcome: TaskOutcome, receivedAt = new Date()): Promise<void> {
		await this.db.query(
			"INSERT INTO agent_tasks (id, agent_id, type, input, caller, status, result, error, created_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())",
			[id, agentId, task.type, JSON.stringify(task), JSON.stringify(caller), ...outcomeColumns(outcome), receivedAt]
		);
	}

	async finish(id: string, outcome: TaskOutcome): Promise<void> {
		await this.db.query("UPDATE agent_tasks SET status = $2, result = $3, error = $4, finished_at = now() WHERE id = $1", [id, ...outcomeColumns(outcome)]);
	}

	async get(id: string): Promise<TaskRecord> {
		const { rows } = await this.db.query<Row>("SELECT * FROM agent_tasks WHERE id = $1", [id]);
		if (!rows[0]) throw new TaskNotFoundError(id);
		const r = rows[0];
		return {
			id: r.id,
			agentId: r.agent_id,
			type: r.type,
			input: r.input,
			caller: r.caller,
			status: r.status,
			result: r.result,
			error: r.error,
			createdAt: new Date(r.created_at).toISOString(),
			finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null
		};
	}
}
