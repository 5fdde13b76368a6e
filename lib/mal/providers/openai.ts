import OpenAI from "openai";
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool, ChatCompletionToolChoiceOption } from "openai/resources/chat/completions";
import type { ChatMessage, FinishReason, ProviderChatResult, ProviderChunk, ProviderEmbedResult, ToolCall, ToolChoice, ToolSpec } from "../types";
import type { LlmProvider, ProviderConfig, ResolvedChatRequest, ResolvedEmbedRequest } from "./base";
import { toProviderError } from "./provider-error";

/**
 * OpenAI, and any server that speaks its API (Ollama, vLLM, LM Studio …), through the
 * official SDK. The SDK's own retries are off: the router retries, with jitter, across
 * providers.
 */
export class OpenAIProvider implements LlmProvider {
	readonly type = "openai" as const;
	readonly name: string;
	private readonly client: OpenAI;

	constructor(config: ProviderConfig) {
		this.name = config.name;
		// Servers like Ollama take no key, but the SDK insists on one.
		this.client = new OpenAI({ apiKey: config.apiKey || "none", baseURL: config.baseUrl, maxRetries: 0, timeout: config.timeoutMs });
	}

	async chat(request: ResolvedChatRequest, signal: AbortSignal): Promise<ProviderChatResult> {
		try {
			const res = await this.client.chat.completions.create({ ...body(request), stream: false }, { signal });
			const choice = res.choices[0];
			return {
				content: choice?.message.content ?? null,
				toolCalls: (choice?.message.tool_calls ?? []).flatMap(call => (call.type === "function" ? [fromWire(call.id, call.function.name, call.function.arguments)] : [])),
				finishReason: finish(choice?.finish_reason),
				usage: usage(res.usage),
				model: res.model || request.model,
				providerRequestId: res.id
			};
		} catch (err) {
			throw toProviderError(this.name, err, signal);
		}
	}

	async *stream(request: ResolvedChatRequest, signal: AbortSignal): AsyncIterable<ProviderChunk> {
		let stream: AsyncIterable<ChatCompletionChunk>;
		try {
			stream = await this.client.chat.completions.create({ ...body(request), stream: true, stream_options: { include_usage: true } }, { signal });
		} catch (err) {
			throw toProviderError(this.name, err, signal);
		}
		let text = "";
		let finishReason: FinishReason = "stop";
		let model = request.model;
		let id: string | undefined;
		let counted: ProviderChatResult["usage"] | undefined;
		const partial = new Map<number, { id: string; name: string; args: string }>();
		try {
			for await (const chunk of stream) {
				id ??= chunk.id;
				model = chunk.model || model;
				if (chunk.usage) counted = usage(chunk.usage);
				const choice = chunk.choices[0];
				if (!choice) continue;
				if (choice.delta.content) {
					text += choice.delta.content;
					yield { type: "text", text: choice.delta.content };
				}
				for (const d of choice.delta.tool_calls ?? []) {
					const call = partial.get(d.index) ?? { id: "", name: "", args: "" };
					call.id ||= d.id ?? "";
					call.name ||= d.function?.name ?? "";
					call.args += d.function?.arguments ?? "";
					partial.set(d.index, call);
				}
				if (choice.finish_reason) finishReason = finish(choice.finish_reason);
			}
		} catch (err) {
			throw toProviderError(this.name, err, signal);
		}
		const toolCalls = [...partial.entries()].sort(([a], [b]) => a - b).map(([, c]) => fromWire(c.id, c.name, c.args));
		for (const call of toolCalls) yield { type: "tool_call", call };
		yield {
			type: "end",
			result: { content: text || null, toolCalls, finishReason, usage: counted ?? { promptTokens: 0, completionTokens: 0, totalTokens: 0 }, model, providerRequestId: id }
		};
	}

	async embed(request: ResolvedEmbedRequest, signal: AbortSignal): Promise<ProviderEmbedResult> {
		try {
			const res = await this.client.embeddings.create({ model: request.model, input: request.input }, { signal });
			return {
				vectors: [...res.data].sort((a, b) => a.index - b.index).map(d => d.embedding),
				model: res.model || request.model,
				usage: { promptTokens: res.usage?.prompt_tokens ?? 0 }
			};
		} catch (err) {
			throw toProviderError(this.name, err, signal);
		}
	}
}

function body(request: ResolvedChatRequest) {
	return {
		model: request.model,
		messages: request.messages.map(toWire),
		...(request.tools?.length ? { tools: request.tools.map(tool), tool_choice: toolChoice(request.toolChoice) } : {}),
		...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
		...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
		...(request.stop?.length ? { stop: request.stop } : {})
	};
}

function toWire(m: ChatMessage): ChatCompletionMessageParam {
	switch (m.role) {
		case "system":
			return { role: "system", content: m.content ?? "" };
		case "user":
			return { role: "user", content: m.content ?? "" };
		case "tool":
			return { role: "tool", content: m.content ?? "", tool_call_id: m.toolCallId ?? "" };
		case "assistant":
			return {
				role: "assistant",
				content: m.content,
				...(m.toolCalls?.length
					? { tool_calls: m.toolCalls.map(c => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: JSON.stringify(c.arguments) } })) }
					: {})
			};
	}
}

function tool(spec: ToolSpec): ChatCompletionTool {
	return { type: "function", function: { name: spec.name, description: spec.description, parameters: spec.parameters } };
}

function toolChoice(choice: ToolChoice | undefined): ChatCompletionToolChoiceOption | undefined {
	if (!choice) return undefined;
	return typeof choice === "string" ? choice : { type: "function", function: { name: choice.name } };
}

/** A tool call as the model wrote it; arguments that are not JSON become `{_raw: text}` rather than an error. */
function fromWire(id: string, name: string, args: string): ToolCall {
	let parsed: Record<string, unknown> = {};
	if (args.trim()) {
		try {
			const value = JSON.parse(args);
			parsed = value && typeof value === "object" && !Array.isArray(value) ? value : { _raw: args };
		} catch {
			parsed = { _raw: args };
		}
	}
	return { id, name, arguments: parsed };
}

function finish(reason: string | null | undefined): FinishReason {
	return reason === "length" ? "length" : reason === "tool_calls" || reason === "function_call" ? "tool_calls" : reason === "content_filter" ? "content_filter" : "stop";
}

function usage(u: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null | undefined) {
	const promptTokens = u?.prompt_tokens ?? 0;
	const completionTokens = u?.completion_tokens ?? 0;
	return { promptTokens, completionTokens, totalTokens: u?.total_tokens ?? promptTokens + completionTokens };
}
