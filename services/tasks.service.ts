import type { Context, ServiceSchema } from "moleculer";
import { TaskNotFoundError, TaskNotResumableError } from "../actors/errors";
import { cancelTask } from "../actors/task-cancel";
import { RunJournal } from "../actors/run-journal";
import { RunStore } from "../actors/run-store";
import { MAX_TASK_PAGE, TASK_STATUSES, TaskStore, type TaskDetail, type TaskPage, type TaskQuery, type TaskRecord } from "../actors/task-store";
import type { TaskChange } from "../actors/durable-runs";
import type { Kernel } from "../lib/kernel/kernel";
import type { ApprovalStore } from "../lib/security/approval-store";
import { OFFSET_PARAM } from "../lib/schema/number-bounds";
import { requiresDatabase } from "../mixins/requires-database.mixin";
import { defineService } from "../lib/kernel/define-service";
import type { SecuredMeta } from "../lib/security/security-guard";
import { taskViewerOf } from "../lib/security/task-viewer";

const DAY_MS = 86_400_000;

/**
 * Tasks for people: the history across agents (what ran, how it ended, how long it took),
 * one task with its durable run's steps, and cancelling or resuming a run. All need the
 * `tasks` scope; a token sees and touches only the tasks it sent (and their child runs),
 * an admin all of them (task-viewer.ts). Another's task is TASK_NOT_FOUND, as one that does
 * not exist.
 */
export default function createTasksService(kernel: Kernel, approvals: ApprovalStore): ServiceSchema {
	const tasks = new TaskStore(kernel.db);
	const runs = new RunStore(kernel.db);
	const journal = new RunJournal(kernel.db);
	let retention: NodeJS.Timeout | undefined;

	/**
	 * The task with its run, as `viewer` may see it (children of a run one may see are visible
	 * too); null: any task, for an admin or a caller already checked by mustSee.
	 */
	const detail = async (id: string, viewer: string | null): Promise<TaskDetail> => {
		const [task, steps, children] = await Promise.all([tasks.getFor(id, viewer), journal.load(id), tasks.children(id)]);
		return { ...task, steps, children, costUsd: steps.reduce((sum, s) => sum + s.costUsd, 0), tokens: steps.reduce((sum, s) => sum + s.tokens, 0) };
	};
	/** TASK_NOT_FOUND unless the caller may touch the task (an admin may touch any: no read). */
	const mustSee = async (id: string, meta: SecuredMeta): Promise<void> => {
		const viewer = taskViewerOf(meta);
		if (viewer !== null && !(await tasks.seenBy(id, viewer))) throw new TaskNotFoundError(id);
	};
	const change = (task: TaskRecord): TaskChange => ({ id: task.id, agentId: task.agentId, status: task.status, node: "", attempts: task.attempts });

	return defineService({
		name: "tasks",
		mixins: [requiresDatabase(kernel)],
		settings: { rest: "/tasks" },

		actions: {
			list: {
				rest: "GET /",
				description: "Lists recent tasks, newest first, with their status, duration and error; by agent, status and start time, a page at a time.",
				scope: "tasks",
				params: {
					agentId: { type: "string", min: 1, max: 200, optional: true },
					status: { type: "enum", values: [...TASK_STATUSES], optional: true },
					since: { type: "date", convert: true, optional: true },
					limit: { type: "number", integer: true, min: 1, max: MAX_TASK_PAGE, optional: true, convert: true },
					offset: OFFSET_PARAM
				},
				handler(ctx: Context<TaskQuery, SecuredMeta>): Promise<TaskPage> {
					return tasks.list(ctx.params, taskViewerOf(ctx.meta));
				}
			},

			get: {
				rest: "GET /:id",
				description: "A task by id: its state, its result or error once it has ended, the steps of its run with their timings and costs, and what a suspended run waits for.",
				scope: "tasks",
				params: { id: { type: "uuid" } },
				handler(ctx: Context<{ id: string }, SecuredMeta>): Promise<TaskDetail> {
					return detail(ctx.params.id, taskViewerOf(ctx.meta));
				}
			},

			cancel: {
				rest: "POST /:id/cancel",
				description: "Cancels a task that has not ended (A2A's CancelTask too): a running step is abandoned, a suspended run's approval is closed.",
				scope: "tasks",
				audit: true,
				params: { id: { type: "uuid" } },
				async handler(ctx: Context<{ id: string }, SecuredMeta>): Promise<TaskDetail> {
					const { id } = ctx.params;
					await mustSee(id, ctx.meta);
					// People watching the approvals see it closed.
					const closeWait = async (approvalId: string, note: string) => {
						const closed = await approvals.expire(approvalId, note);
						if (closed) await ctx.broadcast("approvals.decided", closed);
					};
					await cancelTask(id, {
						runs,
						closeWait,
						broadcast: { stop: taskId => ctx.broadcast("tasks.cancelled", { id: taskId }), changed: c => ctx.broadcast("tasks.changed", c) }
					});
					return detail(id, null);
				}
			},

			resume: {
				rest: "POST /:id/resume",
				description: "Tries a failed durable run again from its last good step: the steps it completed are replayed from its journal, not made again.",
				scope: "tasks",
				audit: true,
				params: { id: { type: "uuid" } },
				async handler(ctx: Context<{ id: string }, SecuredMeta>): Promise<TaskDetail> {
					const { id } = ctx.params;
					await mustSee(id, ctx.meta);
					const requeued = await runs.requeueFailed(id);
					if (!requeued) throw new TaskNotFoundError(id);
					if (!("agentId" in requeued)) throw new TaskNotResumableError(id, requeued.status, requeued.durable);
					// Read as requeued, before any node can take it: the answer says `queued`, not whatever came next.
					const task = await detail(id, null);
					await ctx.broadcast("tasks.changed", change(task));
					// Whichever node runs the agent takes it.
					await ctx.broadcast("tasks.wake", { agentIds: [requeued.agentId] });
					return task;
				}
			}
		},

		started() {
			const days = kernel.config.TASK_RETENTION_DAYS;
			if (days <= 0) return;
			const purge = () =>
				kernel.start().then(() => runs.purgeEnded(new Date(Date.now() - days * DAY_MS))).then(
					n => n && this.logger.info(`Removed ${n} tasks (and their run journals) that ended more than ${days} days ago`),
					(err: Error) => this.logger.warn(`Task retention failed: ${err.message}`)
				);
			retention = setInterval(purge, DAY_MS);
			retention.unref();
			void purge();
		},

		stopped() {
			clearInterval(retention);
		}
	});
}
