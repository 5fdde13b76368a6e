/**
 * Memory at 10k and 100k memories (384-dim embeddings from the offline provider) on the
 * embedded default, through the real `memory` service on a node:
 *
 * - store throughput: `memory.store` with batches of 1,000 (embedding, encryption off,
 *   INSERT with the full-text column, the local index) vs the same rows in one bare
 *   multi-row INSERT into a table without indexes — what the database alone costs.
 *   Target ≥ 1,000 memories/s.
 * - search latency: the whole hybrid `memory.search` (embed the query, vector + full-text
 *   candidates, fetch, rank), p50 and p99, vs a plain float32 scan of every vector in
 *   JavaScript (the naive exact search). Target p50 < 10 ms at 100k. The vector index's
 *   own p50 is reported beside it.
 * - recall@10 of the vector index against exact search over the same vectors. Target ≥ 0.95.
 * - RSS after the partition is loaded, beside RSS before.
 * Then the same store/search/recall at 10k with MEMORY_INDEX=vector-store (pgvector with
 * HNSW in the embedded database).
 * Knobs: BENCH_MEMORY_SIZES (default "10000,100000"), BENCH_MEMORY_QUERIES (default 200),
 * BENCH_MEMORY_PGVECTOR (default 10000; 0 skips).
 */
import { hashEmbed } from "../lib/mal/providers/hash-embedder";
import { OFFLINE_EMBEDDING_MODEL } from "../lib/mal/providers/offline";
import { LocalMemoryIndex } from "../lib/memory/local-memory-index";
import type { MemoryIndex } from "../lib/memory/memory-index";
import { MemoryStore } from "../lib/memory/memory-store";
import { normalized } from "../lib/memory/vector-codec";
import { VectorStoreMemoryIndex } from "../lib/memory/vector-store-memory-index";
import { startTestNode, type TestNode } from "../test/support/test-node";
import { quantileSorted } from "./lib/stats";
import { log, row, type Row } from "./lib/table";
import { prng, sentences } from "./lib/words";

export const title = "Memory (embedded, 384-dim)";

const SIZES = (process.env.BENCH_MEMORY_SIZES ?? "10000,100000").split(",").map(Number).filter(n => n > 0);
const QUERIES = Number(process.env.BENCH_MEMORY_QUERIES ?? 200);
const PGVECTOR_SIZE = Number(process.env.BENCH_MEMORY_PGVECTOR ?? 10000);
const BATCH = 1000;
const K = 10;

const random = prng(42);
const sentence = sentences(random);

const mb = () => process.memoryUsage().rss / 1e6;

async function fill(t: TestNode, agentId: string, n: number): Promise<number> {
	const started = performance.now();
	for (let done = 0; done < n; done += BATCH) {
		const memories = Array.from({ length: Math.min(BATCH, n - done) }, () => ({ content: sentence(10 + Math.floor(random() * 10)), type: "semantic" }));
		await t.node.broker.call("memory.store", { agentId, memories });
		if ((done / BATCH) % 20 === 19) log(`  ${done + BATCH} stored`);
	}
	return n / ((performance.now() - started) / 1000);
}

/** The same number of rows, one bare multi-row INSERT per batch, into a table with no index. */
async function bareInserts(t: TestNode, n: number): Promise<number> {
	await t.node.kernel.db.exec("CREATE TABLE IF NOT EXISTS bench_rows (id text, agent_id text, content text, embedding bytea)");
	const started = performance.now();
	for (let done = 0; done < n; done += BATCH) {
		const params: unknown[] = [];
		const values: string[] = [];
		for (let i = 0; i < Math.min(BATCH, n - done); i++) {
			const content = sentence(15);
			params.push(`r${done + i}`, "bare", content, Buffer.from(new Float32Array(hashEmbed(content, 384)).buffer));
			values.push(`($${params.length - 3}, $${params.length - 2}, $${params.length - 1}, $${params.length})`);
		}
		await t.node.kernel.db.query(`INSERT INTO bench_rows VALUES ${values.join(", ")}`, params as never[]);
	}
	const rate = n / ((performance.now() - started) / 1000);
	await t.node.kernel.db.exec("DROP TABLE bench_rows");
	return rate;
}

async function searchLatencies(t: TestNode, agentId: string, queries: string[]): Promise<number[]> {
	for (const q of queries.slice(0, 10)) await t.node.broker.call("memory.search", { agentId, q, k: K });
	const times: number[] = [];
	for (const q of queries) {
		const started = performance.now();
		await t.node.broker.call("memory.search", { agentId, q, k: K });
		times.push(performance.now() - started);
	}
	return times.sort((a, b) => a - b);
}

/** Every stored vector of the agent, for exact search. */
async function allVectors(store: MemoryStore): Promise<{ ids: string[]; vectors: Float32Array[] }> {
	const ids: string[] = [];
	const vectors: Float32Array[] = [];
	for await (const batch of store.partition({ scope: "private", agentId: "bench" })) {
		for (const e of batch) {
			ids.push(e.id);
			vectors.push(normalized(e.vector));
		}
	}
	return { ids, vectors };
}

/** Similarity of every vector to the query. */
function similarities(vectors: Float32Array[], query: Float32Array): Float32Array {
	const out = new Float32Array(vectors.length);
	for (let i = 0; i < vectors.length; i++) {
		let dot = 0;
		const v = vectors[i];
		for (let j = 0; j < v.length; j++) dot += v[j] * query[j];
		out[i] = dot;
	}
	return out;
}

/**
 * Recall@10 against exact search, ties counted fairly: a returned memory is right when its
 * exact similarity is at least the 10th best (short texts often tie, and any of the tied
 * ones is as good an answer).
 */
async function recallAndScan(t: TestNode, queries: string[], index: MemoryIndex): Promise<{ recall: number; scanP50: number; indexP50: number }> {
	const { ids, vectors } = await allVectors(new MemoryStore(t.node.kernel.db));
	const position = new Map(ids.map((id, i) => [id, i]));
	let hits = 0;
	const scans: number[] = [];
	const searches: number[] = [];
	const sample = queries.slice(0, Math.min(queries.length, 50));
	for (const q of sample) {
		const query = normalized(hashEmbed(q, 384));
		const started = performance.now();
		const scores = similarities(vectors, query);
		const kth = [...scores].sort((a, b) => b - a)[K - 1];
		scans.push(performance.now() - started);
		const searched = performance.now();
		const found = await index.search(query, { agentId: "bench", sharedFrom: [] }, { k: K, model: OFFLINE_EMBEDDING_MODEL });
		searches.push(performance.now() - searched);
		hits += found.filter(h => scores[position.get(h.id)!] >= kth - 1e-6).length;
	}
	scans.sort((a, b) => a - b);
	// The first search reads the partition from the database; the p50 is of the rest.
	const warm = searches.slice(1).sort((a, b) => a - b);
	return { recall: hits / (sample.length * K), scanP50: quantileSorted(scans, 0.5), indexP50: quantileSorted(warm, 0.5) };
}

async function run(size: number, env: Record<string, string>, label: string): Promise<Row[]> {
	const t = await startTestNode({ LOG_LEVEL: "warn", ...env });
	try {
		await t.node.ready;
		log(`${label}: storing ${size} memories`);
		const rssBefore = mb();
		const bare = await bareInserts(t, Math.min(size, 20_000));
		const rate = await fill(t, "bench", size);
		const queries = Array.from({ length: QUERIES }, () => sentence(4));
		const latencies = await searchLatencies(t, "bench", queries);
		const rssAfter = mb();
		const index: MemoryIndex = env.MEMORY_INDEX === "vector-store" ? new VectorStoreMemoryIndex(t.node.kernel.vectors) : new LocalMemoryIndex(new MemoryStore(t.node.kernel.db));
		const { recall, scanP50, indexP50 } = await recallAndScan(t, queries, index);
		const p50 = quantileSorted(latencies, 0.5);
		const p99 = quantileSorted(latencies, 0.99);
		const tag = `${label} ${size.toLocaleString("en-US")}`;
		return [
			row({ metric: `${tag}: store (batches of ${BATCH})`, baseline: bare, ours: rate, unit: "memories/s", target: "≥ 1,000/s", met: rate >= 1000, note: "baseline: bare INSERT, no index" }),
			row({ metric: `${tag}: search p50`, baseline: scanP50, ours: p50, unit: "ms", target: size >= 100_000 ? "< 10 ms" : undefined, met: size >= 100_000 ? p50 < 10 : undefined, note: "baseline: JS float32 scan, vectors only" }),
			row({ metric: `${tag}: search p99`, baseline: scanP50, ours: p99, unit: "ms" }),
			row({ metric: `${tag}: vector index alone, p50`, baseline: scanP50, ours: indexP50, unit: "ms", note: "the index's part of a search" }),
			row({ metric: `${tag}: recall@10 vs exact`, baseline: 1, ours: recall, unit: "", target: "≥ 0.95", met: recall >= 0.95 }),
			row({ metric: `${tag}: RSS`, baseline: rssBefore, ours: rssAfter, unit: "MB", note: "before the memories → after" })
		];
	} finally {
		await t.stop();
	}
}

export default async function memoryBench(): Promise<Row[]> {
	const rows: Row[] = [];
	for (const size of SIZES) rows.push(...(await run(size, {}, "local")));
	if (PGVECTOR_SIZE > 0) rows.push(...(await run(PGVECTOR_SIZE, { MEMORY_INDEX: "vector-store" }, "pgvector")));
	return rows;
}
