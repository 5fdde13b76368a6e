import { costOf, DEFAULT_PRICES } from "../../lib/mal/pricing";

describe("model prices", () => {
	const usage = { promptTokens: 1_000_000, completionTokens: 1_000_000 };

	it("prices a known model, also under its dated name", () => {
		expect(costOf(DEFAULT_PRICES, "claude-haiku-4-5", usage)).toEqual({ usd: 6, priced: true });
		expect(costOf(DEFAULT_PRICES, "claude-haiku-4-5-2025-10-01", usage)).toEqual({ usd: 6, priced: true });
	});

	it.each(["constructor", "toString", "__proto__", "hasOwnProperty"])("has no price for a model named %s (an inherited name is no model)", model => {
		expect(costOf(DEFAULT_PRICES, model, usage)).toEqual({ usd: 0, priced: false });
	});
});
