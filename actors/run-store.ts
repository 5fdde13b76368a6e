import type { Database, Queryable } from "../lib/kernel/database";
import type { Caller, AgentTask } from "./agent-api";
import type { RunWait } from "./errors";
import type { TaskEntry, TaskOutcome } from "./task-store";
import { isDuplicate, outcomeColumns, taskEnded } from "./task-store";
import { TaskExistsError } from "./errors";

/** A durable run as recovery and the runner see it. */
export interface RunRow {
	id: string;
	agentId: string;
	task: AgentTask;
	caller: Caller;
	status: "queued" | "running" | "suspended";
	owner: string | null;
	attempts: number;
	failedStep: number | null;
	stepFailures: number;
	waitingFor: RunWait | null;
}

interface Row {
	id: string;
	agent_id: string;
	input: AgentTask;
	caller: Caller;
	status: RunRow["status"];
	owner: string | null;
	attempts: number;
	failed_step: number | null;
	step_failures: number;
	waiting_for: RunWait | null;
}

const toRun = (r: Row): RunRow => ({
	id: r.id,
	agentId: r.agent_id,
	task: r.input,
	caller: r.caller,
	status: r.status,
	owner: r.owner,
	attempts: r.attempts,
	failedStep: r.failed_step,
	stepFailures: r.step_failures,
	waitingFor: r.waiting_for
});

/** A child run cancelled with its parent. */
export interface CancelledChild {
	id: string;
	agentId: string;
	waitingFor: RunWait | null;
}

const RUN_COLUMNS = "id, agent_id, input, caller, status, owner, attempts, failed_step, step_failures, waiting_for";

/**
 * The durable-run side of `agent_tasks`: who runs each unfinished run (`owner`, a broker
 * instance), its attempts and failing step, what a suspended run waits for. Every change
 * of hands is a compare-and-set on the row, so two nodes never both run one task.
 */
export class RunStore {
	constructor(private readonly db: Database) {}

	/** A new run, written as running here before the agent sees it. */
	async insertRunning(entry: TaskEntry, owner: string): Promise<RunRow> {
		return this.insert(entry, "running", owner);
	}

	/** A new run nobody has taken yet (handed over: the node running the agent takes it). */
	async insertQueued(entry: TaskEntry): Promise<RunRow> {
		return this.insert(entry, "queued", null);
	}

	private async insert({ id, agentId, task, caller, contextId, protocolState, parentTaskId }: TaskEntry, status: "queued" | "running", owner: string | null): Promise<RunRow> {
		try {
			const { rows } = await this.db.query<Row>(
				`INSERT INTO agent_tasks (id, agent_id, type, input, caller, status, context_id, protocol_state, durable, owner, attempts, started_at, parent_task_id)
				 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true, $9, $10, CASE WHEN $9::text IS NULL THEN NULL ELSE now() END, $11) RETURNING ${RUN_COLUMNS}`,
				[
					id,
					agentId,
					task.type,
					JSON.stringify(task),
					JSON.stringify(caller),
					status,
					contextId ?? null,
					protocolState === undefined ? null : JSON.stringify(protocolState),
					owner,
					owner ? 1 : 0,
					parentTaskId ?? null
				],
				{ prepare: true }
			);
			return toRun(rows[0]);
		} catch (err) {
			throw isDuplicate(err) ? new TaskExistsError(id) : err;
		}
	}

	/**
	 * Takes a run that is as `seen` (same status and owner) for `owner`: it is running here
	 * from now. Undefined when another node took it first or it changed meanwhile.
	 */
	async claim(seen: Pick<RunRow, "id" | "status" | "owner">, owner: string): Promise<RunRow | undefined> {
		const { rows } = await this.db.query<Row>(
			`UPDATE agent_tasks SET status = 'running', owner = $3, attempts = attempts + 1, started_at = coalesce(started_at, now()), waiting_for = NULL, wait_until = NULL, retry_at = NULL
			 WHERE id = $1 AND status = $2 AND owner IS NOT DISTINCT FROM $4 RETURNING ${RUN_COLUMNS}`,
			[seen.id, seen.status, owner, seen.owner]
		);
		return rows[0] && toRun(rows[0]);
	}

	/** A queued run taken by id (its deliverer asks the agent's node to run it). */
	async claimQueued(id: string, owner: string): Promise<RunRow | undefined> {
		return this.claim({ id, status: "queued", owner: null }, owner);
	}

	/**
	 * The runs of these agents that need a node: queued and due, running on a broker instance
	 * that is gone, or suspended past their wait. `live` are the instances of the nodes up.
	 */
	async orphans(agentIds: string[], live: string[]): Promise<RunRow[]> {
		if (!agentIds.length) return [];
		const { rows } = await this.db.query<Row & { waiting_for: RunWait | null }>(
			`SELECT ${RUN_COLUMNS} FROM agent_tasks
			 WHERE agent_id = ANY($1) AND durable AND (
			   (status IN ('queued', 'running') AND (owner IS NULL OR NOT (owner = ANY($2))) AND (retry_at IS NULL OR retry_at <= now()))
			   OR (status = 'suspended' AND wait_until <= now())
			 ) ORDER BY created_at LIMIT 500`,
			[agentIds, live]
		);
		return rows.map(toRun);
	}

	/** How the run ended, from the node running it; false when it is not running here any more (cancelled, taken). */
	async finish(id: string, owner: string, outcome: TaskOutcome): Promise<boolean> {
		// A run that succeeded failed no step in the end: the failures it got over are not kept as its failed step.
		const { rows } = await this.db.query<{ finished_at: Date }>(
			`UPDATE agent_tasks SET status = $3, result = $4, error = $5, finished_at = now(), owner = NULL,
			   failed_step = CASE WHEN $3 = 'succeeded' THEN NULL ELSE failed_step END, step_failures = CASE WHEN $3 = 'succeeded' THEN 0 ELSE step_failures END
			 WHERE id = $1 AND owner = $2 AND status = 'running' RETURNING finished_at`,
			[id, owner, ...outcomeColumns(outcome)],
			{ prepare: true }
		);
		if (rows[0]) taskEnded(id, outcome, rows[0].finished_at);
		return rows.length > 0;
	}

	/** A child run its agent refused before it began (no step made): removed, so the parent's step made again starts it afresh. */
	async discardRefused(id: string): Promise<void> {
		await this.db.query(
			"DELETE FROM agent_tasks WHERE id = $1 AND parent_task_id IS NOT NULL AND status = 'failed' AND attempts = 1 AND NOT EXISTS (SELECT 1 FROM task_steps WHERE task_id = $1)",
			[id]
		);
	}

	/** The run waits for a person: nothing of it stays with any node. */
	async suspend(id: string, owner: string, wait: RunWait): Promise<boolean> {
		const { rowCount } = await this.db.query("UPDATE agent_tasks SET status = 'suspended', owner = NULL, waiting_for = $3, wait_until = $4 WHERE id = $1 AND owner = $2 AND status = 'running'", [
			id,
			owner,
			JSON.stringify(wait),
			wait.until
		]);
		return rowCount > 0;
	}

	/** A step failed again; the run is tried again after `retryAt` (by this node, or by recovery if it dies). */
	async stepFailed(id: string, owner: string, step: number, failures: number, retryAt: Date): Promise<void> {
		await this.db.query("UPDATE agent_tasks SET failed_step = $3, step_failures = $4, retry_at = $5 WHERE id = $1 AND owner = $2", [id, owner, step, failures, retryAt]);
	}

	/** This node tries the run again (a step failed transiently): one attempt more; undefined when it is not running here any more (cancelled). */
	async nextAttempt(id: string, owner: string): Promise<number | undefined> {
		const { rows } = await this.db.query<{ attempts: number }>(
			"UPDATE agent_tasks SET attempts = attempts + 1, retry_at = NULL WHERE id = $1 AND owner = $2 AND status = 'running' RETURNING attempts",
			[id, owner]
		);
		return rows[0]?.attempts;
	}

	/** Hands a run back: queued, nobody's, due at `retryAt`. */
	async release(id: string, owner: string, retryAt: Date): Promise<void> {
		await this.db.query("UPDATE agent_tasks SET status = 'queued', owner = NULL, retry_at = $3 WHERE id = $1 AND owner = $2 AND status = 'running'", [id, owner, retryAt]);
	}

	/** The suspended runs waiting on this approval are due (queued, their wait kept for the resume); answers their agents. */
	async wake(approvalId: string): Promise<string[]> {
		const { rows } = await this.db.query<{ agent_id: string }>(
			"UPDATE agent_tasks SET status = 'queued', wait_until = NULL WHERE status = 'suspended' AND waiting_for ->> 'approvalId' = $1 RETURNING agent_id",
			[approvalId]
		);
		return [...new Set(rows.map(r => r.agent_id))];
	}

	/**
	 * Cancels a task that has not ended, and the open child runs its steps started (and
	 * theirs): nobody waits for them any more. Answers what it was (its agent, status, what it
	 * waited for) and the children cancelled, or undefined when there is no such task; `ended`
	 * when it had ended already (its children are left as they are).
	 */
	async cancel(id: string): Promise<{ agentId: string; status: string; attempts: number; waitingFor: RunWait | null; ended: boolean; children: CancelledChild[] } | undefined> {
		return this.db.transaction(async tx => {
			const { rows } = await tx.query<{ agent_id: string; status: string; attempts: number; waiting_for: RunWait | null }>(
				"SELECT agent_id, status, attempts, waiting_for FROM agent_tasks WHERE id = $1 FOR UPDATE",
				[id]
			);
			const row = rows[0];
			if (!row) return undefined;
			const open = row.status === "queued" || row.status === "running" || row.status === "suspended";
			const children = open ? await this.cancelOpen(tx, id) : [];
			return { agentId: row.agent_id, status: row.status, attempts: row.attempts, waitingFor: row.waiting_for, ended: !open, children };
		});
	}

	/** Marks a task cancelled with its open child runs (and theirs); answers the children. */
	private async cancelOpen(tx: Queryable, id: string): Promise<CancelledChild[]> {
		await tx.query("UPDATE agent_tasks SET status = 'cancelled', finished_at = now(), owner = NULL WHERE id = $1", [id]);
		const { rows } = await tx.query<{ id: string; agent_id: string; waiting_for: RunWait | null }>(
			`WITH RECURSIVE tree(id) AS (
			   SELECT id FROM agent_tasks WHERE parent_task_id = $1
			   UNION SELECT t.id FROM agent_tasks t JOIN tree ON t.parent_task_id = tree.id
			 )
			 UPDATE agent_tasks SET status = 'cancelled', finished_at = now(), owner = NULL
			 WHERE id IN (SELECT id FROM tree) AND status IN ('queued', 'running', 'suspended') RETURNING id, agent_id, waiting_for`,
			[id]
		);
		return rows.map(c => ({ id: c.id, agentId: c.agent_id, waitingFor: c.waiting_for }));
	}

	/** The tasks of an agent that have not ended (its deletion cancels them). */
	async openOf(agentId: string): Promise<string[]> {
		const { rows } = await this.db.query<{ id: string }>("SELECT id FROM agent_tasks WHERE agent_id = $1 AND status IN ('queued', 'running', 'suspended') ORDER BY created_at", [agentId]);
		return rows.map(r => r.id);
	}

	/** A failed durable run queued again, its journal kept; undefined when it is not one. */
	async requeueFailed(id: string): Promise<{ agentId: string } | { status: string; durable: boolean } | undefined> {
		const { rows } = await this.db.query<{ agent_id: string }>(
			"UPDATE agent_tasks SET status = 'queued', owner = NULL, error = NULL, finished_at = NULL, failed_step = NULL, step_failures = 0, retry_at = NULL WHERE id = $1 AND status = 'failed' AND durable RETURNING agent_id",
			[id]
		);
		if (rows[0]) return { agentId: rows[0].agent_id };
		const found = await this.db.query<{ status: string; durable: boolean }>("SELECT status, durable FROM agent_tasks WHERE id = $1", [id]);
		return found.rows[0];
	}

	/** Removes tasks (and their journals) that ended before `before`; answers how many. */
	async purgeEnded(before: Date): Promise<number> {
		return this.db.transaction(async tx => {
			const { rows } = await tx.query<{ id: string }>("DELETE FROM agent_tasks WHERE finished_at < $1 AND status IN ('succeeded', 'failed', 'cancelled') RETURNING id", [before]);
			if (rows.length) await tx.query("DELETE FROM task_steps WHERE task_id = ANY($1)", [rows.map(r => r.id)]);
			return rows.length;
		});
	}
}
