import type { Task } from "@a2a-js/sdk";

/**
 * The tasks this node's executor is running, with the SDK's latest record of each. The
 * SDK loads and saves a task at every event; while it runs here, those come from and go
 * to memory, and only its end (history, artifacts, final status) is written. Meanwhile
 * the row keeps its state and input for other nodes (db-task-store.ts shows the input as
 * the message history).
 */
export class LiveTasks {
	private readonly tasks = new Map<string, Task | undefined>();

	start(taskId: string): void {
		this.tasks.set(taskId, undefined);
	}

	has(taskId: string): boolean {
		return this.tasks.has(taskId);
	}

	/** The latest record, a copy (the SDK changes what it loads). */
	latest(taskId: string): Task | undefined {
		const task = this.tasks.get(taskId);
		return task && structuredClone(task);
	}

	/** Keeps the record; true when it must be written (a task not running here, or its end, which also ends it here). */
	update(task: Task, ended: boolean): boolean {
		if (!this.tasks.has(task.id)) return true;
		if (ended) this.tasks.delete(task.id);
		else this.tasks.set(task.id, structuredClone(task));
		return ended;
	}

	end(taskId: string): void {
		this.tasks.delete(taskId);
	}
}
