import Validator from "fastest-validator";
import type { Config } from "../kernel/config";
import { ConfigError } from "../kernel/errors";
import type { ProviderConfig } from "./providers/base";
import { OFFLINE_CHAT_MODEL, OFFLINE_EMBEDDING_MODEL } from "./providers/offline";
import { DEFAULT_PRICES, type Price } from "./pricing";

export interface MalConfig {
	providers: ProviderConfig[];
	defaultModel: string;
	embeddingModel: string;
	aliases: Record<string, string>;
	/** Providers to fail over to, in order, after the one a model routes to. */
	failover: string[];
	prices: Record<string, Price>;
	maxRetries: number;
	retryBaseMs: number;
	retryMaxMs: number;
	halfOpenMs: number;
	maxPromptChars: number;
}

const validator = new Validator();
const checkProviders = validator.compile({
	$$root: true,
	type: "array",
	items: {
		type: "object",
		strict: true,
		props: {
			name: { type: "string", pattern: /^[a-z][a-z0-9-]{0,31}$/ },
			type: { type: "enum", values: ["openai", "anthropic", "offline"] },
			baseUrl: { type: "url", optional: true },
			apiKey: { type: "string", optional: true },
			models: { type: "array", items: "string", min: 1 },
			embeddingModel: { type: "string", optional: true },
			concurrency: { type: "number", integer: true, positive: true, optional: true },
			timeoutMs: { type: "number", integer: true, positive: true, optional: true }
		}
	}
});

function json<T>(key: string, raw: string | undefined, fallback: T): T {
	if (!raw) return fallback;
	try {
		return JSON.parse(raw) as T;
	} catch (err) {
		throw new ConfigError(`Invalid configuration: ${key} must be JSON (${(err as Error).message})`, key);
	}
}

const list = (raw: string | undefined) => (raw ?? "").split(",").map(s => s.trim()).filter(Boolean);

/** OpenAI's own embedding model, used by default only against OpenAI's own API. */
export const OPENAI_EMBEDDING_MODEL = "text-embedding-3-small";

/**
 * The embedding model of the provider `openai`. Against OpenAI's API it is
 * text-embedding-3-small; against another server (Ollama, vLLM, LM Studio) only the model
 * LLM_EMBEDDING_MODEL names, because such a server rarely has that one, and a vector of an
 * unknown model is worth less than the offline embedder's.
 */
function openaiEmbeddingModel(config: Config, others: ProviderConfig[]): string | undefined {
	const custom = config.OPENAI_BASE_URL !== undefined && new URL(config.OPENAI_BASE_URL).hostname !== "api.openai.com";
	if (!custom) return OPENAI_EMBEDDING_MODEL;
	const named = config.LLM_EMBEDDING_MODEL?.trim();
	if (!named || named === OFFLINE_EMBEDDING_MODEL) return undefined;
	const slash = named.indexOf("/");
	// A model another provider declares is that provider's; "openai/model" is this one's.
	if (slash <= 0) return others.some(p => p.models.includes(named) || p.embeddingModel === named) ? undefined : named;
	return named.slice(0, slash) === "openai" ? named.slice(slash + 1) : undefined;
}

/**
 * The providers and routing rules, from the environment. The offline provider is always
 * there (so the node answers with no keys at all); OPENAI_* and ANTHROPIC_* add one each,
 * LLM_PROVIDERS any number more (a second OpenAI-compatible server, say).
 */
export function loadMalConfig(config: Config): MalConfig {
	const common = { concurrency: config.LLM_CONCURRENCY, timeoutMs: config.LLM_TIMEOUT_MS };
	const extra = json<unknown>("LLM_PROVIDERS", config.LLM_PROVIDERS, []);
	const valid = checkProviders(extra);
	if (valid !== true) {
		const first = Array.isArray(valid) ? valid[0] : undefined;
		throw new ConfigError(`Invalid configuration: LLM_PROVIDERS ${first?.field ?? ""} ${first?.message ?? "is not valid"}`.replace(/\s+/g, " "), "LLM_PROVIDERS");
	}
	const others = (extra as ProviderConfig[]).map(p => ({ ...common, ...p }));
	const providers: ProviderConfig[] = [];
	if (config.OPENAI_API_KEY || config.OPENAI_BASE_URL) {
		providers.push({
			name: "openai",
			type: "openai",
			apiKey: config.OPENAI_API_KEY,
			baseUrl: config.OPENAI_BASE_URL,
			models: list(config.OPENAI_MODELS),
			embeddingModel: openaiEmbeddingModel(config, others),
			...common
		});
	}
	if (config.ANTHROPIC_API_KEY) {
		providers.push({ name: "anthropic", type: "anthropic", apiKey: config.ANTHROPIC_API_KEY, baseUrl: config.ANTHROPIC_BASE_URL, models: list(config.ANTHROPIC_MODELS), ...common });
	}
	providers.push(...others);
	providers.push({ name: "offline", type: "offline", models: [OFFLINE_CHAT_MODEL], embeddingModel: OFFLINE_EMBEDDING_MODEL, ...common });

	const names = providers.map(p => p.name);
	const duplicate = names.find((n, i) => names.indexOf(n) !== i);
	if (duplicate) throw new ConfigError(`Invalid configuration: LLM_PROVIDERS names the provider "${duplicate}" twice`, "LLM_PROVIDERS");

	const defaultModel = config.LLM_DEFAULT_MODEL ?? providers[0].models[0];
	const aliases = { fast: defaultModel, smart: defaultModel, ...json<Record<string, string>>("LLM_MODEL_ALIASES", config.LLM_MODEL_ALIASES, {}) };
	const failover = config.LLM_FAILOVER ? list(config.LLM_FAILOVER) : names.filter(n => n !== "offline");
	const unknown = failover.find(n => !names.includes(n));
	if (unknown) throw new ConfigError(`Invalid configuration: LLM_FAILOVER names "${unknown}", which is not a provider (${names.join(", ")})`, "LLM_FAILOVER");

	return {
		providers,
		defaultModel,
		embeddingModel: config.LLM_EMBEDDING_MODEL ?? providers.find(p => p.embeddingModel)!.embeddingModel!,
		aliases,
		failover,
		prices: { ...DEFAULT_PRICES, ...json<Record<string, Price>>("LLM_PRICING", config.LLM_PRICING, {}) },
		maxRetries: config.LLM_MAX_RETRIES,
		retryBaseMs: config.LLM_RETRY_BASE_MS,
		retryMaxMs: config.LLM_RETRY_MAX_MS,
		halfOpenMs: config.LLM_BREAKER_HALF_OPEN_MS,
		maxPromptChars: config.LLM_MAX_PROMPT_CHARS
	};
}
