import type { Memory } from "./memory-types";

/**
 * How a search hit's score is made, each part in [0, 1]:
 * - vector: cosine similarity of the query's embedding and the memory's (negative → 0);
 * - text: the full-text rank, relative to the best full-text hit of this search;
 * - recency: 1 for a memory made now, halving every `halfLifeDays`;
 * - importance: as stored (0.5 unless given).
 * Meaning and words carry the ranking; recency and importance break near-ties.
 */
export const RANK_WEIGHTS = { vector: 0.55, text: 0.25, recency: 0.1, importance: 0.1 } as const;

export interface Candidate {
	memory: Memory;
	similarity?: number;
	textRank?: number;
	words?: string[];
}

export interface Why {
	vector: number;
	text: number;
	recency: number;
	importance: number;
	/** The query's words (stemmed) found in the memory's text. */
	words: string[];
}

export interface RankedHit {
	memory: Memory;
	score: number;
	why: Why;
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

export function rankHits(candidates: Candidate[], options: { now: Date; halfLifeDays: number; k: number }): RankedHit[] {
	const bestText = Math.max(0, ...candidates.map(c => c.textRank ?? 0));
	const hits = candidates.map(c => {
		const ageDays = Math.max(0, options.now.getTime() - Date.parse(c.memory.createdAt)) / 86_400_000;
		const why: Why = {
			vector: round(Math.max(0, c.similarity ?? 0)),
			text: round(bestText > 0 ? (c.textRank ?? 0) / bestText : 0),
			recency: round(options.halfLifeDays > 0 ? Math.pow(0.5, ageDays / options.halfLifeDays) : 1),
			importance: round(c.memory.importance),
			words: c.words ?? []
		};
		const score = RANK_WEIGHTS.vector * why.vector + RANK_WEIGHTS.text * why.text + RANK_WEIGHTS.recency * why.recency + RANK_WEIGHTS.importance * why.importance;
		return { memory: c.memory, score: round(score), why };
	});
	hits.sort((a, b) => b.score - a.score || b.memory.createdAt.localeCompare(a.memory.createdAt));
	return hits.slice(0, options.k);
}
