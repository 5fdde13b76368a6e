import type { CallingOptions, Context } from "moleculer";
import type { TaskChange } from "./durable-runs";
import { TaskEndedError, TaskNotFoundError, type RunWait } from "./errors";
import type { RunStore } from "./run-store";
import { taskCancelled } from "./task-store";

/** How a cancel reaches the cluster (the request's broadcasts). */
export interface CancelBroadcasts {
	/** `tasks.cancelled`: the node running the run stops its attempt at once. */
	stop(taskId: string): Promise<unknown>;
	/** `tasks.changed`: the console and waiting callers hear of it. */
	changed(change: TaskChange): Promise<unknown>;
}

/**
 * Closes the approval a suspended run waited for, so it is no longer pending (the security
 * layer does it; the runtime only knows its id).
 */
export type CloseWait = (approvalId: string, note: string) => Promise<unknown>;

/** What cancelling uses: the runs' rows, the security layer's approvals, the request's broadcasts. */
export interface CancelDeps {
	runs: RunStore;
	closeWait: CloseWait;
	broadcast: CancelBroadcasts;
}

/**
 * The one way a task is cancelled, whoever asks (REST, the SDK and CLI through it, A2A's
 * CancelTask, an agent's deletion — all through the `tasks.cancel` action): the row is marked
 * cancelled (under a row lock, so a task that ended meanwhile is refused with TASK_ENDED),
 * with the open child runs it started, the node running each attempt stops it, a suspended run's approval is closed, and the change
 * is broadcast.
 */
export async function cancelTask(id: string, { runs, closeWait, broadcast }: CancelDeps): Promise<void> {
	const cancelled = await runs.cancel(id);
	if (!cancelled) throw new TaskNotFoundError(id);
	if (cancelled.ended) throw new TaskEndedError(id, cancelled.status);
	const stop = async (taskId: string, waitingFor: RunWait | null, why: string) => {
		// A caller waiting on this node learns at once; one elsewhere reads the row.
		taskCancelled(taskId);
		await broadcast.stop(taskId);
		if (waitingFor) await closeWait(waitingFor.approvalId, why);
	};
	await stop(id, cancelled.waitingFor, `task ${id} was cancelled`);
	// The child runs its steps started (asks of other agents) were cancelled with it.
	for (const child of cancelled.children) {
		await stop(child.id, child.waitingFor, `task ${id}, which asked for task ${child.id}, was cancelled`);
		await broadcast.changed({ id: child.id, agentId: child.agentId, status: "cancelled", node: "" });
	}
	await broadcast.changed({ id, agentId: cancelled.agentId, status: "cancelled", node: "", attempts: cancelled.attempts });
}

/**
 * Asks for that cancel (`tasks.cancel`) within `ctx`, as whoever `options` says; a task that
 * ended meanwhile keeps its end (its row says which), and that is not a failure.
 */
export async function cancelUnlessEnded(ctx: Context, id: string, options?: CallingOptions): Promise<void> {
	await ctx.call("tasks.cancel", { id }, options).catch((err: { type?: string }) => {
		if (err.type !== "TASK_ENDED") throw err;
	});
}
