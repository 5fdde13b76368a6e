import { TaskInvalidError } from "../errors";
import type { AgentManifest } from "../manifest-types";
import type { Caller } from "../agent-api";
import { keepIdentity, type TaskOrigin } from "../agent-calls";
import { InNodeWorker } from "./in-node-worker";
import type { WorkerHooks } from "./worker";

interface ChatTask {
	type: "chat";
	message: string;
	sessionId?: string;
	stream?: { nodeID: string; streamId: string };
}

interface HistoryWindow {
	summary: string | null;
	messages: { role: string; content: string }[];
}

interface RecallHit {
	memory: { id: string; content: string; type: string };
	score: number;
}

interface SearchAnswer {
	hits: RecallHit[];
	model: string;
	notComparable: number;
}

/** How recall went: the embedding model and how many memories it could not compare, or why it did not run. */
export type RecallReport = { model: string; notComparable: number } | { skipped: string };

interface LoopAnswer {
	answer: string | null;
	stopReason: string;
	[key: string]: unknown;
}

export const DEFAULT_SESSION = "default";

/** The system prompt: the manifest's instructions, then what the agent remembers. */
export function composeInstructions(instructions: string, summary: string | null, recalled: RecallHit[]): string {
	const parts = [instructions];
	if (summary) parts.push(`Summary of the earlier conversation:\n${summary}`);
	if (recalled.length) parts.push(`What you remember that may help (from your memory):\n${recalled.map(h => `- ${h.memory.content}`).join("\n")}`);
	return parts.join("\n\n");
}

/**
 * A declarative agent: no code and no process — its actor runs the framework's loop.
 * A chat task reads the session's history and recalls memories (both through the ctx
 * bridge, as the agent, so permissions and audit apply as to any agent), runs
 * `llm.run` with the manifest's instructions, model, tools and limits, and keeps the
 * exchange in the session's history. Thousands fit on one node.
 */
export class DeclarativeWorker extends InNodeWorker {
	readonly runtime = "declarative" as const;
	/** No agent code: it reaches the network only through tools, like any ctx call. */
	override readonly networkIsolated = undefined;

	constructor(
		private readonly manifest: AgentManifest,
		hooks: WorkerHooks
	) {
		super(hooks);
	}

	async start(): Promise<void> {
		// Nothing to load: the manifest is the agent.
	}

	run(kind: "task" | "message", _id: string, payload: unknown, _caller: Caller, origin?: TaskOrigin): Promise<unknown> {
		// Tasks were checked against the chat schema by the actor; a message (tell) is checked here.
		// The refusal is the runtime's own, not the agent's failure: the caller gets it as it is.
		const message = (payload as Partial<ChatTask> | null)?.message;
		if (kind === "message" && (typeof message !== "string" || !message.trim())) {
			return Promise.reject(keepIdentity(new TaskInvalidError("a declarative agent takes messages as { message: string, sessionId? }", [{ field: "message", message: "is required" }])));
		}
		return this.chat(payload as ChatTask, origin);
	}

	/**
	 * The session is the task sender's (a person's token, another agent), never what the task
	 * says, so one caller's session id never reaches another's: memory's ctx methods, naming
	 * no owner, keep the session of the task the call runs for.
	 */
	private async chat(task: ChatTask, origin: TaskOrigin | undefined): Promise<unknown> {
		// The calls agent code would make as ctx.memory.history(sessionId, window) and the like.
		const call = <T>(method: string, ...args: unknown[]) => this.hooks.onCall(method, args, origin) as Promise<T>;
		const m = this.manifest;
		const sessionId = task.sessionId ?? DEFAULT_SESSION;
		const keepsHistory = m.memory?.historyWindow !== 0;
		const recall = m.memory?.recall ?? 0;
		const [history, { recalled, report }] = await Promise.all([
			keepsHistory ? call<HistoryWindow>("memory.history", sessionId, m.memory?.historyWindow) : undefined,
			recall > 0 ? this.recall(call, task.message, recall) : { recalled: [], report: undefined }
		]);
		const result = await call<LoopAnswer>("llm.run", {
			message: task.message,
			instructions: composeInstructions(m.instructions ?? "", history?.summary ?? null, recalled),
			history: history?.messages.map(({ role, content }) => ({ role, content })) ?? [],
			tools: m.tools ?? [],
			maxSteps: m.limits.maxSteps,
			...(m.limits.maxTokensPerTask > 0 && { maxTokens: m.limits.maxTokensPerTask }),
			...(m.limits.maxUsdPerTask > 0 && { maxUsd: m.limits.maxUsdPerTask }),
			...(task.stream && { stream: task.stream })
		});
		if (keepsHistory) {
			// The exchange is kept without its tool turns: the next model call sees what was said.
			const messages = [{ role: "user", content: task.message }, ...(result.answer !== null ? [{ role: "assistant", content: result.answer }] : [])];
			await call("memory.appendHistory", sessionId, messages);
		}
		const { messages: _turns, ...answer } = result;
		return { ...answer, sessionId, recalled: recalled.map(h => ({ id: h.memory.id, content: h.memory.content, score: h.score })), ...(report && { recall: report }) };
	}

	/**
	 * What the agent remembers of the message. Recall is an aid, never a reason for a chat to
	 * fail: when it cannot run (the embedding model is missing on a local server, say) the
	 * chat goes on without it, and the answer and the log say why.
	 */
	private async recall(call: <T>(method: string, ...args: unknown[]) => Promise<T>, message: string, k: number): Promise<{ recalled: RecallHit[]; report: RecallReport }> {
		try {
			const found = await call<SearchAnswer>("memory.search", { query: message, k });
			return { recalled: found.hits, report: { model: found.model, notComparable: found.notComparable } };
		} catch (err) {
			const e = err as Error & { type?: string };
			const skipped = `${e.type ?? e.name}: ${e.message}`;
			this.hooks.onLog("warn", `Agent ${this.manifest.id} chats without recall: ${skipped}`);
			return { recalled: [], report: { skipped } };
		}
	}
}
