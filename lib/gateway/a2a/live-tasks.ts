import type { Task } from "@a2a-js/sdk";

/**
 * The tasks this node's executor is running, with the SDK's latest record of each. The
 * SDK loads and saves a task at every event; while it runs here, those come from and go
 * to memory. The message that asked was written with the row when the task was
 * accepted; an end the executor took from the row is not written again (the row has it,
 * and db-task-store.ts rebuilds the same record from it); any other end (a cancellation's
 * note) is.
 */
export class LiveTasks {
	private readonly tasks = new Map<string, Task | undefined>();
	private readonly endedByRow = new Set<string>();
	/** Whose each task is (taskOwnerOf of the token that sent it). */
	private readonly owners = new Map<string, string>();

	start(taskId: string, owner: string): void {
		this.tasks.set(taskId, undefined);
		this.owners.set(taskId, owner);
	}

	has(taskId: string): boolean {
		return this.tasks.has(taskId);
	}

	/** Whether the viewer (null: an admin) may see the task running here. */
	seenBy(taskId: string, viewer: string | null): boolean {
		return viewer === null || this.owners.get(taskId) === viewer;
	}

	/** The latest record, a copy (the SDK changes what it loads). */
	latest(taskId: string): Task | undefined {
		const task = this.tasks.get(taskId);
		return task && structuredClone(task);
	}

	/** The task's next end is the one its row already holds (the executor read it from there). */
	endFromRow(taskId: string): void {
		if (this.tasks.has(taskId)) this.endedByRow.add(taskId);
	}

	/** Keeps the record; true when it must be written (a task not running here, or an end the row does not hold; an end also ends it here). */
	update(task: Task, ended: boolean): boolean {
		if (!this.tasks.has(task.id)) return true;
		if (!ended) {
			this.tasks.set(task.id, structuredClone(task));
			return false;
		}
		this.tasks.delete(task.id);
		this.owners.delete(task.id);
		return !this.endedByRow.delete(task.id);
	}

	end(taskId: string): void {
		this.tasks.delete(taskId);
		this.owners.delete(taskId);
		this.endedByRow.delete(taskId);
	}
}
