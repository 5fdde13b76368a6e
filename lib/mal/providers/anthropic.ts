import Anthropic from "@anthropic-ai/sdk";
import type { ContentBlockParam, MessageParam, RawMessageStreamEvent, Tool, ToolChoice as WireToolChoice } from "@anthropic-ai/sdk/resources/messages/messages";
import { ProviderError } from "../errors";
import type { ChatMessage, FinishReason, ProviderChatResult, ProviderChunk, ProviderEmbedResult, ToolCall, ToolChoice } from "../types";
import type { LlmProvider, ProviderConfig, ResolvedChatRequest } from "./base";
import { toProviderError } from "./provider-error";

/** The Messages API wants a ceiling on every request; this is ours when the caller sets none. */
const DEFAULT_MAX_TOKENS = 1024;

/**
 * Anthropic's Messages API through the official SDK. System turns become the `system`
 * field, tool calls and results become `tool_use` / `tool_result` blocks, and
 * consecutive turns of one role are merged, as the API requires alternation.
 */
export class AnthropicProvider implements LlmProvider {
	readonly type = "anthropic" as const;
	readonly name: string;
	private readonly client: Anthropic;

	constructor(config: ProviderConfig) {
		this.name = config.name;
		this.client = new Anthropic({ apiKey: config.apiKey || "none", baseURL: config.baseUrl, maxRetries: 0, timeout: config.timeoutMs });
	}

	async chat(request: ResolvedChatRequest, signal: AbortSignal): Promise<ProviderChatResult> {
		try {
			const res = await this.client.messages.create({ ...body(request), stream: false }, { signal });
			const text = res.content.flatMap(b => (b.type === "text" ? [b.text] : [])).join("");
			const toolCalls = res.content.flatMap(b => (b.type === "tool_use" ? [{ id: b.id, name: b.name, arguments: asObject(b.input) }] : []));
			return {
				content: text || null,
				toolCalls,
				finishReason: finish(res.stop_reason),
				usage: usage(res.usage.input_tokens, res.usage.output_tokens),
				model: res.model || request.model,
				providerRequestId: res.id
			};
		} catch (err) {
			throw toProviderError(this.name, err, signal);
		}
	}

	async *stream(request: ResolvedChatRequest, signal: AbortSignal): AsyncIterable<ProviderChunk> {
		let events: AsyncIterable<RawMessageStreamEvent>;
		try {
			events = await this.client.messages.create({ ...body(request), stream: true }, { signal });
		} catch (err) {
			throw toProviderError(this.name, err, signal);
		}
		let text = "";
		let id: string | undefined;
		let model = request.model;
		let inputTokens = 0;
		let outputTokens = 0;
		let finishReason: FinishReason = "stop";
		const tools = new Map<number, { id: string; name: string; json: string }>();
		try {
			for await (const event of events) {
				switch (event.type) {
					case "message_start":
						id = event.message.id;
						model = event.message.model || model;
						inputTokens = event.message.usage.input_tokens;
						outputTokens = event.message.usage.output_tokens;
						break;
					case "content_block_start":
						if (event.content_block.type === "tool_use") tools.set(event.index, { id: event.content_block.id, name: event.content_block.name, json: "" });
						break;
					case "content_block_delta":
						if (event.delta.type === "text_delta") {
							text += event.delta.text;
							yield { type: "text", text: event.delta.text };
						} else if (event.delta.type === "input_json_delta") {
							const tool = tools.get(event.index);
							if (tool) tool.json += event.delta.partial_json;
						}
						break;
					case "message_delta":
						finishReason = finish(event.delta.stop_reason);
						outputTokens = event.usage.output_tokens ?? outputTokens;
						break;
				}
			}
		} catch (err) {
			throw toProviderError(this.name, err, signal);
		}
		const toolCalls: ToolCall[] = [...tools.entries()].sort(([a], [b]) => a - b).map(([, t]) => ({ id: t.id, name: t.name, arguments: parseJson(t.json) }));
		for (const call of toolCalls) yield { type: "tool_call", call };
		yield { type: "end", result: { content: text || null, toolCalls, finishReason, usage: usage(inputTokens, outputTokens), model, providerRequestId: id } };
	}

	async embed(): Promise<ProviderEmbedResult> {
		throw new ProviderError(this.name, "Anthropic has no embeddings API; route embeddings to another provider (LLM_EMBEDDING_MODEL)", 404, false);
	}
}

function body(request: ResolvedChatRequest) {
	const system = request.messages.filter(m => m.role === "system").map(m => m.content ?? "").join("\n\n");
	const toolChoice = request.tools?.length ? wireToolChoice(request.toolChoice) : undefined;
	return {
		model: request.model,
		max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
		messages: toWire(request.messages.filter(m => m.role !== "system")),
		...(system ? { system } : {}),
		...(request.tools?.length ? { tools: request.tools.map((t): Tool => ({ name: t.name, description: t.description, input_schema: t.parameters as Tool["input_schema"] })) } : {}),
		...(toolChoice ? { tool_choice: toolChoice } : {}),
		...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
		...(request.stop?.length ? { stop_sequences: request.stop } : {})
	};
}

/** Tool results ride in user turns; neighbours of one role merge into one turn. */
function toWire(messages: ChatMessage[]): MessageParam[] {
	const out: MessageParam[] = [];
	for (const m of messages) {
		const role = m.role === "assistant" ? "assistant" : "user";
		const blocks: ContentBlockParam[] = [];
		if (m.role === "tool") blocks.push({ type: "tool_result", tool_use_id: m.toolCallId ?? "", content: m.content ?? "" });
		else if (m.content) blocks.push({ type: "text", text: m.content });
		for (const call of m.toolCalls ?? []) blocks.push({ type: "tool_use", id: call.id, name: call.name, input: call.arguments });
		const last = out[out.length - 1];
		if (last && last.role === role) (last.content as ContentBlockParam[]).push(...blocks);
		else out.push({ role, content: blocks });
	}
	return out;
}

function wireToolChoice(choice: ToolChoice | undefined): WireToolChoice | undefined {
	if (!choice || choice === "auto") return { type: "auto" };
	if (choice === "none") return { type: "none" };
	if (choice === "required") return { type: "any" };
	return { type: "tool", name: choice.name };
}

function finish(reason: string | null | undefined): FinishReason {
	return reason === "max_tokens" ? "length" : reason === "tool_use" ? "tool_calls" : reason === "refusal" ? "content_filter" : "stop";
}

function usage(input: number, output: number) {
	return { promptTokens: input, completionTokens: output, totalTokens: input + output };
}

function asObject(value: unknown): Record<string, unknown> {
	return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function parseJson(text: string): Record<string, unknown> {
	if (!text.trim()) return {};
	try {
		return asObject(JSON.parse(text));
	} catch {
		return { _raw: text };
	}
}
