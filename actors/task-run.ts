import { performance } from "node:perf_hooks";
import { Errors } from "moleculer";
import { ReplayDivergedError, RunAttemptEndedError, RunSuspendedError, TaskCancelledError, type RunWait } from "./errors";
import type { JournalStep, StepError } from "./run-journal";

/** The error type with which an action says it needs a person first (lib/security's ApprovalPendingError). */
export const APPROVAL_PENDING = "APPROVAL_PENDING";

/** What a step may add to the call it makes: its place in the run, and the decision it waited for, when the run resumes at it. */
export interface StepExtras {
	step: number;
	approvalId?: string;
}

export interface TaskRunDeps {
	/** Keeps a completed step. */
	append(taskId: string, step: JournalStep): Promise<void>;
	/** Writes that the run waits (status `suspended`); resolves with what it waits for. */
	suspend(run: TaskRun, wait: Omit<RunWait, "since" | "until"> & { expiresAt: string }): Promise<RunWait>;
}

/** Where a resumed run picks up a person's decision: the step that waited, and the approval. */
export interface ResumePoint {
	step: number;
	approvalId: string;
}

const isRetryable = (err: unknown): boolean => (err as { retryable?: unknown })?.retryable === true;
const typeOf = (err: unknown): string | undefined => (err as { type?: unknown })?.type as string | undefined;

/** The model's usage and cost, or a tool's: what a step's result says it spent. */
function spentBy(result: unknown): { costUsd: number; tokens: number } {
	const r = result as { costUsd?: unknown; usage?: { totalTokens?: unknown } } | null;
	return {
		costUsd: typeof r?.costUsd === "number" ? r.costUsd : 0,
		tokens: typeof r?.usage?.totalTokens === "number" ? r.usage.totalTokens : 0
	};
}

/** For people reading the steps: the tool, the agent asked, or the model. */
function labelOf(params: unknown, result: unknown): string | null {
	const p = params as { toolId?: unknown; model?: unknown; target?: unknown } | null;
	const r = result as { model?: unknown } | null;
	const label = p?.toolId ?? p?.target ?? r?.model ?? p?.model;
	return typeof label === "string" ? label.slice(0, 200) : null;
}

function stepError(err: unknown): StepError {
	const e = err as { name?: unknown; message?: unknown; type?: unknown; code?: unknown; data?: unknown };
	return {
		name: typeof e?.name === "string" ? e.name : "Error",
		message: typeof e?.message === "string" ? e.message : String(err),
		...(typeof e?.type === "string" && { type: e.type }),
		...(typeof e?.code === "number" && { code: e.code }),
		...(e?.data !== undefined && { data: e.data })
	};
}

/** A journaled error, thrown again on replay as the agent first saw it. */
function replayedError(e: StepError): Error {
	const err = new Errors.MoleculerError(e.message, e.code ?? 500, e.type ?? e.name, e.data);
	err.name = e.name;
	return err;
}

/**
 * One attempt at a task's run: numbers the ctx calls the agent makes (1, 2, 3… in the order
 * it makes them), answers those the journal holds with their journaled outcome instead of
 * making them again, and journals each new call's outcome before the agent sees it. So a
 * run resumed after a crash makes no model call, tool call or message twice.
 *
 * A call that fails transiently (`retryable`) is not journaled: the next attempt makes it
 * again. A call that needs a person suspends the run. Once the attempt is over (suspended,
 * cancelled, its worker gone), every further call of it is refused.
 */
export class TaskRun {
	private seq = 0;
	private readonly steps: Map<number, JournalStep>;
	private readonly inFlight = new Set<Promise<unknown>>();
	private endedWith: Error | undefined;
	private abort: ((err: Error) => void) | undefined;
	private readonly aborted: Promise<never>;
	/** Set when the run suspended: what it waits for. */
	waiting: RunWait | undefined;

	constructor(
		readonly taskId: string,
		readonly agentId: string,
		journal: readonly JournalStep[],
		private readonly deps: TaskRunDeps,
		private readonly resumeAt?: ResumePoint
	) {
		this.steps = new Map(journal.map(step => [step.seq, step]));
		this.aborted = new Promise<never>((_, reject) => (this.abort = reject));
		// Nobody may be racing against it yet.
		this.aborted.catch(() => undefined);
	}

	/** The steps journaled so far (replayed and new), in order. */
	journal(): JournalStep[] {
		return [...this.steps.values()].sort((a, b) => a.seq - b.seq);
	}

	/** The step the run is at: one past the last it completed in order. */
	get nextStep(): number {
		let n = 1;
		while (this.steps.has(n)) n++;
		return n;
	}

	get ended(): Error | undefined {
		return this.endedWith;
	}

	/**
	 * One step of the run: `make` is called (with what the step waited for, on resume) unless
	 * the journal holds the step; either way the agent gets the step's outcome.
	 */
	step<T>(action: string, params: unknown, make: (extras: StepExtras) => Promise<T>): Promise<T> {
		if (this.endedWith) return Promise.reject(this.endedWith);
		const seq = ++this.seq;
		const done = this.steps.get(seq);
		if (done) {
			if (done.action !== action) {
				this.end(new ReplayDivergedError(this.taskId, seq, done.action, action));
				return Promise.reject(this.endedWith);
			}
			return done.ok ? Promise.resolve(done.result as T) : Promise.reject(replayedError(done.error ?? { name: "Error", message: "failed" }));
		}
		const extras: StepExtras = { step: seq, ...(this.resumeAt?.step === seq && { approvalId: this.resumeAt.approvalId }) };
		const startedAt = new Date();
		const t0 = performance.now();
		const keep = (ok: boolean, result: unknown, error: StepError | null) => {
			const step: JournalStep = { seq, action, label: labelOf(params, result), ok, result, error, startedAt: startedAt.toISOString(), durationMs: Math.round(performance.now() - t0), ...spentBy(result) };
			this.steps.set(seq, step);
			return this.deps.append(this.taskId, step);
		};
		const made = make(extras).then(
			async result => {
				await keep(true, result, null);
				return result;
			},
			async (err: unknown) => {
				if (typeOf(err) === APPROVAL_PENDING) throw await this.suspend(seq, action, err);
				if (!isRetryable(err)) await keep(false, undefined, stepError(err));
				throw err;
			}
		);
		this.inFlight.add(made);
		const settle = () => this.inFlight.delete(made);
		made.then(settle, settle);
		// A cancelled or abandoned attempt does not wait for its step: the step still completes and is journaled.
		return Promise.race([made, this.aborted]);
	}

	/** Ends the attempt: later calls are refused with `reason`, and calls waiting get it at once. */
	end(reason: Error): void {
		if (this.endedWith) return;
		this.endedWith = reason;
		this.abort?.(reason);
	}

	/** Resolves once no step of this attempt is in flight (before a new attempt replays the journal). */
	async settled(): Promise<void> {
		while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
	}

	cancel(): void {
		this.end(new TaskCancelledError(this.taskId));
	}

	abandon(reason: string): void {
		this.end(new RunAttemptEndedError(this.taskId, reason));
	}

	private async suspend(step: number, action: string, err: unknown): Promise<Error> {
		if (this.endedWith) return this.endedWith;
		const data = ((err as { data?: unknown }).data ?? {}) as { approvalId?: string; action?: string; reason?: string; expiresAt?: string };
		const wait = await this.deps.suspend(this, {
			kind: "approval",
			approvalId: String(data.approvalId),
			action: data.action ?? action,
			reason: data.reason ?? "",
			step,
			expiresAt: data.expiresAt ?? new Date().toISOString()
		});
		this.waiting = wait;
		const suspended = new RunSuspendedError(this.taskId, wait);
		this.end(suspended);
		return suspended;
	}
}
