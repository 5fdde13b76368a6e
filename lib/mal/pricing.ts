import type { Usage } from "./types";

/** USD per million tokens. */
export interface Price {
	input: number;
	output: number;
}

/**
 * List prices of common models (USD per million tokens), overridable with LLM_PRICING.
 * A model missing here costs 0 and is reported as unpriced; local models cost nothing.
 */
export const DEFAULT_PRICES: Record<string, Price> = {
	"gpt-4o-mini": { input: 0.15, output: 0.6 },
	"gpt-4o": { input: 2.5, output: 10 },
	"gpt-4.1-mini": { input: 0.4, output: 1.6 },
	"gpt-4.1": { input: 2, output: 8 },
	"text-embedding-3-small": { input: 0.02, output: 0 },
	"text-embedding-3-large": { input: 0.13, output: 0 },
	"claude-3-5-haiku-latest": { input: 0.8, output: 4 },
	"claude-haiku-4-5": { input: 1, output: 5 },
	"claude-sonnet-4-5": { input: 3, output: 15 },
	"claude-sonnet-4-6": { input: 3, output: 15 },
	"claude-opus-4-5": { input: 5, output: 25 },
	"offline-extractive": { input: 0, output: 0 },
	"offline-hash-384": { input: 0, output: 0 }
};

export function costOf(prices: Record<string, Price>, model: string, usage: Pick<Usage, "promptTokens" | "completionTokens">): { usd: number; priced: boolean } {
	const priceOf = (name: string) => (Object.hasOwn(prices, name) ? prices[name] : undefined);
	const price = priceOf(model) ?? priceOf(model.replace(/-\d{4}-\d{2}-\d{2}$/, ""));
	if (!price) return { usd: 0, priced: false };
	return { usd: (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000, priced: true };
}
