import type { RankedHit } from "../../lib/memory/hybrid-ranking";
import type { PartitionCacheStats } from "../../lib/memory/partition-cache";
import { post } from "../support/agents";
import { startTestNode, type TestNode } from "../support/test-node";

const AGENTS = Array.from({ length: 12 }, (_, i) => `keeper-${i}`);
const PER_AGENT = 100;
const BOUND = 1024 * 1024;

/** Words no other memory shares, so each agent's memory n has one right answer. */
const word = (agent: number, n: number) => `zq${agent.toString(36)}x${n.toString(36)}v`;
const content = (agent: number, n: number) => `Note ${n} of keeper ${agent}: the ${word(agent, n)} crate sits on shelf ${n % 7}`;

interface MemoryStatus {
	index: string;
	vectorsInProcess: number;
	cache: PartitionCacheStats;
}

describe("the local memory index under MEMORY_INDEX_CACHE_MB", () => {
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode({ MEMORY_INDEX_CACHE_MB: "1" });
		await t.node.ready;
		for (const [a, agentId] of AGENTS.entries()) {
			const memories = Array.from({ length: PER_AGENT }, (_, n) => ({ content: content(a, n), type: "semantic" }));
			expect((await post(t, `/api/v1/agents/${agentId}/memories`, { memories })).status).toBe(200);
		}
	});
	afterAll(() => t.stop());

	const status = () => t.json<MemoryStatus>("/api/v1/memory");
	const search = async (agentId: string, q: string) =>
		(await t.json<{ hits: RankedHit[] }>(`/api/v1/agents/${agentId}/memories/search?q=${encodeURIComponent(q)}&k=3`)).hits.map(h => h.memory.content);

	it("searches many agents' memories within the bound, and finds the same after their vectors are read again", async () => {
		const first: string[][] = [];
		for (const [a, agentId] of AGENTS.entries()) {
			const n = (a * 13) % PER_AGENT;
			const hits = await search(agentId, `where is the ${word(a, n)} crate`);
			expect(hits[0]).toBe(content(a, n));
			first.push(hits);
			const { cache } = await status();
			expect(cache.maxBytes).toBe(BOUND);
			expect(cache.bytes).toBeLessThanOrEqual(BOUND);
			expect(cache.bytes).toBeGreaterThan(0);
		}
		const afterFirst = await status();
		// Twelve agents' vectors (about 260 KB each) do not fit in 1 MB: the oldest were dropped.
		expect(afterFirst.cache.evictions).toBeGreaterThan(0);
		expect(afterFirst.vectorsInProcess).toBeLessThan(AGENTS.length * PER_AGENT);

		// The first agents' vectors were dropped; searching them again reads them back and answers the same.
		for (const [a, agentId] of AGENTS.entries()) {
			const n = (a * 13) % PER_AGENT;
			expect(await search(agentId, `where is the ${word(a, n)} crate`)).toEqual(first[a]);
			expect((await status()).cache.bytes).toBeLessThanOrEqual(BOUND);
		}
		expect((await status()).cache.evictions).toBeGreaterThan(afterFirst.cache.evictions);
	});
});
