import crypto from "node:crypto";
import { PassThrough, type Readable } from "node:stream";
import { errorAnswer } from "../lib/gateway/error-response";
import { jsonLines } from "../lib/kernel/json-lines";
import type { Context, ServiceSchema } from "moleculer";
import type { Caller } from "../lib/kernel/caller";
import type { Kernel } from "../lib/kernel/kernel";
import type { NodeMetrics } from "../lib/kernel/metrics";
import type { GrantConstraints } from "../lib/security/capabilities";
import { requiresDatabase } from "../mixins/requires-database.mixin";
import { CHAT_PARAMS, checkPromptSize } from "../lib/mal/chat-params";
import { AllProvidersFailedError, BudgetExceededError, ModelNotGrantedError, type FailoverAttempt } from "../lib/mal/errors";
import type { HeldBudgets } from "../lib/mal/held-budgets";
import { LlmMetrics } from "../lib/mal/llm-metrics";
import type { MalConfig } from "../lib/mal/mal-config";
import { costOf } from "../lib/mal/pricing";
import { isUnreachable, withRetries, type FailedCall } from "../lib/mal/retry";
import { ModelRouter, type Route } from "../lib/mal/router";
import type { ChatRequest, EmbedRequest, ProviderChatResult, ProviderChunk, ProviderEmbedResult } from "../lib/mal/types";
import type { ChatResult, EmbedResult, StreamLine } from "../lib/mal/results";
import { providerCircuit } from "../lib/mal/circuit-state";
import { UsageStore, USAGE_BUCKETS, type Budget, type UsageBucket, type UsageGroup, type UsageRow } from "../lib/mal/usage-store";
import { providerServiceName } from "./llm-provider.service";
import { BIGINT_MAX, USD_MAX } from "../lib/schema/number-bounds";
import { defineService } from "../lib/kernel/define-service";

type ChatParams = ChatRequest & { agentId?: string };
interface Meta {
	caller?: Caller;
	user?: { id: string };
}

type Failovers = { provider: string; error: string }[];

/** What the model layer's own `methods` put on `this`. */
interface MalMethods {
	admit(ctx: Context<ChatParams | { agentId?: string }, Meta>): Promise<string | null>;
	failover<T>(ctx: Context<ChatParams>, call: (route: Route) => Promise<T>): Promise<{ route: Route; value: T; retries: number; failovers: Failovers }>;
	allowedChain(ctx: Context<ChatParams, Meta & { grant?: GrantConstraints }>): Route[];
	finish(agentId: string | null, kind: "chat" | "stream", route: Route, value: ProviderChatResult, info: { requestId: string; retries: number; failovers: Failovers; started: number }): Promise<ChatResult>;
	meter(record: Parameters<UsageStore["record"]>[0]): Promise<void>;
}

/**
 * The model abstraction layer's router: picks the provider for a model, enforces the
 * caller's budget (less what its open jobs hold, when `held` is given), retries with jittered backoff, fails over along the chain, and
 * meters every answered call. Agents reach it as ctx.llm; people as /api/v1/llm.
 */
export default function createMalService(kernel: Kernel, mal: MalConfig, metrics?: NodeMetrics, held?: HeldBudgets): ServiceSchema {
	const router = new ModelRouter(mal);
	const embedRoute = router.resolve(undefined, "embed");
	let logError: (err: Error) => void = () => undefined;
	const usage = new UsageStore(kernel.db, err => logError(err));
	const retry = { maxRetries: mal.maxRetries, baseMs: mal.retryBaseMs, maxMs: mal.retryMaxMs };
	let llmMetrics: LlmMetrics | undefined;

	return defineService<MalMethods>({
		name: "mal",
		mixins: [requiresDatabase(kernel)],
		settings: { rest: "/llm" },

		actions: {
			chat: {
				rest: "POST /chat",
				description: "A chat completion through the model router, with budgets and fallbacks; with stream: true, server-sent events.",
				scope: "llm",
				permission: "llm.execute",
				// A person's calls too (REST, /v1): the model layer is a governed gateway, each call on record.
				audit: true,
				retryPolicy: { enabled: false },
				timeout: 0,
				params: CHAT_PARAMS,
				async handler(ctx: Context<ChatParams, Meta>): Promise<ChatResult> {
					const agentId = await this.admit(ctx);
					const started = Date.now();
					const requestId = ctx.requestID ?? crypto.randomUUID();
					const { route, value, retries, failovers } = await this.failover(ctx, (r: Route) =>
						ctx.call<ProviderChatResult, object>(`${providerServiceName(r.provider.name)}.chat`, { request: { ...request(ctx.params), model: r.model } })
					);
					return this.finish(agentId, "chat", route, value, { requestId, retries, failovers, started });
				}
			},

			/** Like chat, but answers a stream of NDJSON lines (StreamLine), ending with the metered result. */
			stream: {
				scope: "llm",
				permission: "llm.execute",
				// A person's calls too (REST, /v1): the model layer is a governed gateway, each call on record.
				audit: true,
				retryPolicy: { enabled: false },
				timeout: 0,
				params: CHAT_PARAMS,
				async handler(ctx: Context<ChatParams, Meta>): Promise<Readable> {
					const agentId = await this.admit(ctx);
					const started = Date.now();
					const requestId = ctx.requestID ?? crypto.randomUUID();
					// Retries and failover happen until the first piece arrives; after that the stream is committed.
					const { route, value: source, retries, failovers } = await this.failover(ctx, (r: Route) =>
						ctx.call<Readable, object>(`${providerServiceName(r.provider.name)}.stream`, { request: { ...request(ctx.params), model: r.model } })
					);
					const out = new PassThrough();
					const write = (line: StreamLine) => out.write(`${JSON.stringify(line)}\n`);
					(async () => {
						for await (const chunk of jsonLines<ProviderChunk | StreamLine>(source)) {
							if (chunk.type === "end" && "content" in chunk.result) {
								write({ type: "end", result: await this.finish(agentId, "stream", route, chunk.result, { requestId, retries, failovers, started }) });
							} else write(chunk as StreamLine);
						}
					})()
						// Shown as REST and the WebSocket show errors: an internal one's text stays in the log.
						.catch((err: unknown) => {
							const what = `Chat stream of ${route.provider.name}/${route.model}`;
							write({ type: "error", error: errorAnswer(err, { requestId, what, circuitHalfOpenMs: this.broker.options.circuitBreaker?.halfOpenTime ?? 10_000, logger: this.logger }).error });
						})
						.finally(() => out.end());
					return out;
				}
			},

			embed: {
				rest: "POST /embeddings",
				description: "Embedding vectors for one or more texts, from the configured embedding model.",
				scope: "llm",
				permission: "llm.execute",
				retryPolicy: { enabled: false },
				params: {
					model: { type: "string", optional: true, max: 200 },
					input: [
						{ type: "string", max: 1_000_000 },
						{ type: "array", items: { type: "string", max: 1_000_000 }, min: 1, max: 2048 }
					],
					agentId: { type: "string", optional: true, max: 100 }
				},
				async handler(ctx: Context<EmbedRequest & { input: string | string[]; agentId?: string }, Meta>): Promise<EmbedResult> {
					const agentId = await this.admit(ctx);
					const started = Date.now();
					const input = Array.isArray(ctx.params.input) ? ctx.params.input : [ctx.params.input];
					const first = router.resolve(ctx.params.model, "embed");
					const { value } = await withRetries(
						() => ctx.call<ProviderEmbedResult, object>(`${providerServiceName(first.provider.name)}.embed`, { request: { model: first.model, input } }),
						retry,
						() => llmMetrics?.retried(first.provider.name)
					);
					const { usd } = costOf(mal.prices, first.model, { promptTokens: value.usage.promptTokens, completionTokens: 0 });
					const requestId = ctx.requestID ?? crypto.randomUUID();
					await this.meter({ agentId, provider: first.provider.name, model: value.model, kind: "embed", promptTokens: value.usage.promptTokens, completionTokens: 0, costUsd: usd, latencyMs: Date.now() - started, requestId });
					return { vectors: value.vectors, dimensions: value.vectors[0]?.length ?? 0, provider: first.provider.name, model: first.model, usage: value.usage, costUsd: usd, requestId };
				}
			},

			models: {
				rest: "GET /models",
				description: "The models this node can route to, the default model and the state of each provider.",
				scope: "llm",
				handler() {
					return {
						defaultModel: mal.defaultModel,
						embeddingModel: mal.embeddingModel,
						/** Where embeddings that name no model go: memories' vectors are labelled with this model. */
						embedding: { provider: embedRoute.provider.name, model: embedRoute.model },
						aliases: mal.aliases,
						failover: mal.failover,
						providers: mal.providers.map(p => ({
							name: p.name,
							type: p.type,
							models: p.models,
							embeddingModel: p.embeddingModel ?? null,
							baseUrl: p.baseUrl ?? null,
							circuit: providerCircuit(this.broker, p.name)
						}))
					};
				}
			},

			usage: {
				rest: "GET /usage",
				description: "Calls, tokens and dollars spent on models in a time window, by day, model, agent or provider; with bucket, as a series per minute, hour or day.",
				scope: "llm",
				params: {
					agentId: { type: "string", optional: true },
					since: { type: "date", convert: true, optional: true },
					until: { type: "date", convert: true, optional: true },
					groupBy: { type: "enum", values: ["day", "model", "agent", "provider"], optional: true },
					bucket: { type: "enum", values: [...USAGE_BUCKETS], optional: true }
				},
				async handler(
					ctx: Context<{ agentId?: string; since?: Date; until?: Date; groupBy?: UsageGroup; bucket?: UsageBucket }>
				): Promise<{ groupBy: UsageGroup; bucket: UsageBucket | null; rows: UsageRow[]; total: Omit<UsageRow, "key" | "at"> }> {
					const groupBy = ctx.params.groupBy ?? "day";
					const rows = await usage.totals({ ...ctx.params, groupBy });
					const total = rows.reduce(
						(t, r) => ({ calls: t.calls + r.calls, promptTokens: t.promptTokens + r.promptTokens, completionTokens: t.completionTokens + r.completionTokens, totalTokens: t.totalTokens + r.totalTokens, costUsd: t.costUsd + r.costUsd }),
						{ calls: 0, promptTokens: 0, completionTokens: 0, totalTokens: 0, costUsd: 0 }
					);
					return { groupBy, bucket: ctx.params.bucket ?? null, rows, total };
				}
			},

			getBudget: {
				rest: "GET /budgets/:agentId",
				description: "An agent's daily and monthly model budget and how much of it is spent.",
				scope: "llm",
				params: { agentId: "string" },
				async handler(ctx: Context<{ agentId: string }>) {
					const budget = await usage.budget(ctx.params.agentId);
					return { agentId: ctx.params.agentId, budget, spent: { day: await usage.spent(ctx.params.agentId, "day"), month: await usage.spent(ctx.params.agentId, "month") } };
				}
			},

			setBudget: {
				rest: "PUT /budgets/:agentId",
				description: "Sets an agent's daily and monthly limits on model tokens and dollars.",
				audit: true,
				params: {
					agentId: "string",
					daily: { type: "object", optional: true, props: { tokens: { type: "number", integer: true, min: 0, max: BIGINT_MAX, optional: true, nullable: true }, usd: { type: "number", min: 0, max: USD_MAX, optional: true, nullable: true } } },
					monthly: { type: "object", optional: true, props: { tokens: { type: "number", integer: true, min: 0, max: BIGINT_MAX, optional: true, nullable: true }, usd: { type: "number", min: 0, max: USD_MAX, optional: true, nullable: true } } }
				},
				async handler(ctx: Context<{ agentId: string; daily?: Partial<Budget["daily"]>; monthly?: Partial<Budget["monthly"]> }>) {
					const budget: Budget = {
						daily: { tokens: ctx.params.daily?.tokens ?? null, usd: ctx.params.daily?.usd ?? null },
						monthly: { tokens: ctx.params.monthly?.tokens ?? null, usd: ctx.params.monthly?.usd ?? null }
					};
					await usage.setBudget(ctx.params.agentId, budget);
					return { agentId: ctx.params.agentId, budget };
				}
			}
		},

		methods: {
			/** Who pays, and whether they may: checks the prompt size and the agent's budgets. */
			async admit(ctx: Context<ChatParams | { agentId?: string }, Meta>): Promise<string | null> {
				if ("messages" in ctx.params) checkPromptSize(ctx.params.messages, mal.maxPromptChars);
				const agentId = ctx.meta.caller?.kind === "agent" ? ctx.meta.caller.id : (ctx.params.agentId ?? null);
				if (!agentId) return null;
				const budget = await usage.budget(agentId);
				if (!budget) return agentId;
				for (const period of ["day", "month"] as const) {
					const limit = period === "day" ? budget.daily : budget.monthly;
					if (limit.tokens === null && limit.usd === null) continue;
					const spent = await usage.spent(agentId, period);
					// Jobs hold their budgets against the monthly USD budget: what is held is not the model's to spend.
					const heldUsd = period === "month" && limit.usd !== null && held ? await held.heldUsd(agentId) : 0;
					if ((limit.tokens !== null && spent.tokens >= limit.tokens) || (limit.usd !== null && spent.usd + heldUsd >= limit.usd)) {
						const err = new BudgetExceededError(agentId, period, { tokens: limit.tokens ?? undefined, usd: limit.usd ?? undefined }, spent, heldUsd);
						this.logger.warn(err.message);
						ctx.broadcast("llm.budgetExceeded", { agentId, period, limit, spent, heldUsd }).catch(() => undefined);
						throw err;
					}
				}
				return agentId;
			},

			/** Tries each route of the chain, with retries, until one answers. */
			async failover<T>(ctx: Context<ChatParams>, call: (route: Route) => Promise<T>): Promise<{ route: Route; value: T; retries: number; failovers: FailoverAttempt[] }> {
				const failovers: FailoverAttempt[] = [];
				let retries = 0;
				for (const route of this.allowedChain(ctx)) {
					try {
						const done = await withRetries(() => call(route), retry, () => llmMetrics?.retried(route.provider.name));
						return { route, value: done.value, retries: retries + done.retries, failovers };
					} catch (raw) {
						const err = raw as FailedCall & { retries?: number };
						retries += err.retries ?? 0;
						// A request the provider refused as such goes back to the caller: another provider would refuse it too.
						if (!err.retryable && !isUnreachable(err)) throw raw;
						const asked = err.data?.retryAfterSeconds;
						failovers.push({ provider: route.provider.name, error: err.message ?? String(raw), ...(typeof asked === "number" ? { retryAfterSeconds: asked } : {}) });
						llmMetrics?.failedOver(route.provider.name);
					}
				}
				throw new AllProvidersFailedError(failovers);
			},

			/** The routes to try; an agent whose grant names models may use those alone (failover included). */
			allowedChain(ctx: Context<ChatParams, Meta & { grant?: GrantConstraints }>): Route[] {
				const first = router.resolve(ctx.params.model);
				const allowed = ctx.meta.grant?.models;
				if (!allowed?.length) return router.chain(first);
				const ok = (r: Route) => allowed.includes(r.model) || allowed.includes(`${r.provider.name}/${r.model}`);
				if (!ok(first)) {
					throw new ModelNotGrantedError(ctx.meta.caller?.id, first.model, allowed);
				}
				return router.chain(first).filter(ok);
			},

			async finish(agentId: string | null, kind: "chat" | "stream", route: Route, value: ProviderChatResult, info: { requestId: string; retries: number; failovers: { provider: string; error: string }[]; started: number }): Promise<ChatResult> {
				const { usd, priced } = costOf(mal.prices, value.model, value.usage);
				const latencyMs = Date.now() - info.started;
				await this.meter({ agentId, provider: route.provider.name, model: value.model, kind, promptTokens: value.usage.promptTokens, completionTokens: value.usage.completionTokens, costUsd: usd, latencyMs, requestId: info.requestId });
				return {
					message: { role: "assistant", content: value.content, toolCalls: value.toolCalls },
					finishReason: value.finishReason,
					usage: value.usage,
					costUsd: usd,
					priced,
					provider: route.provider.name,
					model: value.model,
					requestId: info.requestId,
					retries: info.retries,
					failovers: info.failovers,
					latencyMs
				};
			},

			async meter(record: Parameters<UsageStore["record"]>[0]): Promise<void> {
				llmMetrics?.answered(record);
				// Metering must not lose the answer the caller paid for: a failed write is kept and retried, not thrown.
				await usage.record(record).catch((err: Error) => this.logger.error(`Could not record LLM usage (${record.provider}/${record.model}): ${err.message}`));
			}
		},

		async stopped() {
			await usage.flush().catch((err: Error) => this.logger.error(`LLM usage not written at stop: ${err.message}`));
		},

		started() {
			logError = err => this.logger.warn(`LLM usage waits to be written: ${err.message}`);
			if (metrics) llmMetrics = new LlmMetrics(metrics.registry, this.broker, mal.providers.map(p => p.name));
		}
	});
}

function request(params: ChatParams): ChatRequest {
	const { agentId: _agentId, ...rest } = params;
	return rest;
}
