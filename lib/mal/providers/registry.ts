import { ConfigError } from "../../kernel/errors";
import { AnthropicProvider } from "./anthropic";
import type { LlmProvider, ProviderConfig, ProviderType } from "./base";
import { OfflineProvider } from "./offline";
import { OpenAIProvider } from "./openai";

type Factory = (config: ProviderConfig) => LlmProvider;

const factories = new Map<string, Factory>([
	["openai", c => new OpenAIProvider(c)],
	["anthropic", c => new AnthropicProvider(c)],
	["offline", c => new OfflineProvider(c)]
]);

/** Adds a provider type (a vendor SDK, a local runtime); LLM_PROVIDERS entries may then use it. */
export function registerProviderType(type: ProviderType | string, factory: Factory): void {
	factories.set(type, factory);
}

export function createProvider(config: ProviderConfig): LlmProvider {
	const factory = factories.get(config.type);
	if (!factory) throw new ConfigError(`Invalid configuration: LLM_PROVIDERS names the provider type "${config.type}", which is not registered (known: ${[...factories.keys()].join(", ")})`, "LLM_PROVIDERS");
	return factory(config);
}
