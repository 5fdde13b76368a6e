import fs from "node:fs";
import { Loggers, type LogLevels } from "moleculer";
import { hashEmbed } from "../../lib/mal/providers/hash-embedder";
import { PgliteDatabase } from "../../lib/kernel/database/pglite-database";
import { migrate, readMigrations } from "../../lib/kernel/migrations";
import { migrationsDir } from "../../lib/kernel/paths";
import { MemoryCipher } from "../../lib/memory/memory-crypto";
import { MemoryStore } from "../../lib/memory/memory-store";
import type { RankedHit } from "../../lib/memory/hybrid-ranking";
import type { Memory } from "../../lib/memory/memory-types";
import type { ErrorBody } from "../../services/api.service";
import { post, spawnAgent } from "../support/agents";
import { seededDataDir } from "../support/pgdata-template";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { eventually, startTestNode, tempDataDir, type TestNode } from "../support/test-node";

/**
 * A local OpenAI-compatible server (Ollama, vLLM, LM Studio) that speaks chat but has no
 * embedding model, or not the one asked for: chats go on, memories say which model made
 * their vectors, searches compare like with like, and reindexing brings meaning back.
 */

interface Search {
	query: string;
	model: string;
	hits: RankedHit[];
	notComparable: number;
}

interface ChatAnswer {
	answer: string | null;
	provider: string;
	recalled: { content: string }[];
	recall?: { skipped?: string; model?: string; notComparable?: number };
}

interface Reindexed {
	model: string;
	reindexed: number;
	skipped: number;
	remaining: number;
}

/** The warn lines a node logs. */
class WarnLines extends Loggers.Base<{ level: LogLevels }> {
	readonly lines: string[] = [];
	override getLogHandler() {
		return (type: LogLevels, args: unknown[]) => {
			if (type === "warn") this.lines.push(args.map(String).join(" "));
		};
	}
}

const RECIPES = "Grandma's handwritten recipes are kept in the attic";
const KEY = "The spare office key is in the blue drawer";
const LUNCH = "Lunch is served at noon";

function search(t: TestNode, agentId: string, q: string): Promise<Search & ErrorBody> {
	return t.json<Search & ErrorBody>(`/api/v1/agents/${agentId}/memories/search?q=${encodeURIComponent(q)}`);
}

describe("local models: a server that speaks chat but has no embedding model", () => {
	let chatOnly: OpenAIServer;
	beforeAll(async () => {
		chatOnly = await startOpenAIServer({ embeddingModels: [] });
	});
	afterAll(() => chatOnly.stop());

	it("embeds memories with the offline embedder, records it, and recalls them in a declarative chat", async () => {
		const t = await startTestNode({ OPENAI_BASE_URL: chatOnly.url });
		try {
			await t.node.ready;
			const models = await t.json<{ embedding: { provider: string; model: string } }>("/api/v1/llm/models");
			expect(models.embedding).toEqual({ provider: "offline", model: "offline-hash-384" });
			const stored = await post<Memory & ErrorBody>(t, "/api/v1/agents/keeper/memories", { content: KEY });
			expect(stored.status).toBe(200);
			expect(stored.body.embeddingModel).toBe("offline-hash-384");
			expect((await t.json<Memory>(`/api/v1/agents/keeper/memories/${stored.body.id}`)).embeddingModel).toBe("offline-hash-384");

			await spawnAgent(t, { id: "keeper", name: "Keeper", instructions: "Answer from what you remember.", memory: { recall: 2 } });
			const { status, body } = await post<ChatAnswer>(t, "/api/v1/agents/keeper/chat", { message: "Where is the spare office key?" });
			expect(status).toBe(200);
			expect(body).toMatchObject({ provider: "openai", answer: "echo: Where is the spare office key?", recall: { model: "offline-hash-384", notComparable: 0 } });
			expect(body.recalled.map(r => r.content)).toEqual([KEY]);
			// The server was asked for chat only.
			expect(chatOnly.requests.every(r => r.path === "/v1/chat/completions")).toBe(true);
		} finally {
			await t.stop();
		}
	});

	it("a declarative chat answers 200 without recall when the embedding model is missing, and the answer and the log say why", async () => {
		const log = new WarnLines({ level: "warn" });
		const t = await startTestNode({ OPENAI_BASE_URL: chatOnly.url, LLM_EMBEDDING_MODEL: "nomic-embed-text", LLM_RETRY_BASE_MS: "10" }, { logger: log });
		try {
			await t.node.ready;
			await spawnAgent(t, { id: "forgetful", name: "Forgetful", instructions: "Be brief.", memory: { recall: 3 } });
			const { status, body } = await post<ChatAnswer & ErrorBody>(t, "/api/v1/agents/forgetful/chat", { message: "What did I tell you yesterday?" });
			expect(status).toBe(200);
			expect(body.answer).toBe("echo: What did I tell you yesterday?");
			expect(body.recalled).toEqual([]);
			expect(body.recall?.skipped).toContain('model "nomic-embed-text" not found, try pulling it first');
			expect(body.recall?.skipped).toMatch(/^PROVIDER_REJECTED: openai: HTTP 404/);
			expect(log.lines.find(l => l.includes("chats without recall"))).toContain('Agent forgetful chats without recall: PROVIDER_REJECTED: openai: HTTP 404: model "nomic-embed-text" not found');
			// The embedder was asked for the model named, on the server configured.
			expect(chatOnly.requests.filter(r => r.path === "/v1/embeddings").map(r => r.body.model)).toContain("nomic-embed-text");
		} finally {
			await t.stop();
		}
	});
});

// Locally, the old model's vectors are as long as the offline embedder's, so only their label tells them apart; in the vector store they are longer, in another collection.
describe.each([
	["local", 384],
	["vector-store", 768]
])("local models: switching the embedding model, then reindexing (MEMORY_INDEX=%s, old vectors of %i dimensions)", (memoryIndex, dims) => {
	let ollama: OpenAIServer;
	const dataDir = tempDataDir();
	let t: TestNode | undefined;
	beforeAll(async () => {
		// An Ollama with one embedding model pulled.
		ollama = await startOpenAIServer({ embeddingModels: ["nomic-embed-text"], embeddingDimensions: dims });
	});
	afterAll(async () => {
		await t?.stop();
		await ollama.stop();
	});

	it("records the model, compares like with like after a switch, and reindexing makes memories rank by meaning again", async () => {
		t = await startTestNode({ AGENTOS_DATA_DIR: dataDir, MEMORY_INDEX: memoryIndex, OPENAI_BASE_URL: ollama.url, LLM_EMBEDDING_MODEL: "nomic-embed-text" });
		await t.node.ready;
		const stored = await post<{ items: Memory[] } & ErrorBody>(t, "/api/v1/agents/cook/memories", { memories: [RECIPES, KEY, LUNCH].map(content => ({ content })) });
		expect(stored.status).toBe(200);
		expect(stored.body.items.map(m => m.embeddingModel)).toEqual(["nomic-embed-text", "nomic-embed-text", "nomic-embed-text"]);
		await post(t, "/api/v1/agents/other/memories", { content: "Another agent's note about handwriting" });
		await t.stop();

		// The same data, now with the offline embedder (LLM_EMBEDDING_MODEL unset).
		const log = new WarnLines({ level: "warn" });
		t = await startTestNode({ AGENTOS_DATA_DIR: dataDir, MEMORY_INDEX: memoryIndex, OPENAI_BASE_URL: ollama.url }, { logger: log });
		await t.node.ready;
		await eventually("the node to warn of memories of another model", () => log.lines.some(l => l.includes("memories have vectors another embedding model made")));
		expect(log.lines.find(l => l.includes("memories have vectors"))).toBe(
			"4 memories have vectors another embedding model made than offline-hash-384: searches find them by their words alone until agent-os memory reindex re-embeds them"
		);
		const byWords = await search(t, "cook", "Where is the spare key?");
		expect(byWords).toMatchObject({ model: "offline-hash-384", notComparable: 3 });
		// Found by its words alone: nothing of another model's vectors is compared with the query's.
		expect(byWords.hits.map(h => [h.memory.content, h.why.vector])).toEqual([[KEY, 0]]);
		const byMeaning = await search(t, "cook", "handwriting");
		expect(byMeaning).toMatchObject({ notComparable: 3, hits: [] });

		const first = await post<Reindexed & ErrorBody>(t, "/api/v1/memory/reindex", { agentId: "cook", limit: 2 });
		expect(first.status).toBe(200);
		expect(first.body).toEqual({ agentId: "cook", model: "offline-hash-384", reindexed: 2, skipped: 0, remaining: 1 });
		// Resumed where it stopped; the other agent's memory is not this run's.
		expect((await post<Reindexed>(t, "/api/v1/memory/reindex", { agentId: "cook" })).body).toMatchObject({ reindexed: 1, remaining: 0 });
		expect((await post<Reindexed>(t, "/api/v1/memory/reindex", { agentId: "cook" })).body).toMatchObject({ reindexed: 0, skipped: 0, remaining: 0 });
		if (memoryIndex === "vector-store") expect(await t.node.kernel.vectors.count(`memories_${dims}`, { agentId: "cook" })).toBe(0);
		const listed = await t.json<{ items: Memory[] }>("/api/v1/agents/cook/memories");
		expect(listed.items.map(m => m.embeddingModel)).toEqual(["offline-hash-384", "offline-hash-384", "offline-hash-384"]);

		const again = await search(t, "cook", "handwriting");
		expect(again.notComparable).toBe(0);
		// No word of the query is in the memory ("handwriting" / "handwritten"): it is found by meaning.
		expect(again.hits[0].memory.content).toBe(RECIPES);
		expect(again.hits[0].why).toMatchObject({ words: [], text: 0, vector: expect.any(Number) });
		expect(again.hits[0].why.vector).toBeGreaterThan(0.2);
		expect((await search(t, "cook", "Where is the spare key?")).hits[0].why.vector).toBeGreaterThan(0.3);

		// Without an agent, every agent's memories; the embedder's cost is each agent's own.
		expect((await post<Reindexed>(t, "/api/v1/memory/reindex", {})).body).toEqual({ model: "offline-hash-384", reindexed: 1, skipped: 0, remaining: 0 });
		const usage = await t.json<{ rows: { key: string; calls: number }[] }>("/api/v1/llm/usage?groupBy=agent");
		expect(usage.rows.map(r => r.key)).toEqual(expect.arrayContaining(["cook", "other"]));
	});
});

describe("local models: vectors in a vector store from before memories recorded their model (encrypted at rest)", () => {
	const key = "c".repeat(64);
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode({ MEMORY_INDEX: "vector-store", MEMORY_ENCRYPTION_ENABLED: "true", MEMORY_ENCRYPTION_KEY: key });
		await t.node.ready;
	});
	afterAll(() => t.stop());

	it("are not compared with queries until `reindex all` re-embeds and labels every memory, resumably, sealing the new vectors", async () => {
		const { body } = await post<{ items: Memory[] }>(t, "/api/v1/agents/old/memories", { memories: [RECIPES, LUNCH].map(content => ({ content })) });
		expect((await search(t, "old", "handwriting")).hits.map(h => h.memory.content)).toEqual([RECIPES]);
		// As an earlier version wrote them: the same vectors, with no model in their payload.
		await t.node.kernel.vectors.upsert(
			"memories_384",
			body.items.map(m => ({ id: m.id, vector: hashEmbed(m.content), payload: { agentId: m.agentId, scope: m.scope, type: m.type } }))
		);
		expect((await search(t, "old", "handwriting")).hits).toEqual([]);
		// Their rows say the current model, so a plain reindex has nothing to do.
		expect((await post<Reindexed>(t, "/api/v1/memory/reindex", { agentId: "old" })).body).toMatchObject({ reindexed: 0, remaining: 0 });

		const first = await post<Reindexed & { next: string }>(t, "/api/v1/memory/reindex", { agentId: "old", all: true, limit: 1 });
		expect(first.body).toMatchObject({ reindexed: 1, remaining: 1, next: expect.any(String) });
		const second = await post<Reindexed & { next: string }>(t, "/api/v1/memory/reindex", { agentId: "old", all: true, after: first.body.next });
		expect(second.body).toMatchObject({ reindexed: 1, remaining: 0 });
		expect((await search(t, "old", "handwriting")).hits.map(h => h.memory.content)).toEqual([RECIPES]);
		// The rows' new vectors are sealed as the rows are: they decrypt to the new embeddings.
		const rows = new MemoryStore(t.node.kernel.db, MemoryCipher.fromSetting(key));
		for await (const entries of rows.partition({ scope: "private", agentId: "old" })) {
			for (const entry of entries) {
				const content = body.items.find(m => m.id === entry.id)!.content;
				expect(entry.model).toBe("offline-hash-384");
				expect(Array.from(entry.vector)).toEqual(Array.from(Float32Array.from(hashEmbed(content))));
			}
		}
	});
});

describe("local models: memories written before memories recorded their model", () => {
	it("are labelled by the default that made vectors of their length, others unknown, so reindex knows which to re-embed", async () => {
		const dir = await seededDataDir();
		const db = await PgliteDatabase.open(dir);
		try {
			const all = readMigrations(migrationsDir());
			await migrate(db, all.filter(m => m.version < 10));
			for (const [id, dims] of [["small", 384], ["openai", 1536], ["nomic", 768]] as const) {
				await db.query("INSERT INTO memories (id, agent_id, type, scope, content, embedding, dims) VALUES ($1, 'a', 'semantic', 'private', 'x', $2, $3)", [id, Buffer.alloc(dims * 4), dims]);
			}
			expect(await migrate(db, all)).toContain("010_memory_embedding_model");
			const { rows } = await db.query<{ id: string; embedding_model: string }>("SELECT id, embedding_model FROM memories ORDER BY id");
			expect(rows).toEqual([
				{ id: "nomic", embedding_model: "unknown" },
				{ id: "openai", embedding_model: "text-embedding-3-small" },
				{ id: "small", embedding_model: "offline-hash-384" }
			]);
			expect(await new MemoryStore(db).countStale("offline-hash-384", { agentId: "a" })).toBe(2);
		} finally {
			await db.close();
			fs.rmSync(dir, { recursive: true, force: true });
		}
	});
});
