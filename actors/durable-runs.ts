import type { Context, Logger } from "moleculer";
import type { AgentRuntime } from "./agent-runtime";
import { acceptsTasks } from "./agent-state";
import {
	AgentBusyError,
	AgentNotRunningError,
	ReplayDivergedError,
	RunSuspendedError,
	TaskCancelledError,
	TaskExistsError,
	TaskNotFoundError,
	TaskStepFailedError,
	TaskTimeoutError,
	type RunWait
} from "./errors";
import type { JournalStep, RunJournal } from "./run-journal";
import type { RunRow, RunStore } from "./run-store";
import { TaskRun, type ResumePoint, type TaskRunDeps } from "./task-run";
import { ENDED, failure, taskError, type TaskEnd, type TaskEntry, type TaskOutcome, type TaskStatus, type TaskStore } from "./task-store";

/** A task's state changed (the WebSocket event `tasks.changed`). */
export interface TaskChange {
	id: string;
	agentId: string;
	status: TaskStatus;
	node: string;
	attempts?: number;
	waitingFor?: RunWait;
	error?: unknown;
}

export interface DurableRunsDeps {
	runs: RunStore;
	journal: RunJournal;
	tasks: TaskStore;
	nodeID: string;
	/** This broker's instance: the owner of the runs it runs. */
	instanceId: string;
	/** The instances of the nodes up now (this one included): runs owned by others are orphans. */
	liveInstances(): string[];
	/** The agent's runtime when it runs on this node. */
	runtimeOf(agentId: string): AgentRuntime | undefined;
	/** The agents running on this node. */
	localAgents(): string[];
	config: { TASK_STEP_ATTEMPTS: number; TASK_RETRY_DELAY_MS: number; TASK_OUTAGE_RETRY_MS: number };
	logger: Logger;
	changed(change: TaskChange): void;
}

export interface RunOptions {
	/** The request the task came in with, when somebody waits for it here. */
	parent?: Context;
	timeoutMs?: number;
	/** Somebody waits for the answer: a suspended run is waited for until the task's time is up. */
	awaited: boolean;
}

const MAX_RETRY_DELAY_MS = 60_000;
/** The type a worker's death reaches the run with (WorkerCrashedError). */
const WORKER_CRASHED = "WORKER_CRASHED";

/** What a caller of an ended run gets: its result, or its error as it was recorded. */
function answerOf(end: Pick<TaskEnd, "id" | "status" | "result" | "error">): unknown {
	if (end.status === "succeeded") return end.result;
	if (end.status === "cancelled") throw new TaskCancelledError(end.id);
	throw taskError(end.error);
}

const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms).unref());

/** The agent could not take the task at all (not running, mailbox full): not a failed step. */
const refused = (err: unknown) => err instanceof AgentNotRunningError || err instanceof AgentBusyError;
const retryable = (err: unknown) => (err as { retryable?: unknown })?.retryable === true;

/**
 * The durable runs of the agents on this node. Every task is written before its agent sees
 * it; its run goes through a TaskRun that journals each ctx call; a step that fails
 * transiently (the worker died, a service was away) is tried again from the journal, and
 * a step that fails TASK_STEP_ATTEMPTS times in a row parks the run as failed. Runs whose
 * node died (owner gone) are claimed and resumed here by `recover`, runs that wait for a
 * person are written as suspended and hold nothing in memory.
 */
export class DurableRuns {
	/** The attempt of each run going on here, to cancel it. */
	private readonly active = new Map<string, TaskRun>();
	/** The runs here between two attempts (a step of the last one settling, the retry delay): cancelling one ends its wait. */
	private readonly between = new Map<string, () => void>();
	private readonly runDeps: TaskRunDeps;
	private recovering: Promise<void> | undefined;

	constructor(private readonly deps: DurableRunsDeps) {
		this.runDeps = {
			append: (taskId, step) => deps.journal.append(taskId, step),
			suspend: async (run, wait) => {
				const full: RunWait = { ...wait, since: new Date().toISOString(), until: wait.expiresAt };
				delete (full as Partial<typeof wait>).expiresAt;
				if (!(await deps.runs.suspend(run.taskId, deps.instanceId, full))) throw new TaskCancelledError(run.taskId);
				this.changed(run.taskId, run.agentId, "suspended", { waitingFor: full });
				return full;
			}
		};
	}

	/** A new task, written as running here, then run; answers its result. */
	async start(runtime: AgentRuntime, entry: TaskEntry, options: RunOptions): Promise<unknown> {
		const row = await this.deps.runs.insertRunning(entry, this.deps.instanceId);
		return this.run(runtime, row, [], options, true);
	}

	/** A new task handed over (`tell`): written as running here, then run without anybody waiting. */
	async handOver(runtime: AgentRuntime, entry: TaskEntry, parent?: Context): Promise<void> {
		const row = await this.deps.runs.insertRunning(entry, this.deps.instanceId);
		this.inBackground(this.run(runtime, row, [], { parent, awaited: false }, true), row);
	}

	/**
	 * Another agent's durable run asks this agent (step `parent.step` of it): the task is a
	 * child run with an id derived from that step. The first ask writes it as running here and
	 * runs it; the same step made again (retried, or its run resumed elsewhere) finds it and
	 * waits for its end, or takes its outcome, so the work is not started again.
	 */
	async child(runtime: AgentRuntime, entry: TaskEntry & { parentTaskId: string }, parentStep: number, options: RunOptions): Promise<unknown> {
		let row: RunRow;
		try {
			row = await this.deps.runs.insertRunning(entry, this.deps.instanceId);
		} catch (err) {
			if (!(err instanceof TaskExistsError)) throw err;
			return this.joinChild(runtime, entry, parentStep, options);
		}
		try {
			return await this.run(runtime, row, [], options, true);
		} catch (err) {
			// Refused before it began (the agent busy or stopping): no child run, so the step made again asks afresh.
			if (refused(err)) await this.deps.runs.discardRefused(row.id);
			throw err;
		}
	}

	private async joinChild(runtime: AgentRuntime, entry: TaskEntry, parentStep: number, options: RunOptions): Promise<unknown> {
		const found = await this.deps.tasks.find(entry.id);
		if (!found) throw new TaskNotFoundError(entry.id);
		// The parent's step asked another agent the first time: its code did not make the same calls again.
		if (found.agentId !== entry.agentId || found.parentTaskId !== entry.parentTaskId) {
			throw new ReplayDivergedError(entry.parentTaskId ?? found.id, parentStep, `agent.${found.agentId}.ask`, `agent.${entry.agentId}.ask`);
		}
		this.deps.logger.info(`Task ${entry.parentTaskId} asks agent ${entry.agentId} again at step ${parentStep}: waiting for its child run ${entry.id}`);
		return ENDED.includes(found.status) ? answerOf(found) : this.waitFor(entry.id, entry.agentId, this.limit(runtime, options));
	}

	/** A queued task, taken here to run; when another node took it, its end is waited for (awaited) or left to it. */
	async take(runtime: AgentRuntime, taskId: string, options: RunOptions): Promise<unknown> {
		const row = await this.deps.runs.claimQueued(taskId, this.deps.instanceId);
		if (!row) return options.awaited ? this.waitFor(taskId, runtime.id, this.limit(runtime, options)) : undefined;
		return this.run(runtime, row, row.attempts > 1 ? await this.deps.journal.load(taskId) : [], options, true);
	}

	/** Stops the run's attempt here, if it runs here (its row is cancelled already). */
	cancelLocal(taskId: string): void {
		this.active.get(taskId)?.cancel();
		this.between.get(taskId)?.();
	}

	/**
	 * Claims and resumes the runs of these agents (default: all running here) that need a
	 * node: their node died, they are due again, or their wait for a person is over.
	 */
	recover(agentIds: string[] = this.deps.localAgents()): Promise<void> {
		// One sweep at a time; a sweep asked for meanwhile runs after it.
		const next = (this.recovering ?? Promise.resolve()).then(() => this.sweep(agentIds));
		this.recovering = next.catch((err: Error) => this.deps.logger.warn(`Recovering task runs failed: ${err.message}`));
		return this.recovering;
	}

	private async sweep(agentIds: string[]): Promise<void> {
		const local = agentIds.filter(id => {
			const runtime = this.deps.runtimeOf(id);
			return runtime !== undefined && acceptsTasks(runtime.state);
		});
		const rows = await this.deps.runs.orphans(local, this.deps.liveInstances());
		for (const seen of rows) {
			const runtime = this.deps.runtimeOf(seen.agentId);
			if (!runtime || this.active.has(seen.id)) continue;
			const row = await this.deps.runs.claim(seen, this.deps.instanceId);
			if (!row) continue;
			const journal = await this.deps.journal.load(row.id);
			// A run that was running on a node now gone died in the step after its journal.
			const died = seen.status === "running" ? this.countFailure(seen, journal.length + 1) : undefined;
			if (died && died.failures >= this.deps.config.TASK_STEP_ATTEMPTS) {
				await this.park(row, died.step, died.failures, `its node or worker died during the step (${died.failures} times)`);
				continue;
			}
			if (died) await this.deps.runs.stepFailed(row.id, this.deps.instanceId, died.step, died.failures, new Date());
			this.deps.logger.info(`Resuming task ${row.id} of agent ${row.agentId} at step ${journal.length + 1} (attempt ${row.attempts})`);
			const resumed = { ...row, waitingFor: seen.waitingFor, ...(died && { failedStep: died.step, stepFailures: died.failures }) };
			this.inBackground(this.run(runtime, resumed, journal, { awaited: false }, false), row);
		}
	}

	/** Runs an owned run to its end: attempts again while a step fails transiently. */
	private async run(runtime: AgentRuntime, row: RunRow, journal: JournalStep[], options: RunOptions, fresh: boolean): Promise<unknown> {
		const { instanceId, runs } = this.deps;
		const limit = this.limit(runtime, options);
		const deadline = Date.now() + limit;
		// Reported with the task's whole limit, not what was left of it when the last attempt began.
		const timedOut = (): Promise<unknown> => {
			const err = new TaskTimeoutError(row.agentId, row.id, limit);
			return this.finish(row, failure(err), err);
		};
		let steps = journal;
		let resumeAt: ResumePoint | undefined = row.waitingFor ? { step: row.waitingFor.step, approvalId: row.waitingFor.approvalId } : undefined;
		let failed: Pick<RunRow, "failedStep" | "stepFailures"> = row;
		this.changed(row.id, row.agentId, "running", { attempts: row.attempts });
		for (let attempt = 0; ; attempt++) {
			const run = new TaskRun(row.id, row.agentId, steps, this.runDeps, resumeAt);
			this.active.set(row.id, run);
			let outcome: { ok: true; result: unknown } | { ok: false; err: unknown };
			try {
				const timeoutMs = Math.max(deadline - Date.now(), 1);
				outcome = { ok: true, result: await runtime.submit("task", row.task, row.caller, { taskId: row.id, timeoutMs, parent: options.parent, run }) };
			} catch (err) {
				outcome = { ok: false, err };
			}
			if (this.active.get(row.id) === run) this.active.delete(row.id);
			const ended = run.ended;
			if (ended instanceof RunSuspendedError) return options.awaited ? this.waitFor(row.id, row.agentId, deadline - Date.now(), limit) : Promise.reject(ended);
			if (ended instanceof TaskCancelledError) throw ended;
			if (outcome.ok && !ended) return this.finish(row, { ok: true, result: outcome.result });
			const err = ended ?? (outcome as { err: unknown }).err;
			run.abandon("the run's attempt ended");
			const ownTimeout = err instanceof TaskTimeoutError && (err.data as { taskId?: string }).taskId === row.id;
			if (refused(err) && (!fresh || attempt > 0)) {
				// The agent stopped here meanwhile: whichever node runs it next takes the run.
				await this.release(row);
				return options.awaited ? this.waitFor(row.id, row.agentId, deadline - Date.now(), limit) : Promise.reject(err);
			}
			if (ownTimeout) return timedOut();
			if (refused(err) || !retryable(err)) return this.finish(row, failure(err as Error), err);
			// A step failed transiently: its in-flight calls settle (and are journaled), then the run goes again from its journal.
			await this.unlessCancelled(row.id, run.settled());
			steps = run.journal();
			const at = run.nextStep;
			if (resumeAt && at > resumeAt.step) resumeAt = undefined;
			const count = this.countFailure(failed, at);
			failed = { failedStep: count.step, stepFailures: count.failures };
			const reason = (err as Error).message;
			if (count.failures >= this.deps.config.TASK_STEP_ATTEMPTS) return this.park(row, at, count.failures, reason);
			const delay = this.retryDelay(err, count.failures);
			await runs.stepFailed(row.id, instanceId, at, count.failures, new Date(Date.now() + delay));
			// Its next try would begin past the task's limit: the caller hears so now, not after the wait.
			if (Date.now() + delay >= deadline) return timedOut();
			this.deps.logger.warn(`Task ${row.id} of agent ${row.agentId} failed at step ${at} (${count.failures} of ${this.deps.config.TASK_STEP_ATTEMPTS}): ${reason}; trying again in ${delay} ms`);
			await this.unlessCancelled(row.id, sleep(delay));
			// Counted as an attempt of its own; a run cancelled while it waited is not tried again.
			const attempts = await runs.nextAttempt(row.id, instanceId);
			if (attempts === undefined) throw new TaskCancelledError(row.id);
			this.changed(row.id, row.agentId, "running", { attempts });
		}
	}

	/** A run nobody waits for: how it failed is logged (a suspension is not a failure). */
	private inBackground(running: Promise<unknown>, row: RunRow): void {
		running.catch((err: Error) => {
			if (!(err instanceof RunSuspendedError)) this.deps.logger.info(`Task ${row.id} of agent ${row.agentId} failed: ${err.message}`);
		});
	}

	/** Waits for `what` between two attempts of a run; a cancel meanwhile ends the wait, and the run, at once. */
	private async unlessCancelled(taskId: string, what: Promise<void>): Promise<void> {
		let cancelled = false;
		const cancel = new Promise<void>(resolve => this.between.set(taskId, () => resolve(void (cancelled = true))));
		await Promise.race([what, cancel]);
		this.between.delete(taskId);
		if (cancelled) throw new TaskCancelledError(taskId);
	}

	/**
	 * How long a run waits before trying a failed step again. A dead worker is back within
	 * its restart delay: TASK_RETRY_DELAY_MS, doubling. A service that was away (a model
	 * provider down, its circuit breaker open) needs longer, or every run of the node would
	 * be parked within a second of an outage: TASK_OUTAGE_RETRY_MS, doubling, or the
	 * service's own retry-after when it said one.
	 */
	private retryDelay(err: unknown, failures: number): number {
		const { TASK_RETRY_DELAY_MS, TASK_OUTAGE_RETRY_MS } = this.deps.config;
		const e = err as { type?: string; data?: { retryAfterSeconds?: unknown } };
		const base = e.type === WORKER_CRASHED ? TASK_RETRY_DELAY_MS : TASK_OUTAGE_RETRY_MS;
		const asked = typeof e.data?.retryAfterSeconds === "number" ? e.data.retryAfterSeconds * 1000 : 0;
		return Math.min(Math.max(base * 2 ** (failures - 1), asked), MAX_RETRY_DELAY_MS);
	}

	/** The same step failing again counts on; another step starts the count afresh. */
	private countFailure(previous: Pick<RunRow, "failedStep" | "stepFailures">, step: number): { step: number; failures: number } {
		return { step, failures: previous.failedStep === step ? previous.stepFailures + 1 : 1 };
	}

	private async finish(row: RunRow, outcome: TaskOutcome, err?: unknown): Promise<unknown> {
		const written = await this.deps.runs.finish(row.id, this.deps.instanceId, outcome);
		if (!written) throw new TaskCancelledError(row.id);
		this.changed(row.id, row.agentId, outcome.ok ? "succeeded" : "failed", outcome.ok ? {} : { error: outcome.error });
		if (!outcome.ok) throw err ?? new Error(String((outcome.error as { message?: string }).message));
		return outcome.result;
	}

	private async park(row: RunRow, step: number, failures: number, reason: string): Promise<never> {
		await this.deps.runs.stepFailed(row.id, this.deps.instanceId, step, failures, new Date());
		const err = new TaskStepFailedError(row.id, step, failures, reason);
		this.deps.logger.warn(err.message);
		await this.finish(row, failure(err), err);
		throw err;
	}

	/** Hands a run back (the agent stopped here meanwhile): whichever node runs the agent takes it. */
	private async release(row: RunRow): Promise<void> {
		await this.deps.runs.release(row.id, this.deps.instanceId, new Date(Date.now() + this.deps.config.TASK_RETRY_DELAY_MS));
		this.changed(row.id, row.agentId, "queued", {});
	}

	/**
	 * Waits for a run that runs (or will run) elsewhere to end, within `ms`; answers as the run ended.
	 * A timeout names `limitMs`, the task's whole limit, when the wait is what was left of it.
	 */
	async waitFor(taskId: string, agentId: string, ms: number, limitMs = ms): Promise<unknown> {
		const end = await this.deps.tasks.whenEnded(taskId, { signal: AbortSignal.timeout(Math.max(ms, 1)) }).catch(() => {
			throw new TaskTimeoutError(agentId, taskId, limitMs);
		});
		return answerOf(end);
	}

	private limit(runtime: AgentRuntime, options: RunOptions): number {
		return runtime.timeLimit(options.timeoutMs);
	}

	private changed(id: string, agentId: string, status: TaskStatus, extra: Partial<TaskChange>): void {
		this.deps.changed({ id, agentId, status, node: this.deps.nodeID, ...extra });
	}
}
