/**
 * The model abstraction layer's one vocabulary: every provider converts to and from
 * these shapes, so agents and services never see a vendor's wire format.
 */

/** A JSON Schema object (tool parameters). */
export type JsonSchema = Record<string, unknown>;

export interface ToolSpec {
	name: string;
	description?: string;
	parameters: JsonSchema;
}

export interface ToolCall {
	id: string;
	name: string;
	/** Parsed arguments; `{}` when the model sent none. */
	arguments: Record<string, unknown>;
}

export type ChatRole = "system" | "user" | "assistant" | "tool";

export interface ChatMessage {
	role: ChatRole;
	/** Text; `null` for an assistant turn that only calls tools. */
	content: string | null;
	/** Assistant turns: the tools it called. */
	toolCalls?: ToolCall[];
	/** Tool turns: which call this answers. */
	toolCallId?: string;
	/** Tool turns: the tool's name (some providers want it). */
	name?: string;
}

export type ToolChoice = "auto" | "none" | "required" | { name: string };

export interface ChatRequest {
	/** A model name, `provider/model`, or an alias (`fast`, `smart`, …); empty → the default. */
	model?: string;
	messages: ChatMessage[];
	tools?: ToolSpec[];
	toolChoice?: ToolChoice;
	temperature?: number;
	maxTokens?: number;
	stop?: string[];
}

export interface Usage {
	promptTokens: number;
	completionTokens: number;
	totalTokens: number;
}

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/** What one provider answered (before the router adds routing facts). */
export interface ProviderChatResult {
	content: string | null;
	toolCalls: ToolCall[];
	finishReason: FinishReason;
	usage: Usage;
	/** The model as the provider reports it. */
	model: string;
	/** The provider's own request id, when it gives one. */
	providerRequestId?: string;
}

/** A piece of a streamed answer. */
export type ProviderChunk = { type: "text"; text: string } | { type: "tool_call"; call: ToolCall } | { type: "end"; result: ProviderChatResult };

export interface EmbedRequest {
	model?: string;
	input: string[];
}

export interface ProviderEmbedResult {
	vectors: number[][];
	model: string;
	usage: { promptTokens: number };
}
