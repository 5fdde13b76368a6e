import type { VectorStore } from "../../lib/kernel/vector";

/**
 * The behaviour every VectorStore backend must share, run against each of them. Vectors
 * are small and hand-made so the expected order is plain to see.
 */
export function vectorStoreContract(name: string, open: () => Promise<VectorStore>, close: () => Promise<void> = async () => undefined): void {
	describe(`VectorStore contract: ${name}`, () => {
		let store: VectorStore;
		// A fresh collection per run, so a shared server (Qdrant) starts clean.
		const collection = `contract_${Date.now().toString(36)}`;

		beforeAll(async () => {
			store = await open();
			await store.ensureCollection(collection, { dimension: 3 });
			await store.upsert(collection, [
				{ id: "north", vector: [0, 1, 0], payload: { agentId: "a", kind: "fact", rank: 1 } },
				{ id: "north-east", vector: [0.7, 0.7, 0], payload: { agentId: "a", kind: "event", rank: 2 } },
				{ id: "east", vector: [1, 0, 0], payload: { agentId: "b", kind: "fact", rank: 3 } },
				{ id: "south", vector: [0, -1, 0], payload: { agentId: "b", kind: "skill", rank: 4, flag: null } }
			]);
		});
		afterAll(close);

		it("finds the nearest points by cosine similarity, best first", async () => {
			const hits = await store.search(collection, [0.1, 1, 0], { k: 3 });
			expect(hits.map(h => h.id)).toEqual(["north", "north-east", "east"]);
			expect(hits[0].score).toBeGreaterThan(0.99);
			expect(hits[0].score).toBeLessThanOrEqual(1.0000001);
			expect(hits[0].payload).toEqual({ agentId: "a", kind: "fact", rank: 1 });
		});

		it("scores opposite vectors near -1", async () => {
			const [worst] = (await store.search(collection, [0, 1, 0], { k: 4 })).slice(-1);
			expect(worst.id).toBe("south");
			expect(worst.score).toBeCloseTo(-1, 5);
		});

		it("filters by payload equality and by any-of", async () => {
			expect((await store.search(collection, [0, 1, 0], { k: 10, filter: { agentId: "b" } })).map(h => h.id)).toEqual(["east", "south"]);
			const anyOf = await store.search(collection, [0, 1, 0], { k: 10, filter: { kind: ["fact", "skill"], agentId: "b" } });
			expect(anyOf.map(h => h.id)).toEqual(["east", "south"]);
			expect(await store.search(collection, [0, 1, 0], { k: 10, filter: { agentId: "nobody" } })).toEqual([]);
			expect((await store.search(collection, [0, 1, 0], { k: 10, filter: { rank: 2 } })).map(h => h.id)).toEqual(["north-east"]);
		});

		it("counts, with and without a filter", async () => {
			expect(await store.count(collection)).toBe(4);
			expect(await store.count(collection, { kind: "fact" })).toBe(2);
		});

		it("replaces a point on upsert by the same id", async () => {
			await store.upsert(collection, [{ id: "east", vector: [0, 0, 1], payload: { agentId: "b", kind: "fact", rank: 30 } }]);
			expect(await store.count(collection)).toBe(4);
			const [hit] = await store.search(collection, [0, 0, 1], { k: 1 });
			expect(hit).toMatchObject({ id: "east", payload: { rank: 30 } });
		});

		it("deletes by id, ignoring ids it does not have", async () => {
			await store.delete(collection, ["south", "never-there"]);
			expect(await store.count(collection)).toBe(3);
			expect((await store.search(collection, [0, -1, 0], { k: 10 })).map(h => h.id)).not.toContain("south");
		});

		it("keeps any string as an id", async () => {
			const id = "memory:agent/42 ✓";
			await store.upsert(collection, [{ id, vector: [1, 1, 1] }]);
			expect((await store.search(collection, [1, 1, 1], { k: 1 }))[0].id).toBe(id);
			await store.delete(collection, [id]);
		});

		it("re-ensuring a collection is harmless; another dimension is refused", async () => {
			await store.ensureCollection(collection, { dimension: 3 });
			await expect(store.ensureCollection(collection, { dimension: 4 })).rejects.toMatchObject({
				code: 422,
				message: expect.stringContaining("exists with dimension 3, not 4")
			});
		});

		it.each([
			["a vector of the wrong length", () => store.search(collection, [1, 0], { k: 1 }), "vector must have 3 numbers, got 2"],
			["a non-finite number", () => store.upsert(collection, [{ id: "x", vector: [1, NaN, 0] }]), "must hold only finite numbers"],
			["an empty id", () => store.upsert(collection, [{ id: "", vector: [1, 0, 0] }]), "points[0].id must be a non-empty string"],
			["k out of range", () => store.search(collection, [1, 0, 0], { k: 0 }), "k must be a whole number from 1 to 1000"],
			["a missing collection", () => store.count("no_such_collection"), 'Collection "no_such_collection" does not exist'],
			["a bad collection name", () => store.count("Robert'); DROP TABLE x;--"), "must start with a letter"],
			["a filter key that is not a field name", () => store.count(collection, { "a' OR 1=1": 1 }), "must be a plain field name"]
		])("refuses %s with a clear 422", async (_what, call, message) => {
			await expect(call()).rejects.toMatchObject({ code: 422, type: "VECTOR_STORE_BAD_REQUEST", message: expect.stringContaining(message) });
		});
	});
}
