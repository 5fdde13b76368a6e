import type { Context, ServiceSchema } from "moleculer";
import { MAX_TASK_PAGE, TASK_STATUSES, TaskStore, type TaskPage, type TaskQuery } from "../actors/task-store";
import type { Kernel } from "../lib/kernel/kernel";
import { OFFSET_PARAM } from "../lib/schema/number-bounds";
import { requiresDatabase } from "../mixins/requires-database.mixin";
import { defineService } from "../lib/kernel/define-service";

/**
 * The task history across agents, for people: what ran, how it ended and how long it
 * took. One task by id stays with the supervisor (`GET /tasks/:taskId`); both need the
 * `tasks` scope and show every agent's tasks to whoever holds it.
 */
export default function createTasksService(kernel: Kernel): ServiceSchema {
	const tasks = new TaskStore(kernel.db);
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
				handler(ctx: Context<TaskQuery>): Promise<TaskPage> {
					return tasks.list(ctx.params);
				}
			}
		}
	});
}
