import crypto from "node:crypto";
import type { ChatResult } from "../../mal/results";
import type { FinishReason, ToolCall, Usage } from "../../mal/types";

/** OpenAI's usage block. */
export interface OpenAIUsage {
	prompt_tokens: number;
	completion_tokens: number;
	total_tokens: number;
}

export interface OpenAIToolCall {
	id: string;
	type: "function";
	function: { name: string; arguments: string };
}

/** One answer in AgentOS terms, whichever path made it. */
export interface Answer {
	content: string | null;
	toolCalls: ToolCall[];
	finishReason: FinishReason;
	usage: Usage;
}

/** The ids and times every object of one completion shares. */
export interface Completion {
	id: string;
	created: number;
	model: string;
}

export function newCompletion(model: string): Completion {
	return { id: `chatcmpl-${crypto.randomUUID()}`, created: Math.floor(Date.now() / 1000), model };
}

export function openAIUsage(u: Usage): OpenAIUsage {
	return { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.totalTokens };
}

export function openAIToolCall(c: ToolCall): OpenAIToolCall {
	return { id: c.id, type: "function", function: { name: c.name, arguments: JSON.stringify(c.arguments) } };
}

/** A `chat.completion` object. */
export function completionObject(c: Completion, answer: Answer) {
	const message = { role: "assistant" as const, content: answer.content, ...(answer.toolCalls.length ? { tool_calls: answer.toolCalls.map(openAIToolCall) } : {}), refusal: null };
	return { id: c.id, object: "chat.completion" as const, created: c.created, model: c.model, choices: [{ index: 0, message, logprobs: null, finish_reason: answer.finishReason }], usage: openAIUsage(answer.usage) };
}

type Delta = { role?: "assistant"; content?: string; tool_calls?: (OpenAIToolCall & { index: number })[] };

/** A `chat.completion.chunk` object: a delta, the finish reason, or (with no choices) the usage. */
export function chunkObject(c: Completion, delta: Delta | null, finishReason: FinishReason | null = null, usage?: Usage) {
	return {
		id: c.id,
		object: "chat.completion.chunk" as const,
		created: c.created,
		model: c.model,
		choices: delta ? [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] : [],
		...(usage ? { usage: openAIUsage(usage) } : {})
	};
}

/** The model layer's answer. */
export function answerOfModel(r: ChatResult): Answer {
	return { content: r.message.content, toolCalls: r.message.toolCalls, finishReason: r.finishReason, usage: r.usage };
}

const NO_USAGE: Usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };

/**
 * An agent's chat result: declarative agents answer `{answer, usage, stopReason}` (a stop
 * other than the answer — steps or budget spent — reads as `length`, cut short); a code
 * agent's `chat` task answers whatever it returns — its text when it has one, else its JSON.
 */
export function answerOfAgent(result: Record<string, unknown>): Answer {
	const text = [result.answer, result.reply, result.text].find(v => typeof v === "string");
	const { taskId: _taskId, ...rest } = result;
	const u = result.usage as Partial<Usage> | undefined;
	const usage = u && typeof u.totalTokens === "number" ? { promptTokens: u.promptTokens ?? 0, completionTokens: u.completionTokens ?? 0, totalTokens: u.totalTokens } : NO_USAGE;
	// A declarative agent stopped by its budget or step limit has no answer: an empty one, not its result's JSON.
	const content = typeof text === "string" ? text : "answer" in result && result.answer === null ? "" : JSON.stringify(rest);
	return { content, toolCalls: [], finishReason: typeof result.stopReason === "string" && result.stopReason !== "answer" ? "length" : "stop", usage };
}

/** `GET /v1/models` entries. */
export function modelEntry(id: string, ownedBy: string, created = 0) {
	return { id, object: "model" as const, created, owned_by: ownedBy };
}
