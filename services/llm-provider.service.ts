import { PassThrough, type Readable } from "node:stream";
import type { Context, ServiceSchema } from "moleculer";
import type { LlmProvider, ProviderConfig, ResolvedChatRequest, ResolvedEmbedRequest } from "../lib/mal/providers/base";
import { toProviderError } from "../lib/mal/providers/provider-error";
import type { ProviderChatResult, ProviderEmbedResult } from "../lib/mal/types";
import { defineService } from "../lib/kernel/define-service";

export interface ProviderServiceOptions {
	/** Failures in the window before the circuit opens (ratio), and how long it stays open. */
	halfOpenMs: number;
}

export function providerServiceName(provider: string): string {
	return `llm.${provider}`;
}

/**
 * One model provider as its own service `llm.<name>`, so Moleculer's circuit breaker,
 * bulkhead and timeout apply per provider: a failing provider is cut off and probed
 * again after `halfOpenMs` without slowing the others. Retries and failover are the
 * router's (mal), which knows about retry-after and the chain.
 */
export default function createProviderService(config: ProviderConfig, provider: LlmProvider, options: ProviderServiceOptions): ServiceSchema {
	const guards = {
		retryPolicy: { enabled: false },
		bulkhead: { enabled: true, concurrency: config.concurrency, maxQueueSize: 1000 },
		circuitBreaker: { enabled: true, threshold: 0.5, minRequestCount: 3, windowTime: 60, halfOpenTime: options.halfOpenMs },
		timeout: config.timeoutMs + 1000
	};
	const signal = () => AbortSignal.timeout(config.timeoutMs);

	return defineService({
		name: providerServiceName(config.name),
		metadata: { provider: config.type, models: config.models, embeddingModel: config.embeddingModel ?? null },

		actions: {
			chat: {
				...guards,
				visibility: "public",
				async handler(ctx: Context<{ request: ResolvedChatRequest }>): Promise<ProviderChatResult> {
					return provider.chat(ctx.params.request, signal());
				}
			},

			/** NDJSON lines of ProviderChunk; the first line is read by the router before it answers. */
			stream: {
				...guards,
				visibility: "public",
				async handler(ctx: Context<{ request: ResolvedChatRequest }>): Promise<Readable> {
					const abort = signal();
					const chunks = provider.stream(ctx.params.request, abort)[Symbol.asyncIterator]();
					// Wait for the first piece: a provider that fails before it is a failed call
					// (the breaker counts it, the router fails over); after it, the stream has begun.
					let first: IteratorResult<unknown>;
					try {
						first = await chunks.next();
					} catch (err) {
						throw toProviderError(config.name, err, abort);
					}
					const out = new PassThrough();
					(async () => {
						try {
							for (let next = first; !next.done; next = await chunks.next()) out.write(`${JSON.stringify(next.value)}\n`);
						} catch (err) {
							const e = toProviderError(config.name, err, abort);
							out.write(`${JSON.stringify({ type: "error", error: { message: e.message, type: e.type, retryable: e.retryable, data: e.data } })}\n`);
						}
						out.end();
					})();
					return out;
				}
			},

			embed: {
				...guards,
				visibility: "public",
				handler(ctx: Context<{ request: ResolvedEmbedRequest }>): Promise<ProviderEmbedResult> {
					return provider.embed(ctx.params.request, signal());
				}
			}
		}
	});
}
