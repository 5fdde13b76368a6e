/**
 * The local memory index under a memory bound (MEMORY_INDEX_CACHE_MB), with many agents'
 * memories searched in turn — as on a node where every agent recalls before it answers:
 *
 * - bytes the index counts, and the JS heap and buffers it grew by (after a GC; RSS is
 *   dominated by the embedded database here), after one search of every agent: unbounded
 *   (the baseline: every agent's vectors stay) vs bounded.
 * - search latency of the index for a warm partition (held) vs a cold one (dropped for
 *   room, so read again from the database): what the bound costs a search that misses;
 *   and the cold search beside the database read alone.
 * Knobs: BENCH_MEMCACHE_AGENTS (default 30), BENCH_MEMCACHE_PER_AGENT (default 500),
 * BENCH_MEMCACHE_MB (default 8), BENCH_MEMCACHE_QUERIES (default 50).
 */
import { hashEmbed } from "../lib/mal/providers/hash-embedder";
import { OFFLINE_EMBEDDING_MODEL } from "../lib/mal/providers/offline";
import { LocalMemoryIndex } from "../lib/memory/local-memory-index";
import { MemoryStore } from "../lib/memory/memory-store";
import { startTestNode, type TestNode } from "../test/support/test-node";
import { collectGarbage } from "./lib/procs";
import { quantileSorted } from "./lib/stats";
import { log, row, type Row } from "./lib/table";
import { prng, sentences } from "./lib/words";

export const title = "Memory index under a bound (embedded, 384-dim)";

const AGENTS = Number(process.env.BENCH_MEMCACHE_AGENTS ?? 30);
const PER_AGENT = Number(process.env.BENCH_MEMCACHE_PER_AGENT ?? 500);
const BOUND_MB = Number(process.env.BENCH_MEMCACHE_MB ?? 8);
const QUERIES = Number(process.env.BENCH_MEMCACHE_QUERIES ?? 50);
const K = 10;

const sentence = sentences(prng(7));
const agentIds = Array.from({ length: AGENTS }, (_, i) => `agent-${i}`);
const query = () => hashEmbed(sentence(4), 384);
const search = (index: LocalMemoryIndex, agentId: string) => index.search(query(), { agentId, sharedFrom: [] }, { k: K, model: OFFLINE_EMBEDDING_MODEL });

/** The JS heap and the buffers (typed arrays) held, after a full GC, in MB. */
function heldMb(): number {
	collectGarbage();
	const { heapUsed, arrayBuffers } = process.memoryUsage();
	return (heapUsed + arrayBuffers) / 1024 / 1024;
}

async function fill(t: TestNode): Promise<void> {
	for (const agentId of agentIds) {
		const memories = Array.from({ length: PER_AGENT }, () => ({ content: sentence(12), type: "semantic" }));
		await t.node.broker.call("memory.store", { agentId, memories });
	}
}

/** One search of every agent: the bytes the index counts and the memory the process grew by. */
async function sweep(store: MemoryStore, maxBytes?: number): Promise<{ bytes: number; grew: number; index: LocalMemoryIndex }> {
	const before = heldMb();
	const index = new LocalMemoryIndex(store, maxBytes);
	for (const agentId of agentIds) await search(index, agentId);
	return { bytes: index.cache.bytes, grew: heldMb() - before, index };
}

/** Reading one agent's vectors from the database, without the index. */
async function readAlone(store: MemoryStore, agentId: string): Promise<void> {
	for await (const batch of store.partition({ scope: "private", agentId })) if (batch.length === 0) break;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
	const started = performance.now();
	await fn();
	return performance.now() - started;
}

export default async function memoryCacheBench(): Promise<Row[]> {
	const t = await startTestNode({ LOG_LEVEL: "warn" });
	try {
		await t.node.ready;
		log(`storing ${AGENTS} agents × ${PER_AGENT} memories`);
		await fill(t);
		const store = new MemoryStore(t.node.kernel.db);
		const maxBytes = BOUND_MB * 1024 * 1024;

		const bounded = await sweep(store, maxBytes);
		const boundedEvictions = bounded.index.cache.evictions;
		// Warm: the agent searched last is held. Cold: the agent searched longest ago was dropped.
		const warm: number[] = [];
		const cold: number[] = [];
		const reads: number[] = [];
		for (let i = 0; i < QUERIES; i++) {
			warm.push(await timed(() => search(bounded.index, agentIds[agentIds.length - 1])));
			const evictions = bounded.index.cache.evictions;
			cold.push(await timed(() => search(bounded.index, agentIds[i % (AGENTS - 1)])));
			if (bounded.index.cache.evictions === evictions) log("  a cold search found its partition held (does the bound fit every agent?)");
			reads.push(await timed(() => readAlone(store, agentIds[(i + 1) % AGENTS])));
		}
		reads.sort((a, b) => a - b);
		warm.sort((a, b) => a - b);
		cold.sort((a, b) => a - b);
		bounded.index.invalidate(agentIds, true);

		const unbounded = await sweep(store);
		const mb = (bytes: number) => bytes / 1024 / 1024;
		const total = `${AGENTS} agents × ${PER_AGENT.toLocaleString("en-US")}`;
		return [
			row({ metric: `${total}: index held after one search each`, baseline: mb(unbounded.bytes), ours: mb(bounded.bytes), unit: "MB", target: `≤ ${BOUND_MB} MB`, met: bounded.bytes <= maxBytes, note: `baseline: no bound; ${boundedEvictions} partitions dropped` }),
			row({ metric: `${total}: JS heap + buffers growth`, baseline: unbounded.grew, ours: bounded.grew, unit: "MB", note: "after a GC; baseline: no bound" }),
			row({ metric: "index search p50: cold (read again) vs warm", baseline: quantileSorted(warm, 0.5), ours: quantileSorted(cold, 0.5), unit: "ms", note: `baseline: warm; ${PER_AGENT} memories read` }),
			row({ metric: "index search p99: cold vs warm", baseline: quantileSorted(warm, 0.99), ours: quantileSorted(cold, 0.99), unit: "ms" }),
			row({ metric: "cold search p50 vs the database read alone", baseline: quantileSorted(reads, 0.5), ours: quantileSorted(cold, 0.5), unit: "ms", note: "baseline: one agent's rows read and decoded" })
		];
	} finally {
		await t.stop();
	}
}
