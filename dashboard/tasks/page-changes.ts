/** Which `tasks.changed` events a task's page reloads for. */
import type { TaskChange, TaskDetail } from "../../sdk/http-client";
import { ENDED } from "./format";

/**
 * Whether a change alters what the page of task `id` shows: the task itself, one of its
 * children, or — while the task has not ended — a run starting that the page has not seen,
 * which may be a new child (the event does not name a parent).
 */
export function changesTaskPage(task: Pick<TaskDetail, "status" | "children"> | undefined, id: string, change: Pick<TaskChange, "id" | "status">): boolean {
	if (change.id === id) return true;
	if (!task) return false;
	if (task.children.some(c => c.id === change.id)) return true;
	return !ENDED.includes(task.status) && change.status === "running";
}
