/**
 * The agent framework's tool-calling loop: ask the model, run the tools it calls, send the
 * results back, until it answers or a limit is hit. Pure (Moleculer is injected through
 * LoopDeps) so declarative agents and code agents (`ctx.llm.run`) share one behaviour.
 */
import type { ChatMessage, ToolCall, ToolSpec, Usage } from "../mal/types";
import type { ChatResult } from "../mal/results";
import type { ToolInfo } from "../tools/tool";

export interface LoopDeps {
	/** mal.chat */
	chat(request: { model?: string; messages: ChatMessage[]; tools?: ToolSpec[] }): Promise<ChatResult>;
	/** tools.invoke (the service checks permissions). */
	invokeTool(toolId: string, args: Record<string, unknown>): Promise<unknown>;
	/**
	 * A tool call's error that ends the loop, thrown to its caller, instead of being the
	 * result the model sees (a durable run suspended until a person decides).
	 */
	rethrows?(err: unknown): boolean;
}

export interface LoopOptions {
	model?: string;
	instructions?: string;
	history?: ChatMessage[];
	tools?: Array<Pick<ToolInfo, "id" | "description" | "parameters">>;
	maxSteps: number;
	maxTokens?: number;
	maxUsd?: number;
	onEvent?(e: LoopEvent): void;
}

export type LoopEvent =
	| { type: "model"; step: number; usage: Usage; costUsd: number }
	| { type: "tool_call"; step: number; call: ToolCall }
	| { type: "tool_result"; step: number; callId: string; ok: boolean; summary: string }
	| { type: "answer"; text: string };

export type StopReason = "answer" | "max_steps" | "budget_tokens" | "budget_usd";

export interface LoopToolCallRecord {
	id: string;
	toolId: string;
	arguments: Record<string, unknown>;
	ok: boolean;
	/** The result (or error) as sent to the model, cut to SUMMARY_CHARS. */
	result: string;
}

export interface LoopResult {
	answer: string | null;
	stopReason: StopReason;
	steps: Array<{ step: number; toolCalls: LoopToolCallRecord[] }>;
	usage: Usage;
	costUsd: number;
	provider: string | null;
	model: string | null;
	/** History + the user turn + every turn the loop added (not the system instructions, which the caller owns). */
	messages: ChatMessage[];
}

export const SUMMARY_CHARS = 500;
const NAME_MAX = 64;

/**
 * Providers only accept tool names matching ^[A-Za-z0-9_-]{1,64}$, while our ids carry
 * `:` and `.`; map each id to a safe, unique name. Returns safe name → tool id.
 */
export function safeToolNames(ids: string[]): Map<string, string> {
	const names = new Map<string, string>();
	for (const id of ids) {
		const base = (id.replace(/[^A-Za-z0-9_-]/g, "_") || "tool").slice(0, NAME_MAX);
		let name = base;
		for (let n = 2; names.has(name); n++) {
			const suffix = `_${n}`;
			name = base.slice(0, NAME_MAX - suffix.length) + suffix;
		}
		names.set(name, id);
	}
	return names;
}

function describeError(err: unknown): string {
	if (err instanceof Error) {
		const type = (err as Error & { type?: unknown }).type;
		return `${typeof type === "string" ? type : err.name}: ${err.message}`;
	}
	return `Error: ${String(err)}`;
}

function addUsage(a: Usage, b: Usage): Usage {
	return {
		promptTokens: a.promptTokens + b.promptTokens,
		completionTokens: a.completionTokens + b.completionTokens,
		totalTokens: a.totalTokens + b.totalTokens
	};
}

export async function runToolLoop(userMessage: string, deps: LoopDeps, options: LoopOptions): Promise<LoopResult> {
	const emit = (e: LoopEvent): void => options.onEvent?.(e);
	const tools = options.tools ?? [];
	const nameToId = safeToolNames(tools.map(t => t.id));
	const idToName = new Map([...nameToId].map(([name, id]) => [id, name]));
	const specs: ToolSpec[] = tools.map(t => ({ name: idToName.get(t.id) ?? t.id, description: t.description, parameters: t.parameters }));

	const system: ChatMessage[] = options.instructions ? [{ role: "system", content: options.instructions }] : [];
	const messages: ChatMessage[] = [...(options.history ?? []), { role: "user", content: userMessage }];
	const result: LoopResult = {
		answer: null,
		stopReason: "max_steps",
		steps: [],
		usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
		costUsd: 0,
		provider: null,
		model: null,
		messages
	};

	for (let step = 1; step <= options.maxSteps; step++) {
		const reply = await deps.chat({ model: options.model, messages: [...system, ...messages], tools: specs.length ? specs : undefined });
		result.usage = addUsage(result.usage, reply.usage);
		result.costUsd += reply.costUsd;
		result.provider = reply.provider;
		result.model = reply.model;
		emit({ type: "model", step, usage: reply.usage, costUsd: reply.costUsd });

		const calls = reply.message.toolCalls ?? [];
		if (calls.length === 0) {
			result.answer = reply.message.content ?? "";
			result.stopReason = "answer";
			messages.push({ role: "assistant", content: result.answer });
			emit({ type: "answer", text: result.answer });
			return result;
		}
		// Spending is checked before tools run: a tool may cost money or have side effects.
		// The unanswered tool-call turn is not kept, so `messages` stays valid as history.
		if (options.maxTokens !== undefined && result.usage.totalTokens >= options.maxTokens) {
			result.stopReason = "budget_tokens";
			return result;
		}
		if (options.maxUsd !== undefined && result.costUsd >= options.maxUsd) {
			result.stopReason = "budget_usd";
			return result;
		}
		// The model would never see results of the last allowed step, so don't run them.
		if (step === options.maxSteps) break;

		for (const call of calls) emit({ type: "tool_call", step, call: { ...call, name: nameToId.get(call.name) ?? call.name } });
		const settled = await Promise.allSettled(
			calls.map(async call => {
				const toolId = nameToId.get(call.name);
				if (toolId === undefined) throw new Error(`unknown tool ${call.name}`);
				return deps.invokeTool(toolId, call.arguments ?? {});
			})
		);

		const ending = settled.find((o): o is PromiseRejectedResult => o.status === "rejected" && deps.rethrows?.(o.reason) === true);
		if (ending) throw ending.reason;

		messages.push({ role: "assistant", content: reply.message.content, toolCalls: calls });
		const records: LoopToolCallRecord[] = calls.map((call, i) => {
			const outcome = settled[i];
			const ok = outcome.status === "fulfilled";
			// A failing tool does not end the loop: the model sees the error and may recover.
			const content = ok ? (JSON.stringify(outcome.value) ?? "null") : JSON.stringify({ error: describeError(outcome.reason) });
			messages.push({ role: "tool", content, toolCallId: call.id, name: call.name });
			const summary = content.slice(0, SUMMARY_CHARS);
			return { id: call.id, toolId: nameToId.get(call.name) ?? call.name, arguments: call.arguments ?? {}, ok, result: summary };
		});
		for (const r of records) emit({ type: "tool_result", step, callId: r.id, ok: r.ok, summary: r.result });
		result.steps.push({ step, toolCalls: records });
	}
	return result;
}
