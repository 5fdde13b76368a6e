import { Task, TaskState, type ListTasksRequest, type ListTasksResponse, type Message } from "@a2a-js/sdk";
import type { ServerCallContext, TaskStore as A2ATaskStore } from "@a2a-js/sdk/server";
import type { ProtocolTaskRecord, TaskStore } from "../../../actors/task-store";
import { a2aViewerOf } from "./a2a-user";
import type { LiveTasks } from "./live-tasks";
import { dataPart, outcomeOf, textPart } from "./task-outcome";
import { fromA2AState, isTerminal, toA2AState } from "./task-states";

const DEFAULT_PAGE = 50;
const TERMINAL = new Set<TaskState>([TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_REJECTED]);
const MAX_PAGE = 100;

/** What the task was asked, as the message that asked it: a chat's text, any other task as data. */
function inputMessage(record: ProtocolTaskRecord, contextId: string): Message {
	const input = record.input as { type?: unknown; message?: unknown } | null;
	const parts = input?.type === "chat" && typeof input.message === "string" ? [textPart(input.message)] : [dataPart(input)];
	return { messageId: `${record.id}-input`, contextId, taskId: record.id, role: 1, parts, metadata: undefined, extensions: [], referenceTaskIds: [] };
}

/**
 * The A2A view of an AgentOS task. The task row is the truth for its state and outcome
 * (a REST caller or another node may have changed it); the protocol record adds what only
 * the protocol knows: the message that asked (saved when the task was accepted) and a
 * cancellation's note. An ended task's result and answer are rebuilt from the row
 * (task-outcome.ts), as the executor sent them. A task given over REST shows its input as
 * the history.
 */
export function toA2ATask(record: ProtocolTaskRecord): Task {
	const saved = record.protocolState ? Task.fromJSON(record.protocolState) : undefined;
	const contextId = record.contextId ?? saved?.contextId ?? record.id;
	const state = toA2AState(record.status);
	const history = saved?.history.length ? saved.history : [inputMessage(record, contextId)];
	const metadata = { agentId: record.agentId, type: record.type, ...(saved?.metadata ?? {}) };
	const base = { id: record.id, contextId, metadata };
	// A record saved whole (a cancellation, or a task ended before outcomes were rebuilt) is kept while the row agrees.
	if (saved?.status && (!isTerminal(record.status) || saved.status.state === state)) return { ...base, status: saved.status, artifacts: saved.artifacts, history };
	if (!isTerminal(record.status)) return { ...base, status: { state, message: undefined, timestamp: record.createdAt }, artifacts: saved?.artifacts ?? [], history };
	const outcome = outcomeOf(record, contextId);
	const answer = outcome.status.message;
	return {
		...base,
		status: outcome.status,
		artifacts: saved?.artifacts.length ? saved.artifacts : outcome.artifacts,
		history: answer && !history.some(m => m.messageId === answer.messageId) ? [...history, answer] : history
	};
}

/**
 * The SDK's task store over AgentOS's `agent_tasks` (so an A2A task survives a restart
 * and is read from any node of a cluster), one per agent: another agent's task is not
 * found at this agent's endpoint, nor another token's (a2aViewerOf). Rows are created by
 * the agents service as any task is; this store only keeps the protocol's record beside them.
 */
export class AgentOsTaskStore implements A2ATaskStore {
	constructor(
		private readonly tasks: TaskStore,
		private readonly agentId: string,
		/** The tasks this node's executor runs (shared with AgentOsExecutor). */
		private readonly live: LiveTasks
	) {}

	async save(task: Task, _context: ServerCallContext): Promise<void> {
		const ended = task.status !== undefined && TERMINAL.has(task.status.state);
		// A task AgentOS refused has no row and is reported as an error instead (executor.ts);
		// one that ended as its row says needs no write (toA2ATask rebuilds it).
		if (this.live.update(task, ended)) await this.tasks.saveProtocolState(task.id, task.contextId, Task.toJSON(task));
	}

	async load(taskId: string, context: ServerCallContext): Promise<Task | undefined> {
		const viewer = a2aViewerOf(context.user);
		// Running here: the SDK's own record, or none yet (its first event makes it).
		if (this.live.has(taskId)) return this.live.seenBy(taskId, viewer) ? this.live.latest(taskId) : undefined;
		const record = await this.tasks.find(taskId);
		return record && record.agentId === this.agentId && (await this.tasks.seenBy(taskId, viewer)) ? toA2ATask(record) : undefined;
	}

	async list(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
		const pageSize = Math.min(Math.max(params.pageSize ?? DEFAULT_PAGE, 1), MAX_PAGE);
		const offset = Math.max(0, Number.parseInt(params.pageToken || "0", 10) || 0);
		const statuses = params.status ? fromA2AState(params.status) : undefined;
		const { tasks, total } = await this.tasks.listForAgent(this.agentId, {
			contextId: params.contextId || undefined,
			statuses,
			offset,
			limit: pageSize,
			viewer: a2aViewerOf(context.user)
		});
		const next = offset + tasks.length;
		return { tasks: tasks.map(r => this.live.latest(r.id) ?? toA2ATask(r)), nextPageToken: next < total ? String(next) : "", pageSize, totalSize: total };
	}
}
