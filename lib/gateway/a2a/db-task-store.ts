import crypto from "node:crypto";
import { Task, TaskState, type Artifact, type ListTasksRequest, type ListTasksResponse, type Message, type Part } from "@a2a-js/sdk";
import type { ServerCallContext, TaskStore as A2ATaskStore } from "@a2a-js/sdk/server";
import type { ProtocolTaskRecord, TaskStore } from "../../../actors/task-store";
import type { LiveTasks } from "./live-tasks";
import { fromA2AState, isTerminal, toA2AState } from "./task-states";

const DEFAULT_PAGE = 50;
const TERMINAL = new Set<TaskState>([TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_REJECTED]);
const MAX_PAGE = 100;

export function textPart(text: string): Part {
	return { content: { $case: "text", value: text }, mediaType: "text/plain", filename: "", metadata: undefined };
}

export function dataPart(value: unknown): Part {
	return { content: { $case: "data", value }, mediaType: "application/json", filename: "", metadata: undefined };
}

export function agentMessage(taskId: string, contextId: string, parts: Part[]): Message {
	return { messageId: crypto.randomUUID(), contextId, taskId, role: 2, parts, metadata: undefined, extensions: [], referenceTaskIds: [] };
}

/** What a task's outcome becomes: a chat's answer as text, any result as data. */
export function resultParts(result: unknown): Part[] {
	const answer = (result as { answer?: unknown } | null)?.answer;
	return typeof answer === "string" ? [textPart(answer), dataPart(result)] : [dataPart(result ?? null)];
}

function errorText(error: unknown): string {
	const e = error as { type?: string; message?: string } | null;
	return e?.message ? `${e.type ?? "ERROR"}: ${e.message}` : "The task failed";
}

/** What the task was asked, as the message that asked it: a chat's text, any other task as data. */
function inputMessage(record: ProtocolTaskRecord, contextId: string): Message {
	const input = record.input as { type?: unknown; message?: unknown } | null;
	const parts = input?.type === "chat" && typeof input.message === "string" ? [textPart(input.message)] : [dataPart(input)];
	return { messageId: `${record.id}-input`, contextId, taskId: record.id, role: 1, parts, metadata: undefined, extensions: [], referenceTaskIds: [] };
}

/**
 * The A2A view of an AgentOS task. The task row is the truth for its state and outcome
 * (a REST caller or another node may have changed it); the protocol record adds the
 * message history and artifacts the SDK saved when the task ended. A task given over
 * REST, or not ended yet, is shown from its row: its input as the history.
 */
export function toA2ATask(record: ProtocolTaskRecord): Task {
	const saved = record.protocolState ? Task.fromJSON(record.protocolState) : undefined;
	const contextId = record.contextId ?? saved?.contextId ?? record.id;
	const state = toA2AState(record.status);
	const ended = isTerminal(record.status);
	let artifacts: Artifact[] = saved?.artifacts ?? [];
	if (record.status === "succeeded" && !artifacts.length) {
		artifacts = [{ artifactId: `${record.id}-result`, name: "result", description: "", parts: resultParts(record.result), metadata: undefined, extensions: [] }];
	}
	const keep = saved?.status && (!ended || saved.status.state === state);
	const message = record.status === "failed" ? agentMessage(record.id, contextId, [textPart(errorText(record.error))]) : undefined;
	return {
		id: record.id,
		contextId,
		status: keep && saved?.status ? saved.status : { state, message, timestamp: record.finishedAt ?? record.createdAt },
		artifacts,
		history: saved?.history ?? [inputMessage(record, contextId)],
		metadata: { agentId: record.agentId, type: record.type, ...(saved?.metadata ?? {}) }
	};
}

/**
 * The SDK's task store over AgentOS's `agent_tasks` (so an A2A task survives a restart
 * and is read from any node of a cluster), one per agent: another agent's task is not
 * found at this agent's endpoint. Rows are created by the agents service as any task
 * is; this store only keeps the protocol's record beside them.
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
		// A task AgentOS refused has no row and is reported as an error instead (executor.ts).
		if (this.live.update(task, ended)) await this.tasks.saveProtocolState(task.id, task.contextId, Task.toJSON(task));
	}

	async load(taskId: string, _context: ServerCallContext): Promise<Task | undefined> {
		// Running here: the SDK's own record, or none yet (its first event makes it).
		if (this.live.has(taskId)) return this.live.latest(taskId);
		const record = await this.tasks.find(taskId);
		return record && record.agentId === this.agentId ? toA2ATask(record) : undefined;
	}

	async list(params: ListTasksRequest, _context: ServerCallContext): Promise<ListTasksResponse> {
		const pageSize = Math.min(Math.max(params.pageSize ?? DEFAULT_PAGE, 1), MAX_PAGE);
		const offset = Math.max(0, Number.parseInt(params.pageToken || "0", 10) || 0);
		const statuses = params.status ? fromA2AState(params.status) : undefined;
		const { tasks, total } = await this.tasks.list(this.agentId, { contextId: params.contextId || undefined, statuses, offset, limit: pageSize });
		const next = offset + tasks.length;
		return { tasks: tasks.map(r => this.live.latest(r.id) ?? toA2ATask(r)), nextPageToken: next < total ? String(next) : "", pageSize, totalSize: total };
	}
}
