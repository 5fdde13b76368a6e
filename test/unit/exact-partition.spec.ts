import { ExactPartition } from "../../lib/memory/exact-partition";
import { hashEmbed } from "../../lib/mal/providers/hash-embedder";
import { normalized } from "../../lib/memory/vector-codec";

function prng(seed: number): () => number {
	let s = seed >>> 0;
	return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function exactTop(vectors: Float32Array[], query: Float32Array, k: number, accept: (i: number) => boolean = () => true): { ids: string[]; kth: number; score: Map<string, number> } {
	const score = new Map<string, number>();
	const ranked = vectors
		.map((v, i) => {
			let dot = 0;
			for (let j = 0; j < v.length; j++) dot += v[j] * query[j];
			score.set(`m${i}`, dot);
			return { id: `m${i}`, dot, i };
		})
		.filter(r => accept(r.i))
		.sort((a, b) => b.dot - a.dot);
	return { ids: ranked.slice(0, k).map(r => r.id), kth: ranked[Math.min(k, ranked.length) - 1].dot, score };
}

describe("ExactPartition", () => {
	const random = prng(7);
	const dense = Array.from({ length: 4000 }, () => normalized(Array.from({ length: 64 }, () => random() - 0.5)));

	it("finds what an exact float32 search finds (int8 short list, float32 re-rank)", () => {
		const index = new ExactPartition(64);
		dense.forEach((v, i) => index.upsert(`m${i}`, v, 1));
		let right = 0;
		for (let q = 0; q < 30; q++) {
			const query = normalized(dense[q].map(x => x + (random() - 0.5) * 0.2));
			const truth = exactTop(dense, query, 10);
			const found = index.search(query, 10);
			expect(found).toHaveLength(10);
			right += found.filter(h => truth.score.get(h.id)! >= truth.kth - 1e-6).length;
			expect(found[0].similarity).toBeCloseTo(truth.score.get(truth.ids[0])!, 5);
		}
		expect(right / 300).toBeGreaterThanOrEqual(0.98);
	});

	it("ranks sparse, uneven embeddings (hashed words) as well", () => {
		const words = Array.from({ length: 500 }, (_, i) => `w${i}`);
		const texts = Array.from({ length: 3000 }, () => Array.from({ length: 3 + Math.floor(random() * 15) }, () => words[Math.floor(random() * words.length)]).join(" "));
		const vectors = texts.map(t => normalized(hashEmbed(t, 384)));
		const index = new ExactPartition(384);
		vectors.forEach((v, i) => index.upsert(`m${i}`, v, 1));
		let right = 0;
		for (let q = 0; q < 30; q++) {
			const query = normalized(hashEmbed(`${words[q]} ${words[q + 7]} ${words[q + 50]}`, 384));
			const truth = exactTop(vectors, query, 10);
			right += index.search(query, 10).filter(h => truth.score.get(h.id)! >= truth.kth - 1e-6).length;
		}
		expect(right / 300).toBeGreaterThanOrEqual(0.98);
	});

	it("filters by tag, replaces by id and removes without disturbing the others", () => {
		const index = new ExactPartition(64);
		dense.slice(0, 2000).forEach((v, i) => index.upsert(`m${i}`, v, i % 10 === 0 ? 2 : 1));
		const tagged = index.search(dense[10], 5, 2);
		expect(tagged[0]).toEqual({ id: "m10", similarity: expect.closeTo(1, 5) });
		expect(tagged.every(h => Number(h.id.slice(1)) % 10 === 0)).toBe(true);
		expect(index.search(dense[10], 5, 3)).toEqual([]);

		expect(index.remove("m10")).toBe(true);
		expect(index.remove("m10")).toBe(false);
		expect(index.size).toBe(1999);
		expect(index.search(dense[10], 1, 2)[0].id).not.toBe("m10");
		// The vector moved into the freed slot is still found as itself.
		expect(index.search(dense[1999], 1)[0]).toEqual({ id: "m1999", similarity: expect.closeTo(1, 5) });

		index.upsert("m5", dense[6], 1);
		expect(index.size).toBe(1999);
		expect(index.search(dense[6], 2).map(h => h.id).sort()).toEqual(["m5", "m6"]);
		expect(() => index.upsert("bad", new Float32Array(3), 1)).toThrow(/3 dimensions; this index holds 64/);
	});
});
