/**
 * Scheduled jobs and their runs in the database. The one rule that makes a tick fire once
 * in the whole cluster lives here: `claim` moves a job from the tick that is due to the
 * next one with a compare-and-set, in the same transaction as it records the run, and
 * only while the claimant's leadership term is still the recorded one.
 */
import { randomUUID } from "node:crypto";
import type { Database } from "../kernel/database";
import { ScheduleNotFoundError } from "./errors";
import { LEADER_ROW, type Leadership } from "./leader-record";
import { nextTick, type Cadence } from "./schedule";

export type ScheduleTarget = { kind: "agent"; agent: string; task: Record<string, unknown> } | { kind: "action"; action: string; params: Record<string, unknown> };

export interface ScheduleRow {
	id: string;
	name: string;
	cron: string | null;
	timezone: string | null;
	interval_ms: string | null;
	target: ScheduleTarget;
	timeout_ms: number;
	state: "active" | "paused";
	paused_reason: string | null;
	max_failures: number;
	consecutive_failures: number;
	next_run_at: Date | null;
	last_tick_at: Date | null;
	created_by: string;
	created_at: Date;
}

/** A schedule as POST /api/v1/schedules takes it: a cron expression or an interval, and what to run. */
export interface CreateScheduleParams {
	name?: string;
	cron?: string;
	timezone?: string;
	intervalMs?: number;
	target: { agent?: string; task?: Record<string, unknown>; action?: string; params?: Record<string, unknown> };
	timeoutMs?: number;
	maxFailures?: number;
	paused?: boolean;
}

export interface ScheduleView {
	id: string;
	name: string;
	cron: string | null;
	timezone: string | null;
	intervalMs: number | null;
	target: ScheduleTarget;
	timeoutMs: number;
	state: "active" | "paused";
	pausedReason: string | null;
	maxFailures: number;
	consecutiveFailures: number;
	nextRunAt: string | null;
	lastTickAt: string | null;
	createdBy: string;
	createdAt: string;
}

export interface RunView {
	id: number;
	scheduleId: string;
	tickAt: string | null;
	trigger: "tick" | "manual";
	node: string;
	term: number | null;
	status: "running" | "succeeded" | "failed";
	result: unknown;
	error: { type: string; message: string } | null;
	startedAt: string;
	finishedAt: string | null;
}

export interface NewSchedule {
	name: string;
	cadence: Cadence;
	target: ScheduleTarget;
	timeoutMs: number;
	maxFailures: number;
	paused: boolean;
	createdBy: string;
	firstRunAt: Date | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function cadenceOf(row: ScheduleRow): Cadence {
	return row.cron !== null ? { kind: "cron", cron: row.cron, timezone: row.timezone ?? "UTC" } : { kind: "interval", intervalMs: Number(row.interval_ms) };
}

export function toView(row: ScheduleRow): ScheduleView {
	return {
		id: row.id,
		name: row.name,
		cron: row.cron,
		timezone: row.timezone,
		intervalMs: row.interval_ms === null ? null : Number(row.interval_ms),
		target: row.target,
		timeoutMs: row.timeout_ms,
		state: row.state,
		pausedReason: row.paused_reason,
		maxFailures: row.max_failures,
		consecutiveFailures: row.consecutive_failures,
		nextRunAt: iso(row.next_run_at),
		lastTickAt: iso(row.last_tick_at),
		createdBy: row.created_by,
		createdAt: iso(row.created_at)!
	};
}

function runView(row: Record<string, unknown>): RunView {
	return {
		id: Number(row.id),
		scheduleId: row.schedule_id as string,
		tickAt: iso(row.tick_at as Date | null),
		trigger: row.trigger as RunView["trigger"],
		node: row.node_id as string,
		term: row.term === null ? null : Number(row.term),
		status: row.status as RunView["status"],
		result: row.result ?? null,
		error: (row.error as RunView["error"]) ?? null,
		startedAt: iso(row.started_at as Date)!,
		finishedAt: iso(row.finished_at as Date | null)
	};
}

export class ScheduleStore {
	constructor(private readonly db: Database) {}

	async create(s: NewSchedule): Promise<ScheduleRow> {
		const { rows } = await this.db.query<ScheduleRow>(
			`INSERT INTO schedules (id, name, cron, timezone, interval_ms, target, timeout_ms, state, max_failures, next_run_at, created_by)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
			[
				randomUUID(),
				s.name,
				s.cadence.kind === "cron" ? s.cadence.cron : null,
				s.cadence.kind === "cron" ? s.cadence.timezone : null,
				s.cadence.kind === "interval" ? s.cadence.intervalMs : null,
				JSON.stringify(s.target),
				s.timeoutMs,
				s.paused ? "paused" : "active",
				s.maxFailures,
				s.firstRunAt,
				s.createdBy
			]
		);
		return rows[0];
	}

	async get(id: string): Promise<ScheduleRow> {
		const { rows } = await this.db.query<ScheduleRow>("SELECT * FROM schedules WHERE id::text = $1", [id]);
		if (!rows[0]) throw new ScheduleNotFoundError(id);
		return rows[0];
	}

	async list(limit: number, offset: number): Promise<{ items: ScheduleRow[]; total: number }> {
		const { rows } = await this.db.query<ScheduleRow>("SELECT * FROM schedules ORDER BY created_at, id LIMIT $1 OFFSET $2", [limit, offset]);
		const total = await this.db.query<{ n: string }>("SELECT count(*) AS n FROM schedules");
		return { items: rows, total: Number(total.rows[0].n) };
	}

	async remove(id: string): Promise<void> {
		await this.db.query("DELETE FROM schedules WHERE id::text = $1", [id]);
	}

	async setState(id: string, state: "active" | "paused", reason: string | null, nextRunAt: Date | null): Promise<ScheduleRow> {
		const { rows } = await this.db.query<ScheduleRow>(
			"UPDATE schedules SET state = $2, paused_reason = $3, next_run_at = $4, consecutive_failures = CASE WHEN $2 = 'active' THEN 0 ELSE consecutive_failures END, updated_at = now() WHERE id::text = $1 RETURNING *",
			[id, state, reason, nextRunAt]
		);
		if (!rows[0]) throw new ScheduleNotFoundError(id);
		return rows[0];
	}

	/** Active jobs whose tick is due. */
	async due(limit = 100): Promise<ScheduleRow[]> {
		const { rows } = await this.db.query<ScheduleRow>("SELECT * FROM schedules WHERE state = 'active' AND next_run_at <= now() ORDER BY next_run_at LIMIT $1", [limit]);
		return rows;
	}

	/**
	 * Fires the due tick of `row` for `leader`: moves the job to its next tick and records
	 * the run, or does nothing (returns undefined) when another node already did, the job
	 * changed, or `leader`'s term is no longer the cluster's.
	 */
	async claim(row: ScheduleRow, leader: Leadership, now: Date): Promise<number | undefined> {
		const due = row.next_run_at!;
		const next = nextTick(cadenceOf(row), new Date(due), now);
		return this.db.transaction(async tx => {
			const moved = await tx.query(
				`UPDATE schedules SET last_tick_at = next_run_at, next_run_at = $3, updated_at = now()
				 WHERE id = $1 AND next_run_at = $2 AND state = 'active'
				   AND EXISTS (SELECT 1 FROM cluster_leader WHERE name = $4 AND node_id = $5 AND term = $6)`,
				[row.id, due, next, LEADER_ROW, leader.nodeID, leader.term]
			);
			if (moved.rowCount === 0) return undefined;
			const { rows } = await tx.query<{ id: string }>(
				"INSERT INTO schedule_runs (schedule_id, tick_at, trigger, node_id, term, status) VALUES ($1, $2, 'tick', $3, $4, 'running') RETURNING id",
				[row.id, due, leader.nodeID, leader.term]
			);
			return Number(rows[0].id);
		});
	}

	async startManual(id: string, nodeID: string): Promise<number> {
		const { rows } = await this.db.query<{ id: string }>("INSERT INTO schedule_runs (schedule_id, trigger, node_id, status) VALUES ($1, 'manual', $2, 'running') RETURNING id", [id, nodeID]);
		return Number(rows[0].id);
	}

	/** Records a run's outcome; after `max_failures` failures in a row the job pauses itself. Returns the job. */
	async finish(scheduleId: string, runId: number, outcome: { ok: true; result: unknown } | { ok: false; error: { type: string; message: string } }): Promise<ScheduleRow | undefined> {
		await this.db.query("UPDATE schedule_runs SET status = $2, result = $3, error = $4, finished_at = now() WHERE id = $1", [
			runId,
			outcome.ok ? "succeeded" : "failed",
			outcome.ok ? JSON.stringify(outcome.result ?? null) : null,
			outcome.ok ? null : JSON.stringify(outcome.error)
		]);
		const { rows } = outcome.ok
			? await this.db.query<ScheduleRow>("UPDATE schedules SET consecutive_failures = 0, updated_at = now() WHERE id = $1 RETURNING *", [scheduleId])
			: await this.db.query<ScheduleRow>(
					`UPDATE schedules SET consecutive_failures = consecutive_failures + 1, updated_at = now(),
					   state = CASE WHEN max_failures > 0 AND consecutive_failures + 1 >= max_failures THEN 'paused' ELSE state END,
					   paused_reason = CASE WHEN max_failures > 0 AND consecutive_failures + 1 >= max_failures
					     THEN 'paused after ' || (consecutive_failures + 1) || ' failed runs in a row; last: ' || $2 ELSE paused_reason END
					 WHERE id = $1 RETURNING *`,
					[scheduleId, outcome.error.message.slice(0, 500)]
				);
		return rows[0];
	}

	/** Runs left `running` by nodes that are gone: they will never finish. */
	async abandonRuns(liveNodes: readonly string[]): Promise<number> {
		const { rowCount } = await this.db.query(
			`UPDATE schedule_runs SET status = 'failed', finished_at = now(), error = $2 WHERE status = 'running' AND NOT (node_id = ANY($1))`,
			[[...liveNodes], JSON.stringify({ type: "NODE_LOST", message: "the node running it went away before it finished" })]
		);
		return rowCount;
	}

	async runs(id: string, limit: number): Promise<RunView[]> {
		const { rows } = await this.db.query<Record<string, unknown>>("SELECT * FROM schedule_runs WHERE schedule_id::text = $1 ORDER BY id DESC LIMIT $2", [id, limit]);
		return rows.map(runView);
	}

	async run(id: number): Promise<RunView> {
		const { rows } = await this.db.query<Record<string, unknown>>("SELECT * FROM schedule_runs WHERE id = $1", [id]);
		return runView(rows[0]);
	}
}
