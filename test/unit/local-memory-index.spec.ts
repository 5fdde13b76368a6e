import { ExactPartition } from "../../lib/memory/exact-partition";
import { LocalMemoryIndex } from "../../lib/memory/local-memory-index";
import type { MemoryStore, PartitionKey } from "../../lib/memory/memory-store";
import type { IndexEntry } from "../../lib/memory/memory-types";
import { normalized } from "../../lib/memory/vector-codec";

const DIMS = 32;

/** A vector pointing mostly along axis `i`. */
function axis(i: number): Float32Array {
	const v = new Float32Array(DIMS).fill(0.01);
	v[i % DIMS] = 1;
	return v;
}

/** The database's side: each agent's private memories, and a count of every partition read. */
class FakeStore implements Pick<MemoryStore, "partition"> {
	readonly reads: string[] = [];
	constructor(readonly rows: IndexEntry[]) {}

	async *partition(key: PartitionKey): AsyncGenerator<IndexEntry[]> {
		if (key.scope !== "private") return;
		this.reads.push(key.agentId!);
		yield this.rows.filter(r => r.scope === "private" && r.agentId === key.agentId);
	}
}

function memoriesOf(agentId: string, n: number): IndexEntry[] {
	return Array.from({ length: n }, (_, i) => ({ id: `${agentId}-${i}`, agentId, scope: "private", type: "semantic", vector: axis(i), model: "test-model" }));
}

/** The bytes one agent's partition of `n` memories holds, as the index counts them. */
function partitionBytes(n: number): number {
	const exact = new ExactPartition(DIMS);
	memoriesOf("x", n).forEach(e => exact.upsert(e.id, normalized(e.vector), 2));
	return exact.bytes;
}

const search = (index: LocalMemoryIndex, agentId: string, i = 3) => index.search(axis(i), { agentId, sharedFrom: [] }, { k: 1, model: "test-model" });

describe("LocalMemoryIndex under a memory bound", () => {
	const agents = ["a", "b", "c"];
	const rows = agents.flatMap(a => memoriesOf(a, 40));
	const one = partitionBytes(40);

	// Each agent's private, each agent's shared (empty here) and the public partition (empty) are held apart.
	it("counts the bytes of what it holds, and holds everything when the bound allows", async () => {
		const store = new FakeStore(rows);
		const index = new LocalMemoryIndex(store, 10 * one);
		for (const a of agents) await search(index, a);
		expect(index.cache).toEqual({ bytes: 3 * one, maxBytes: 10 * one, partitions: 7, evictions: 0 });
		expect(index.loaded).toBe(120);
		for (const a of agents) await search(index, a);
		expect(store.reads).toEqual(["a", "b", "c"]);
	});

	it("drops the least recently searched agent first, and reads it again when it is searched", async () => {
		const store = new FakeStore(rows);
		const index = new LocalMemoryIndex(store, 2 * one + 100);
		await search(index, "a");
		await search(index, "b");
		await search(index, "a"); // a is now more recent than b
		expect(index.cache.bytes).toBe(2 * one);
		await search(index, "c"); // room for two: b goes, not a
		expect(index.cache.bytes).toBe(2 * one);
		expect(index.cache.evictions).toBeGreaterThan(0);
		expect(index.loaded).toBe(80);
		await search(index, "a");
		expect(store.reads).toEqual(["a", "b", "c"]);
		// b was dropped: searching it reads it again, finds the same memory, and drops c (a was searched after c).
		expect(await search(index, "b", 7)).toEqual([{ id: "b-7", similarity: expect.closeTo(1, 2) }]);
		expect(store.reads).toEqual(["a", "b", "c", "b"]);
		await search(index, "a");
		await search(index, "c");
		expect(store.reads).toEqual(["a", "b", "c", "b", "c"]);
	});

	it("keeps within the bound as writes grow a held partition", async () => {
		const store = new FakeStore(rows);
		const index = new LocalMemoryIndex(store, 2 * one + 100);
		await search(index, "a");
		await search(index, "b");
		const more = memoriesOf("b", 60).slice(40);
		store.rows.push(...more);
		await index.add(more);
		// b grew past what fits beside a: a, searched longest ago, is dropped; b is still held.
		expect(index.cache.bytes).toBeLessThanOrEqual(2 * one + 100);
		expect(index.loaded).toBe(60);
		expect(await search(index, "b", 7)).toEqual([{ id: "b-7", similarity: expect.closeTo(1, 2) }]);
		expect(store.reads).toEqual(["a", "b"]);
	});
});
