import type { ErrorBody } from "../../services/api.service";
import type { Memory } from "../../lib/memory/memory-types";
import type { RankedHit } from "../../lib/memory/hybrid-ranking";
import type { HistoryWindow } from "../../lib/memory/conversation-store";
import { AgentOSHttpClient } from "../../sdk";
import { FAST_AGENT_ENV, echoManifest, post, spawnAgent, task, untilState } from "../support/agents";
import { startTestNode, tempDataDir, type TestNode } from "../support/test-node";

interface Search {
	query: string;
	hits: RankedHit[];
}

const DAY = 86_400_000;

function store(t: TestNode, agentId: string, body: Record<string, unknown>) {
	return post<Memory & ErrorBody & { items: Memory[] }>(t, `/api/v1/agents/${agentId}/memories`, body);
}

function search(t: TestNode, agentId: string, q: string, extra = "") {
	return t.json<Search & ErrorBody>(`/api/v1/agents/${agentId}/memories/search?q=${encodeURIComponent(q)}${extra}`);
}

const contents = (s: Search) => s.hits.map(h => h.memory.content);

describe("memory", () => {
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode({ ...FAST_AGENT_ENV, EPISODIC_RETENTION_DAYS: "30", MEMORY_ARCHIVE_RETENTION_DAYS: "60", MEMORY_HISTORY_WINDOW: "6", MEMORY_MAX_CONTENT_BYTES: "1024" });
		await t.node.ready;
	});
	afterAll(() => t.stop());

	it("stores the three kinds, one at a time or in a batch, and lists them newest first", async () => {
		const one = await store(t, "kinds", { content: "Met the billing team to plan the Q3 migration", type: "episodic", importance: 0.8, metadata: { where: "room 4" } });
		expect(one.status).toBe(200);
		expect(one.body).toMatchObject({ agentId: "kinds", type: "episodic", scope: "private", importance: 0.8, metadata: { where: "room 4" }, encrypted: false, archivedAt: null });
		const batch = await store(t, "kinds", {
			memories: [
				{ content: "The billing service is written in Go", type: "semantic" },
				{ content: "To rotate the billing API key: open the vault, run rotate-key, redeploy", type: "procedural" }
			]
		});
		expect(batch.body.items.map(m => m.type)).toEqual(["semantic", "procedural"]);
		const listed = await t.json<{ items: Memory[]; total: number }>("/api/v1/agents/kinds/memories");
		expect(listed.total).toBe(3);
		expect(new Set(listed.items.map(m => m.type))).toEqual(new Set(["episodic", "semantic", "procedural"]));
		const procedural = await t.json<{ items: Memory[] }>("/api/v1/agents/kinds/memories?type=procedural");
		expect(procedural.items.map(m => m.content)).toEqual(["To rotate the billing API key: open the vault, run rotate-key, redeploy"]);
		const found = await search(t, "kinds", "how do I rotate the API key", "&type=procedural&k=5");
		expect(found.hits).toHaveLength(1);
		expect(found.hits[0].memory.type).toBe("procedural");
	});

	it("ranks the right memory first on a small labelled set, and says why it matched", async () => {
		const facts = [
			"The staging database runs PostgreSQL 15 on port 5433",
			"Production deploys happen every Tuesday after the standup",
			"Alice owns the billing service and its on-call rota",
			"The VPN configuration lives in the ops repository under vpn/",
			"Customer refunds above 500 euros need approval from finance",
			"The office wifi password changes on the first of each month",
			"Bob maintains the search cluster, which runs OpenSearch 2.11",
			"Backups of the main database are kept for 35 days in cold storage"
		];
		await store(t, "ranker", { memories: facts.map(content => ({ content })) });
		const labelled: [string, string][] = [
			["which port does the staging database listen on", facts[0]],
			["when do we deploy to production", facts[1]],
			["who is on call for billing", facts[2]],
			["where is the vpn config", facts[3]],
			["who approves a large refund", facts[4]],
			["how long are database backups kept", facts[7]],
			["what version of OpenSearch does the search cluster run", facts[6]]
		];
		for (const [query, expected] of labelled) {
			const result = await search(t, "ranker", query, "&k=3");
			expect({ query, first: result.hits[0]?.memory.content }).toEqual({ query, first: expected });
		}
		const why = (await search(t, "ranker", "staging database port")).hits[0];
		expect(why.why.words).toEqual(expect.arrayContaining(["stage", "databas", "port"]));
		expect(why.why.vector).toBeGreaterThan(0.3);
		expect(why.why.text).toBe(1);
		expect(why.score).toBeGreaterThan(0);
	});

	it("prefers the more important of two equally matching memories", async () => {
		await store(t, "weights", { memories: [{ content: "The cafeteria serves soup on Fridays", importance: 0.1 }, { content: "The cafeteria serves soup on Fridays", importance: 0.9 }] });
		const result = await search(t, "weights", "soup in the cafeteria");
		expect(result.hits.map(h => h.memory.importance)).toEqual([0.9, 0.1]);
	});

	it("never shows an agent's private memories to another; shared ones only to agents it shares with; public ones to all", async () => {
		await store(t, "alice", { content: "Alice's private note: the launch code word is heron", scope: "private" });
		await store(t, "alice", { content: "Alice shares: the launch checklist is in the wiki", scope: "shared" });
		await store(t, "alice", { content: "Alice publishes: the launch is on Monday", scope: "public" });
		const seenBy = async (agentId: string) => contents(await search(t, agentId, "launch code word checklist monday", "&k=10"));

		expect(await seenBy("alice")).toHaveLength(3);
		expect(await seenBy("bob")).toEqual(["Alice publishes: the launch is on Monday"]);
		expect((await post(t, "/api/v1/agents/alice/memory-shares", { granteeId: "bob" })).status).toBe(200);
		expect((await seenBy("bob")).sort()).toEqual(["Alice publishes: the launch is on Monday", "Alice shares: the launch checklist is in the wiki"]);
		expect(await seenBy("carol")).toEqual(["Alice publishes: the launch is on Monday"]);

		const privateId = (await t.json<{ items: Memory[] }>("/api/v1/agents/alice/memories?scope=private")).items[0].id;
		expect((await t.request(`/api/v1/agents/bob/memories/${privateId}`)).status).toBe(404);
		expect((await t.request(`/api/v1/agents/alice/memories/${privateId}`)).status).toBe(200);

		expect((await t.request("/api/v1/agents/alice/memory-shares/bob", { method: "DELETE" })).status).toBe(200);
		expect(await seenBy("bob")).toEqual(["Alice publishes: the launch is on Monday"]);
	});

	it("lets agent code use ctx.memory for its own memories only, with the capabilities it was granted", async () => {
		const memoryTask = <R>(agentId: string, op: string, arg: unknown) => task<R>(t, agentId, { task: { type: "memory", op, arg } });
		await spawnAgent(t, echoManifest("mem-agent", { permissions: ["memory.read", "memory.write"] }));
		await spawnAgent(t, echoManifest("mem-other", { permissions: ["memory.read", "memory.write"] }));
		await spawnAgent(t, echoManifest("mem-none"));
		await untilState(t, "mem-none", "running");

		const stored = await memoryTask<Memory>("mem-agent", "store", { content: "The canary region is eu-west-3", type: "semantic" });
		expect(stored.body.result).toMatchObject({ agentId: "mem-agent", content: "The canary region is eu-west-3" });
		const found = await memoryTask<Search>("mem-agent", "search", { query: "which region is the canary" });
		expect(contents(found.body.result)[0]).toBe("The canary region is eu-west-3");
		const got = await memoryTask<Memory>("mem-agent", "get", stored.body.result.id);
		expect(got.body.result.content).toBe("The canary region is eu-west-3");

		// Another agent neither finds nor reads it.
		const other = await memoryTask<Search>("mem-other", "search", { query: "which region is the canary" });
		expect(contents(other.body.result)).not.toContain("The canary region is eu-west-3");
		// The memory service's refusal reaches the task's caller as it is: not found, to this agent.
		const stolen = await memoryTask<never>("mem-other", "get", stored.body.result.id);
		expect(stolen.status).toBe(404);
		expect(stolen.body.error).toMatchObject({ type: "MEMORY_NOT_FOUND", data: { id: stored.body.result.id } });
		// An agent cannot name another agent's memories, even by calling the service directly.
		await expect(
			t.node.broker.call("memory.store", { agentId: "mem-agent", content: "planted" }, { meta: { caller: { kind: "agent", id: "mem-other" } } })
		).rejects.toMatchObject({ code: 403, type: "MEMORY_FORBIDDEN" });
		// Without memory.read the call is refused by the security middleware.
		const denied = await memoryTask("mem-none", "search", { query: "canary" });
		expect(JSON.stringify(denied.body)).toContain("lacks the permission memory.read");
	});

	it("is reachable through the SDK's client.memory", async () => {
		const client = new AgentOSHttpClient({ url: t.url, token: t.token });
		const stored = await client.memory.store("sdk-user", { content: "The design review is on Wednesday at 10", type: "episodic" });
		expect((await client.memory.search("sdk-user", "when is the design review", { k: 1 })).hits[0].memory.id).toBe(stored.id);
		expect((await client.memory.list("sdk-user", { type: "episodic" })).total).toBe(1);
		await client.memory.share("sdk-user", "sdk-friend");
		expect((await client.memory.forget("sdk-user", stored.id)).forgotten).toBe(1);
		await expect(client.memory.get("sdk-user", stored.id)).rejects.toMatchObject({ status: 404, type: "MEMORY_NOT_FOUND" });
	});

	it("answers bad input with a 4xx naming what is wrong", async () => {
		const blank = await search(t, "kinds", "   ");
		expect(blank.error).toMatchObject({ type: "MEMORY_INVALID", data: { field: "q" } });
		const missing = await t.request("/api/v1/agents/kinds/memories/search");
		expect(missing.status).toBe(422);
		for (const k of ["0", "101", "x"]) {
			const res = await t.request(`/api/v1/agents/kinds/memories/search?q=billing&k=${k}`);
			expect({ k, status: res.status }).toEqual({ k, status: 422 });
			expect(JSON.stringify(await res.json())).toContain('"k"');
		}
		const big = await store(t, "kinds", { content: "x".repeat(2000) });
		expect(big.status).toBe(413);
		expect(big.body.error).toMatchObject({ type: "MEMORY_INVALID", data: { field: "content" } });
		const bigInBatch = await store(t, "kinds", { memories: [{ content: "fine" }, { content: "y".repeat(2000) }] });
		expect(bigInBatch.body.error.data).toMatchObject({ field: "memories[1].content" });
		const badType = await store(t, "kinds", { content: "a fact", type: "dream" });
		expect(badType.status).toBe(422);
		expect(JSON.stringify(badType.body)).toContain("type");
		expect((await store(t, "kinds", { content: "a fact", importance: 2 })).status).toBe(422);
		expect((await store(t, "kinds", {})).body.error).toMatchObject({ data: { field: "content" } });
		// Nothing half-stored from the refused batch.
		expect((await t.json<{ items: Memory[] }>("/api/v1/agents/kinds/memories?limit=100")).items.map(m => m.content)).not.toContain("fine");
	});

	it("archives episodic memories past their retention, restores them, and deletes long-archived ones", async () => {
		const episode = (await store(t, "aging", { content: "Yesterday the payment gateway timed out twice", type: "episodic" })).body;
		await store(t, "aging", { content: "The payment gateway is run by Acme Pay", type: "semantic" });
		const retention = (days: number) => post<{ archived: number; deleted: number }>(t, "/api/v1/memory/retention", { now: new Date(Date.now() + days * DAY).toISOString() });

		expect((await retention(10)).body).toEqual({ archived: 0, deleted: 0 });
		expect((await retention(31)).body.archived).toBeGreaterThanOrEqual(1);
		expect(contents(await search(t, "aging", "payment gateway"))).toEqual(["The payment gateway is run by Acme Pay"]);
		const archived = await t.json<{ items: Memory[] }>("/api/v1/agents/aging/memories?archived=true");
		expect(archived.items.map(m => m.id)).toEqual([episode.id]);
		expect(archived.items[0].archivedAt).not.toBeNull();

		const restored = await post<Memory>(t, `/api/v1/agents/aging/memories/${episode.id}/restore`, {});
		expect(restored.body.archivedAt).toBeNull();
		expect(contents(await search(t, "aging", "payment gateway timed out"))[0]).toBe("Yesterday the payment gateway timed out twice");

		// Archived again, then past the archive's retention: gone for good.
		await retention(31);
		expect((await retention(31 + 61)).body.deleted).toBeGreaterThanOrEqual(1);
		expect((await t.json<{ items: Memory[] }>("/api/v1/agents/aging/memories?archived=true")).items).toEqual([]);
		expect((await t.request(`/api/v1/agents/aging/memories/${episode.id}/restore`, { method: "POST" })).status).toBe(404);
	});

	it("exports an agent's memories as JSON lines and forgets rows and vectors together", async () => {
		const kept = (await store(t, "leaver", { content: "Kubernetes upgrades are done on Sundays" })).body;
		const gone = (await store(t, "leaver", { content: "The old Jenkins server is jenkins-01" })).body;
		const res = await t.request("/api/v1/agents/leaver/memories/export");
		expect(res.headers.get("content-type")).toContain("application/x-ndjson");
		const lines = (await res.text()).trim().split("\n").map(l => JSON.parse(l) as Memory);
		expect(lines.map(l => l.content).sort()).toEqual(["Kubernetes upgrades are done on Sundays", "The old Jenkins server is jenkins-01"]);

		expect((await t.request(`/api/v1/agents/leaver/memories/${gone.id}`, { method: "DELETE" })).status).toBe(200);
		expect((await search(t, "leaver", "jenkins server")).hits).toEqual([]);
		expect(contents(await search(t, "leaver", "when are kubernetes upgrades"))).toEqual(["Kubernetes upgrades are done on Sundays"]);
		const { rows } = await t.node.kernel.db.query("SELECT id FROM memories WHERE id = $1", [gone.id]);
		expect(rows).toEqual([]);
		expect((await t.request(`/api/v1/agents/leaver/memories/${gone.id}`, { method: "DELETE" })).status).toBe(404);

		const all = await t.request("/api/v1/agents/leaver/memories", { method: "DELETE" });
		expect(await all.json()).toEqual({ forgotten: 1 });
		expect((await search(t, "leaver", "kubernetes")).hits).toEqual([]);
		expect((await t.node.kernel.db.query("SELECT id FROM memories WHERE id = $1", [kept.id])).rows).toEqual([]);
	});

	it("keeps chat history per session: a sliding window and a running summary of what slid out", async () => {
		const append = (sessionId: string, from: number, n: number) =>
			// Inside the cluster an operator names whose session it is: here the admin's, read over REST below.
			t.node.broker.call("memory.appendHistory", {
				agentId: "talker",
				owner: "admin",
				sessionId,
				messages: Array.from({ length: n }, (_, i) => ({ role: (from + i) % 2 ? "assistant" : "user", content: `Message ${from + i}. It says something about topic ${from + i}.` }))
			});
		await append("s1", 1, 4);
		let window = await t.json<HistoryWindow>("/api/v1/agents/talker/sessions/s1");
		expect(window).toMatchObject({ total: 4, summary: null });
		await append("s1", 5, 8);
		window = await t.json<HistoryWindow>("/api/v1/agents/talker/sessions/s1");
		expect(window.total).toBe(12);
		expect(window.messages.map(m => m.seq)).toEqual([7, 8, 9, 10, 11, 12]);
		expect(window.summary).toEqual(expect.any(String));
		expect(window.summaryCovers).toBe(6);
		await append("s2", 1, 1);
		expect((await t.json<HistoryWindow>("/api/v1/agents/talker/sessions/s2")).messages.map(m => m.content)).toEqual(["Message 1. It says something about topic 1."]);
		const sessions = await t.json<{ items: { sessionId: string; messages: number }[] }>("/api/v1/agents/talker/sessions");
		expect(sessions.items.map(s => [s.sessionId, s.messages]).sort()).toEqual([
			["s1", 12],
			["s2", 1]
		]);
		expect((await t.request("/api/v1/agents/talker/sessions/s2", { method: "DELETE" })).status).toBe(200);
		const gone = await t.request("/api/v1/agents/talker/sessions/s2");
		expect(gone.status).toBe(404);
		expect(((await gone.json()) as ErrorBody).error.type).toBe("SESSION_NOT_FOUND");
	});
});

describe("memory encrypted at rest", () => {
	const KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	let t: TestNode;
	beforeAll(async () => {
		// Its own data dir, which a test opens again after the node stops.
		t = await startTestNode({ MEMORY_ENCRYPTION_ENABLED: "true", MEMORY_ENCRYPTION_KEY: KEY, AGENTOS_DATA_DIR: tempDataDir() });
		await t.node.ready;
	});
	afterAll(() => t.stop());

	it("keeps only ciphertext in the table and still finds memories by meaning", async () => {
		const secret = "The root password of the lab router is tangerine-42";
		const stored = (await store(t, "vault", { content: secret, metadata: { source: "sticky note" } })).body;
		expect(stored).toMatchObject({ content: secret, metadata: { source: "sticky note" }, encrypted: true });

		const { rows } = await t.node.kernel.db.query<{ content: string; metadata: unknown; search_text: unknown; embedding: Uint8Array }>(
			"SELECT content, metadata, search_text, embedding FROM memories WHERE id = $1",
			[stored.id]
		);
		expect(rows[0].content).toMatch(/^v1\./);
		expect(rows[0].content).not.toContain("tangerine");
		expect(JSON.stringify(rows[0].metadata)).not.toContain("sticky");
		expect(rows[0].search_text).toBeNull();
		expect(rows[0].embedding.byteLength).toBe(384 * 4 + 28);

		expect((await t.json<Memory>(`/api/v1/agents/vault/memories/${stored.id}`)).content).toBe(secret);
		const found = await search(t, "vault", "lab router root password");
		expect(found.hits[0].memory.content).toBe(secret);
		expect(found.hits[0].why.text).toBe(0);

		await t.node.broker.call("memory.appendHistory", { agentId: "vault", owner: "admin", sessionId: "s", messages: [{ role: "user", content: "my pin is 4321" }] });
		const history = await t.node.kernel.db.query<{ content: string }>("SELECT content FROM conversation_messages WHERE agent_id = 'vault'");
		expect(history.rows[0].content).not.toContain("4321");
		expect((await t.json<HistoryWindow>("/api/v1/agents/vault/sessions/s")).messages[0].content).toBe("my pin is 4321");
	});

	it("refuses to read a ciphertext moved onto another memory's row", async () => {
		const a = (await store(t, "vault2", { content: "first secret" })).body;
		const b = (await store(t, "vault2", { content: "second secret" })).body;
		await t.node.kernel.db.query("UPDATE memories SET content = (SELECT content FROM memories WHERE id = $1) WHERE id = $2", [a.id, b.id]);
		const res = await t.request(`/api/v1/agents/vault2/memories/${b.id}`);
		expect(res.status).toBeGreaterThanOrEqual(500);
		const body = JSON.stringify(await res.json());
		expect(JSON.parse(body).error).toMatchObject({ type: "MEMORY_UNREADABLE", data: { id: b.id } });
		expect(body).not.toContain("first secret");
	});

	it("answers MEMORY_LOCKED for encrypted memories and chat history alike on a node restarted without the key", async () => {
		const memory = (await store(t, "keyless", { content: "the safe code is 0815" })).body;
		await t.node.broker.call("memory.appendHistory", { agentId: "keyless", owner: "admin", sessionId: "s", messages: [{ role: "user", content: "my pin is 4321" }] });
		const { dataDir } = t;
		await t.stop();
		t = await startTestNode({ AGENTOS_DATA_DIR: dataDir });

		const read = await t.request(`/api/v1/agents/keyless/memories/${memory.id}`);
		expect(read.status).toBe(503);
		expect(((await read.json()) as ErrorBody).error).toMatchObject({ type: "MEMORY_LOCKED", data: { id: memory.id } });
		const history = await t.request("/api/v1/agents/keyless/sessions/s");
		expect(history.status).toBe(503);
		const body = JSON.stringify(await history.json());
		expect(JSON.parse(body).error).toMatchObject({ type: "MEMORY_LOCKED", message: expect.stringContaining("MEMORY_ENCRYPTION_KEY"), data: { agentId: "keyless" } });
		expect(body).not.toContain("4321");
	});
});
