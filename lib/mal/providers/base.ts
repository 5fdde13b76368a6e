import type { ChatRequest, EmbedRequest, ProviderChatResult, ProviderChunk, ProviderEmbedResult } from "../types";

export type ProviderType = "openai" | "anthropic" | "offline";

/** A configured provider: one entry of LLM_PROVIDERS, or one derived from OPENAI_API_KEY and friends. */
export interface ProviderConfig {
	/** Unique; the provider's service is `llm.<name>`. */
	name: string;
	type: ProviderType;
	baseUrl?: string;
	/** Secret: never logged, never returned by any API. */
	apiKey?: string;
	/** Models this provider serves (exact names); the first is its default. */
	models: string[];
	/** Model for embeddings, when the provider has one. */
	embeddingModel?: string;
	/** Calls in flight at once to this provider (its bulkhead). */
	concurrency: number;
	/** Per-call time limit. */
	timeoutMs: number;
}

/** The request as a provider receives it: the model is already resolved to one it serves. */
export type ResolvedChatRequest = ChatRequest & { model: string };
export type ResolvedEmbedRequest = EmbedRequest & { model: string };

/**
 * A model provider. Implementations convert the normalized request to their wire format
 * and back, and throw `ProviderError`s (lib/mal/errors.ts) that say whether trying again
 * can help, so the router can retry, fail over, or give up.
 */
export interface LlmProvider {
	readonly name: string;
	readonly type: ProviderType;
	chat(request: ResolvedChatRequest, signal: AbortSignal): Promise<ProviderChatResult>;
	/** Yields text and tool calls as they come, and ends with the whole result. */
	stream(request: ResolvedChatRequest, signal: AbortSignal): AsyncIterable<ProviderChunk>;
	/** Throws a non-retryable ProviderError when the provider has no embeddings. */
	embed(request: ResolvedEmbedRequest, signal: AbortSignal): Promise<ProviderEmbedResult>;
}
