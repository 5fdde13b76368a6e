import { Task, type Part } from "@a2a-js/sdk";
import { AgentEvent, type AgentExecutor, type ExecutionEventBus, type RequestContext, type ServerCallContext } from "@a2a-js/sdk/server";
import type { AgentTask } from "../../../actors/agent-api";
import type { TaskAnswer } from "../../../actors/supervisor";
import { cancelUnlessEnded } from "../../../actors/task-cancel";
import type { TaskStore } from "../../../actors/task-store";
import { A2AUser, a2aViewerOf } from "./a2a-user";
import type { LiveTasks } from "./live-tasks";
import { A2ARequestError } from "./rpc-errors";
import { isTerminal } from "./task-states";
import { agentMessage, outcomeOf, textPart } from "./task-outcome";

const REFUSAL = "agentos.refusal";

/** The error AgentOS refused a message with before it became a task (a JSON-RPC error, not a failed task). */
export function refusalOf(context: ServerCallContext): Error | undefined {
	return context.state.get(REFUSAL) as Error | undefined;
}

function partText(part: Part): string | undefined {
	return part.content?.$case === "text" ? part.content.value : undefined;
}

function isTask(value: unknown): value is AgentTask {
	return typeof value === "object" && value !== null && !Array.isArray(value) && typeof (value as { type?: unknown }).type === "string";
}

/**
 * The AgentOS task a message asks for. To a declarative agent it is a chat in the
 * message's context (its session). To a code agent, a data part `{type, ...}` (or that
 * JSON as text) is the task; other text is a `chat` task.
 */
export function taskFromMessage(parts: Part[], declarative: boolean, contextId: string): AgentTask {
	const text = parts.map(partText).filter((t): t is string => t !== undefined).join("\n");
	if (!declarative) {
		const data = parts.find(p => p.content?.$case === "data")?.content?.value as unknown;
		if (isTask(data)) return data;
		if (data !== undefined) throw new A2ARequestError(-32602, "A data part must be a task object with a string `type`", { field: "message.parts.data.type" });
		try {
			const parsed: unknown = JSON.parse(text);
			if (isTask(parsed)) return parsed;
		} catch {
			// Plain text: a chat.
		}
	}
	if (!text.trim()) throw new A2ARequestError(-32602, "The message has no text part (and no data part with a task)", { field: "message.parts" });
	return { type: "chat", message: text, sessionId: contextId };
}

/**
 * Runs A2A messages as AgentOS tasks: `agents.submitTask` through the request's context
 * (so authentication, scope, sanctions, budgets and audit are REST's), with the A2A task
 * id as the AgentOS task id, then the task's outcome as A2A events.
 */
export class AgentOsExecutor implements AgentExecutor {
	/**
	 * The tasks being cancelled here, each settled once its cancellation is published: the run
	 * waits for it before ending, as the SDK closes a task's events when its run ends.
	 */
	private readonly cancelled = new Map<string, Promise<void>>();
	/** Who asks to cancel each task being cancelled here (the SDK does not hand the request to cancelTask). */
	private readonly cancellers = new Map<string, A2AUser>();

	constructor(
		private readonly agentId: string,
		private readonly declarative: boolean,
		private readonly tasks: TaskStore,
		/** Tasks whose events this executor still publishes; AgentOsTaskStore drops them once their end is saved. */
		private readonly live: LiveTasks
	) {}

	async execute(request: RequestContext, bus: ExecutionEventBus): Promise<void> {
		const { taskId, contextId } = request;
		const caller = request.context.user;
		// Watched before it is given, so its end is known the moment it is written here.
		const watching = new AbortController();
		const ended = this.tasks.whenEnded(taskId, { signal: watching.signal });
		ended.catch(() => undefined);
		const accepted: Task = { id: taskId, contextId, status: undefined, artifacts: [], history: [request.userMessage], metadata: { agentId: this.agentId } };
		try {
			if (!(caller instanceof A2AUser)) throw new A2ARequestError(-32600, "The request carries no AgentOS caller");
			if (request.task) throw new A2ARequestError(-32004, `Task ${taskId} has ended or is running; an AgentOS task takes one message, so send a new message without a taskId`);
			const task = taskFromMessage(request.userMessage.parts, this.declarative, contextId);
			// The message that asked is written with the row (one write), the state left to the row.
			await caller.ctx.call<TaskAnswer, object>("agents.submitTask", { id: this.agentId, task, async: true, taskId, contextId, protocolState: Task.toJSON(accepted) });
		} catch (err) {
			watching.abort();
			// Ends the SDK's run quietly with a message; the gateway answers the refusal as a JSON-RPC error (a2a-gateway.ts).
			request.context.state.set(REFUSAL, err);
			bus.publish(AgentEvent.message(agentMessage("", contextId, [textPart((err as Error).message)])));
			bus.finished();
			return;
		}
		this.live.start(taskId, caller.user.id);
		try {
			// Accepted and handed to the agent: the first event is the task, working.
			bus.publish(AgentEvent.task({ ...accepted, status: { state: 2, message: undefined, timestamp: new Date().toISOString() } }));
			const end = await ended;
			const cancelling = this.cancelled.get(taskId);
			if (cancelling) return await cancelling;
			this.live.endFromRow(taskId);
			const { artifacts, status } = outcomeOf(end, contextId);
			for (const artifact of artifacts) bus.publish(AgentEvent.artifactUpdate({ taskId, contextId, artifact, append: false, lastChunk: true, metadata: undefined }));
			bus.publish(AgentEvent.statusUpdate({ taskId, contextId, status, metadata: undefined }));
			bus.finished();
		} catch (err) {
			this.live.end(taskId);
			throw err;
		}
	}

	/**
	 * A2A's CancelTask, around the SDK's own (`sdkCancel`). A task this executor runs is
	 * cancelled by `cancelTask` as the request's caller; one it does not run (given over REST,
	 * run from another node, or before a restart) is cancelled here first, as the SDK would
	 * only write its own record of it. Either way through `tasks.cancel`, AgentOS's one cancel
	 * path, with the caller's context (so audit names who cancelled).
	 */
	async cancelling<T>(taskId: string, context: ServerCallContext, sdkCancel: () => Promise<T>): Promise<T> {
		const caller = context.user;
		if (!(caller instanceof A2AUser)) throw new A2ARequestError(-32600, "The request carries no AgentOS caller");
		if (!this.live.has(taskId)) {
			// Another token's task is not found (the SDK's load says so), as one that does not exist.
			const record = await this.tasks.find(taskId);
			if (record?.agentId === this.agentId && !isTerminal(record.status) && (await this.tasks.seenBy(taskId, a2aViewerOf(caller)))) await cancelUnlessEnded(caller.ctx, taskId);
			return sdkCancel();
		}
		if (!this.live.seenBy(taskId, a2aViewerOf(caller))) return sdkCancel();
		this.cancellers.set(taskId, caller);
		try {
			return await sdkCancel();
		} finally {
			this.cancellers.delete(taskId);
		}
	}

	/**
	 * Cancels a task this executor runs, as `cancelling` was asked: a durable run's pending call
	 * is refused and it makes no more, a suspended run's approval is closed; an agent with
	 * `durable: false` runs on, and its outcome is dropped.
	 */
	async cancelTask(taskId: string, bus: ExecutionEventBus): Promise<void> {
		const record = await this.tasks.find(taskId);
		const contextId = record?.contextId ?? taskId;
		const caller = this.cancellers.get(taskId);
		if (!caller) throw new A2ARequestError(-32600, "The request carries no AgentOS caller");
		let published: () => void = () => undefined;
		this.cancelled.set(taskId, new Promise<void>(resolve => (published = resolve)));
		try {
			await cancelUnlessEnded(caller.ctx, taskId);
			const note = textPart(
				record?.durable === false
					? "Cancelled: AgentOS stops waiting for this task and discards its outcome; the agent's current run is not interrupted."
					: "Cancelled: the agent's run was stopped and makes no further calls."
			);
			bus.publish(AgentEvent.statusUpdate({ taskId, contextId, status: { state: 5, message: agentMessage(taskId, contextId, [note]), timestamp: new Date().toISOString() }, metadata: undefined }));
			bus.finished();
		} finally {
			this.cancelled.delete(taskId);
			published();
		}
	}
}
