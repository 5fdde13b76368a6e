import { TaskState } from "@a2a-js/sdk";
import type { TaskStatus } from "../../../actors/task-store";

/** AgentOS task states as A2A states; A2A tasks are AgentOS tasks, so this is the only translation. */
const TO_A2A: Record<TaskStatus, TaskState> = {
	queued: TaskState.TASK_STATE_SUBMITTED,
	running: TaskState.TASK_STATE_WORKING,
	// Waiting for an operator's approval is not input the A2A client could give: still working, from its side.
	suspended: TaskState.TASK_STATE_WORKING,
	succeeded: TaskState.TASK_STATE_COMPLETED,
	failed: TaskState.TASK_STATE_FAILED,
	cancelled: TaskState.TASK_STATE_CANCELED
};

export function toA2AState(status: TaskStatus): TaskState {
	return TO_A2A[status];
}

/**
 * The AgentOS states an A2A state stands for (ListTasks filters by them). A task AgentOS
 * refused is `failed` here; AgentOS never waits for input, so those states match nothing.
 */
export function fromA2AState(state: TaskState): TaskStatus[] {
	switch (state) {
		case TaskState.TASK_STATE_SUBMITTED:
			return ["queued"];
		case TaskState.TASK_STATE_WORKING:
			return ["running", "suspended"];
		case TaskState.TASK_STATE_COMPLETED:
			return ["succeeded"];
		case TaskState.TASK_STATE_FAILED:
		case TaskState.TASK_STATE_REJECTED:
			return ["failed"];
		case TaskState.TASK_STATE_CANCELED:
			return ["cancelled"];
		default:
			return [];
	}
}

export function isTerminal(status: TaskStatus): boolean {
	return status === "succeeded" || status === "failed" || status === "cancelled";
}
