/** What the model layer answers (mal.chat, mal.embed, the lines of mal.stream): the public shapes callers and the SDK see. */
import type { FailoverAttempt } from "./errors";
import type { FinishReason, ProviderChunk, ToolCall, Usage } from "./types";

export interface ChatResult {
	message: { role: "assistant"; content: string | null; toolCalls: ToolCall[] };
	finishReason: FinishReason;
	usage: Usage;
	costUsd: number;
	/** False when the model is not in the pricing table (its cost is counted as 0). */
	priced: boolean;
	provider: string;
	model: string;
	requestId: string;
	retries: number;
	/** Providers left behind, in order, with why. */
	failovers: FailoverAttempt[];
	latencyMs: number;
}

export interface EmbedResult {
	vectors: number[][];
	dimensions: number;
	provider: string;
	/** The model as routed (not as the server may spell it back): what a stored vector is labelled with. */
	model: string;
	usage: { promptTokens: number };
	costUsd: number;
	requestId: string;
}

/** A line of mal.stream: what providers yield, plus the final routed result or an error. */
export type StreamLine = Exclude<ProviderChunk, { type: "end" }> | { type: "end"; result: ChatResult } | { type: "error"; error: { type: string; message: string } };
