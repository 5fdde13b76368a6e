import { RANK_WEIGHTS, rankHits } from "../../lib/memory/hybrid-ranking";
import { extractiveSummary } from "../../lib/memory/conversation-summary";
import type { Memory } from "../../lib/memory/memory-types";

const now = new Date("2026-06-01T00:00:00Z");
const memory = (id: string, daysOld: number, importance = 0.5): Memory => ({
	id,
	agentId: "a",
	type: "semantic",
	scope: "private",
	content: id,
	metadata: {},
	importance,
	encrypted: false,
	embeddingModel: "offline-hash-384",
	createdAt: new Date(now.getTime() - daysOld * 86_400_000).toISOString(),
	archivedAt: null
});

describe("hybrid ranking", () => {
	it("adds the weighted parts, text relative to the best text hit, recency halving each half-life", () => {
		const [hit] = rankHits([{ memory: memory("m", 30, 0.8), similarity: 0.6, textRank: 0.2, words: ["port"] }, { memory: memory("n", 0), textRank: 0.4 }], { now, halfLifeDays: 30, k: 1 });
		expect(hit.why).toEqual({ vector: 0.6, text: 0.5, recency: 0.5, importance: 0.8, words: ["port"] });
		expect(hit.score).toBeCloseTo(RANK_WEIGHTS.vector * 0.6 + RANK_WEIGHTS.text * 0.5 + RANK_WEIGHTS.recency * 0.5 + RANK_WEIGHTS.importance * 0.8, 4);
	});

	it("lets meaning and words outweigh recency and importance, which break near-ties", () => {
		const ranked = rankHits(
			[
				{ memory: memory("old-relevant", 365, 0.1), similarity: 0.8, textRank: 1 },
				{ memory: memory("new-unrelated", 0, 1), similarity: 0.25 },
				{ memory: memory("tie-new", 1), similarity: 0.5 },
				{ memory: memory("tie-old", 200), similarity: 0.5 }
			],
			{ now, halfLifeDays: 30, k: 10 }
		);
		expect(ranked.map(h => h.memory.id)).toEqual(["old-relevant", "tie-new", "new-unrelated", "tie-old"]);
		expect(rankHits([{ memory: memory("x", 1), similarity: -0.3 }], { now, halfLifeDays: 0, k: 1 })[0].why).toMatchObject({ vector: 0, recency: 1 });
	});

	it("summarises without a model: the earlier summary, then each message's first sentence", () => {
		const text = extractiveSummary("Earlier: the user asked about deploys.", [
			{ seq: 1, role: "user", content: "Can we move the deploy to Friday? It clashes with the review.", createdAt: "" },
			{ seq: 2, role: "assistant", content: "Yes, Friday works.", createdAt: "" }
		]);
		expect(text).toBe("Earlier: the user asked about deploys.\nuser: Can we move the deploy to Friday?\nassistant: Yes, Friday works.");
	});
});
