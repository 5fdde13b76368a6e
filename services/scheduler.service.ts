import type { Context, ServiceSchema } from "moleculer";
import { Counter, Histogram } from "prom-client";
import { ScheduleForbiddenError, ScheduleInvalidError } from "../lib/cluster/errors";
import type { LeaderElection } from "../lib/cluster/leader-election";
import { hostingNodes } from "../lib/cluster/nodes";
import { firstTick, MAX_INTERVAL_MS, parseCadence } from "../lib/cluster/schedule";
import { ScheduleStore, cadenceOf, toView, type RunView, type ScheduleRow, type ScheduleTarget, type ScheduleView, type CreateScheduleParams } from "../lib/cluster/schedule-store";
import type { Kernel } from "../lib/kernel/kernel";
import type { NodeMetrics } from "../lib/kernel/metrics";
import type { Scope } from "../lib/security/capabilities";
import { requiresDatabase } from "../mixins/requires-database.mixin";
import { OFFSET_PARAM } from "../lib/schema/number-bounds";
import { defineService } from "../lib/kernel/define-service";

/** Changes run once: the broker must not repeat them on a retryable error. */
const ONCE = { retryPolicy: { enabled: false } };
const ACTION_NAME = /^[A-Za-z][\w-]*(\.[\w-]+)+$/;
const MAX_RESULT_CHARS = 10_000;

interface Meta {
	$statusCode?: number;
	user?: { id: string; scopes?: Scope[] };
}

const byId = { id: "string" };

/** Service-action targets act with the node's authority: an admin token, or an operator inside the cluster (no gateway user). */
const mayTargetActions = (meta: Meta): boolean => !meta.user || meta.user.scopes?.includes("admin") === true;

/** What the scheduler's own `methods` put on `this`. */
interface SchedulerMethods {
	mayChange(row: ScheduleRow, meta: Meta, what: string): ScheduleRow;
	checkTarget(target: CreateScheduleParams["target"], meta: Meta): Promise<ScheduleTarget>;
	execute(row: ScheduleRow, runId: number, trigger: "tick" | "manual"): Promise<void>;
	fireDue(): Promise<void>;
}

/**
 * Scheduled jobs: a cron expression or an interval, sending a task to an agent or calling
 * a service action. Any node stores and changes them; only the leader fires their ticks
 * (see ScheduleStore.claim), so each tick runs once in the cluster, and a new leader
 * carries on from the tick the last one recorded.
 */
export default function createSchedulerService(kernel: Kernel, { election, owned }: { election: LeaderElection; owned: boolean }, metrics?: NodeMetrics): ServiceSchema {
	const { config, db } = kernel;
	const store = new ScheduleStore(db);
	const runsTotal = metrics && new Counter({ name: "agentos_schedule_runs_total", help: "Runs of scheduled jobs on this node, by trigger and outcome", labelNames: ["trigger", "status"], registers: [metrics.registry] });
	const runSeconds = metrics && new Histogram({ name: "agentos_schedule_run_seconds", help: "How long runs of scheduled jobs take", registers: [metrics.registry], buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120] });
	let ticker: NodeJS.Timeout | undefined;
	let firing = false;
	let leading = false;

	return defineService<SchedulerMethods>({
		name: "scheduler",
		mixins: [requiresDatabase(kernel)],
		settings: { rest: "/" },

		actions: {
			create: {
				...ONCE,
				rest: "POST /schedules",
				description: "Schedules a task for an agent (or an action) on a cron expression or at a fixed interval.",
				scope: "schedules",
				audit: true,
				params: {
					name: { type: "string", min: 1, max: 100, optional: true },
					cron: { type: "string", min: 1, max: 200, optional: true },
					timezone: { type: "string", min: 1, max: 64, optional: true },
					// The lower bound is parseCadence's, which says why (SCHEDULE_INVALID).
					intervalMs: { type: "number", integer: true, positive: true, max: MAX_INTERVAL_MS, optional: true },
					target: {
						type: "object",
						strict: true,
						props: {
							agent: { type: "string", min: 1, max: 63, optional: true },
							task: { type: "object", optional: true, props: { type: { type: "string", min: 1, max: 100 } } },
							action: { type: "string", min: 3, max: 200, optional: true },
							params: { type: "object", optional: true }
						}
					},
					timeoutMs: { type: "number", integer: true, min: 100, max: config.MAX_AGENT_TASK_TIMEOUT_MS, optional: true },
					maxFailures: { type: "number", integer: true, min: 0, max: 1000, optional: true },
					paused: { type: "boolean", optional: true }
				},
				async handler(ctx: Context<CreateScheduleParams, Meta>): Promise<ScheduleView> {
					const cadence = parseCadence(ctx.params);
					const target = await this.checkTarget(ctx.params.target, ctx.meta);
					const now = new Date();
					const row = await store.create({
						name: ctx.params.name ?? (target.kind === "agent" ? `${target.agent}: ${String(target.task.type)}` : target.action),
						cadence,
						target,
						timeoutMs: ctx.params.timeoutMs ?? Math.min(30_000, config.MAX_AGENT_TASK_TIMEOUT_MS),
						maxFailures: ctx.params.maxFailures ?? config.SCHEDULER_MAX_FAILURES,
						paused: ctx.params.paused ?? false,
						createdBy: ctx.meta.user?.id ?? "system",
						firstRunAt: firstTick(cadence, now)
					});
					ctx.meta.$statusCode = 201;
					return toView(row);
				}
			},

			list: {
				rest: "GET /schedules",
				description: "Lists the schedules with their cadence, target and next run, a page at a time.",
				scope: "schedules",
				params: {
					limit: { type: "number", integer: true, min: 1, max: 1000, optional: true, convert: true },
					offset: OFFSET_PARAM
				},
				async handler(ctx: Context<{ limit?: number; offset?: number }>) {
					const { limit = 100, offset = 0 } = ctx.params;
					const { items, total } = await store.list(limit, offset);
					return { items: items.map(toView), total, limit, offset };
				}
			},

			get: {
				rest: "GET /schedules/:id",
				description: "One schedule by id, with its cadence, target, state and next run.",
				scope: "schedules",
				params: byId,
				async handler(ctx: Context<{ id: string }>): Promise<ScheduleView> {
					return toView(await store.get(ctx.params.id));
				}
			},

			remove: {
				...ONCE,
				rest: "DELETE /schedules/:id",
				description: "Deletes a schedule: its target is not run again.",
				scope: "schedules",
				audit: true,
				params: byId,
				async handler(ctx: Context<{ id: string }, Meta>): Promise<ScheduleView> {
					const row = this.mayChange(await store.get(ctx.params.id), ctx.meta, "remove");
					await store.remove(row.id);
					return toView(row);
				}
			},

			pause: {
				...ONCE,
				rest: "POST /schedules/:id/pause",
				description: "Pauses a schedule: it does not run until it is resumed.",
				scope: "schedules",
				audit: true,
				params: byId,
				async handler(ctx: Context<{ id: string }, Meta>): Promise<ScheduleView> {
					const row = this.mayChange(await store.get(ctx.params.id), ctx.meta, "pause");
					return toView(await store.setState(row.id, "paused", "paused by request", row.next_run_at));
				}
			},

			resume: {
				...ONCE,
				rest: "POST /schedules/:id/resume",
				description: "Resumes a paused schedule from its next due time.",
				scope: "schedules",
				audit: true,
				params: byId,
				async handler(ctx: Context<{ id: string }, Meta>): Promise<ScheduleView> {
					const row = this.mayChange(await store.get(ctx.params.id), ctx.meta, "resume");
					// Ticks missed while paused are not made up: the next one is counted from now.
					return toView(await store.setState(row.id, "active", null, firstTick(cadenceOf(row), new Date())));
				}
			},

			trigger: {
				...ONCE,
				rest: "POST /schedules/:id/trigger",
				description: "Runs a schedule's target now, outside its timetable.",
				scope: "schedules",
				audit: true,
				params: byId,
				async handler(ctx: Context<{ id: string }, Meta>): Promise<RunView> {
					const row = this.mayChange(await store.get(ctx.params.id), ctx.meta, "trigger");
					const runId = await store.startManual(row.id, this.broker.nodeID);
					await this.execute(row, runId, "manual");
					return store.run(runId);
				}
			},

			runs: {
				rest: "GET /schedules/:id/runs",
				description: "A schedule's recent runs with their outcome, newest first.",
				scope: "schedules",
				params: { id: "string", limit: { type: "number", integer: true, min: 1, max: 1000, optional: true, convert: true } },
				async handler(ctx: Context<{ id: string; limit?: number }>): Promise<RunView[]> {
					const row = await store.get(ctx.params.id);
					return store.runs(row.id, ctx.params.limit ?? 100);
				}
			}
		},

		methods: {
			/**
			 * The schedule, when the caller may remove, pause, resume or trigger it: one that
			 * calls a service action acts with the node's authority, so only an admin (as for
			 * creating it) touches it; a `schedules` token has the ones that send agent tasks.
			 */
			mayChange(row: ScheduleRow, meta: Meta, what: string): ScheduleRow {
				if (row.target.kind === "action" && !mayTargetActions(meta)) {
					throw new ScheduleForbiddenError(`Only an admin token may ${what} schedule ${row.id}: it calls the service action ${row.target.action}`);
				}
				return row;
			},

			/** The target as stored, or a 4xx naming the field. Calling actions is for admins: it acts with the node's authority. */
			async checkTarget(target: CreateScheduleParams["target"], meta: Meta): Promise<ScheduleTarget> {
				if ((target.agent === undefined) === (target.action === undefined)) {
					throw new ScheduleInvalidError("target", "target needs exactly one of agent (with task) and action (with optional params)");
				}
				if (target.agent !== undefined) {
					if (!target.task) throw new ScheduleInvalidError("target.task", "target.task is required with target.agent: the task to send, e.g. {\"type\": \"report\"}");
					if (target.params !== undefined) throw new ScheduleInvalidError("target.params", "target.params goes with target.action; an agent gets target.task");
					const { rows } = await db.query("SELECT 1 FROM agents WHERE id = $1", [target.agent]);
					if (rows.length === 0) throw new ScheduleInvalidError("target.agent", `target.agent: there is no agent ${target.agent}`);
					return { kind: "agent", agent: target.agent, task: target.task };
				}
				if (target.task !== undefined) throw new ScheduleInvalidError("target.task", "target.task goes with target.agent; an action gets target.params");
				if (!ACTION_NAME.test(target.action!) || target.action!.startsWith("$")) {
					throw new ScheduleInvalidError("target.action", `target.action must be a service action such as "audit.verify" (got ${JSON.stringify(target.action)})`);
				}
				if (!mayTargetActions(meta)) throw new ScheduleForbiddenError("Only an admin token may schedule service actions; schedule an agent task instead");
				return { kind: "action", action: target.action!, params: target.params ?? {} };
			},

			/** Runs the job's target once and records the outcome (pausing the job after too many failures in a row). */
			async execute(row: ScheduleRow, runId: number, trigger: "tick" | "manual"): Promise<void> {
				const { target } = row;
				// The tasks it sends are its creator's: they see them as their own (task-viewer.ts).
				const meta = { caller: { kind: "system", id: `schedule:${row.id}`, onBehalfOf: row.created_by } };
				const started = process.hrtime.bigint();
				let status: "succeeded" | "failed" = "succeeded";
				try {
					const result =
						target.kind === "agent"
							? await this.broker.call("agents.submitTask", { id: target.agent, task: target.task, timeoutMs: row.timeout_ms }, { meta, timeout: row.timeout_ms + config.CLUSTER_TASK_WAIT_MS + 5000 })
							: await this.broker.call(target.action, target.params, { meta, timeout: row.timeout_ms });
					const text = JSON.stringify(result ?? null);
					await store.finish(row.id, runId, { ok: true, result: text.length > MAX_RESULT_CHARS ? { truncated: true, chars: text.length } : (result ?? null) });
				} catch (err) {
					status = "failed";
					const e = err as Error & { type?: string };
					const after = await store.finish(row.id, runId, { ok: false, error: { type: e.type ?? e.name, message: e.message } }).catch(() => undefined);
					if (after?.state === "paused" && row.state === "active") this.logger.warn(`Schedule ${row.id} (${row.name}) paused itself: ${after.paused_reason}`);
				}
				runsTotal?.inc({ trigger, status });
				runSeconds?.observe(Number(process.hrtime.bigint() - started) / 1e9);
			},

			/** One pass of the leader: claims each due tick (once, fenced by the term) and runs it without waiting. */
			async fireDue(): Promise<void> {
				const term = election.term;
				if (term === undefined) return;
				if (!leading) {
					leading = true;
					// Runs of a leader that died will never finish: say so.
					const abandoned = await store.abandonRuns(hostingNodes(this.broker).map(n => n.id));
					if (abandoned) this.logger.warn(`Marked ${abandoned} run(s) of a lost node as failed`);
				}
				for (const row of await store.due()) {
					const runId = await store.claim(row, { nodeID: this.broker.nodeID, term }, new Date());
					if (runId === undefined) continue;
					void this.execute(row, runId, "tick").catch((err: Error) => this.logger.error(`Schedule ${row.id} run ${runId}: ${err.message}`));
				}
			}
		},

		started() {
			kernel.start().then(
				() => {
					if (owned) election.start();
					ticker = setInterval(() => {
						if (!election.isLeader) {
							leading = false;
							return;
						}
						if (firing) return;
						firing = true;
						this.fireDue()
							.catch((err: Error) => this.logger.warn(`Firing scheduled jobs failed: ${err.message}`))
							.finally(() => (firing = false));
					}, config.SCHEDULER_POLL_MS);
					ticker.unref();
				},
				() => undefined
			);
		},

		async stopped() {
			clearInterval(ticker);
			if (owned) await election.stop();
		}
	});
}
