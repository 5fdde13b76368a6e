import type { Memory } from "../../lib/memory/memory-types";
import type { RankedHit } from "../../lib/memory/hybrid-ranking";
import { post } from "../support/agents";
import { startNats, type NatsServer } from "../support/nats-server";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

const found = async (t: TestNode, agentId: string, q: string) =>
	(await t.json<{ hits: RankedHit[] }>(`/api/v1/agents/${agentId}/memories/search?q=${encodeURIComponent(q)}`)).hits.map(h => h.memory.content);

describe("memory on two nodes sharing a real PostgreSQL over a real NATS", () => {
	let pg: PostgresServer;
	let nats: NatsServer;
	let a: TestNode;
	let b: TestNode;

	beforeAll(async () => {
		[pg, nats] = await Promise.all([startPostgres(), startNats()]);
		const env = { TRANSPORTER: nats.url, DATABASE_URL: await createDatabase(pg, "memory_cluster") };
		a = await startTestNode({ ...env, NODE_ID: "mem-a" });
		await a.node.ready;
		b = await startTestNode({ ...env, NODE_ID: "mem-b" });
		await b.node.ready;
		await eventually("the nodes to see each other", () => a.node.broker.registry.nodes.list({ onlyAvailable: true }).some(n => n.id === "mem-b"));
	});

	afterAll(async () => {
		await Promise.all([a?.stop(), b?.stop()]);
		await Promise.all([nats?.stop(), pg?.destroy()]);
	});

	it("a node's local index learns of memories stored and forgotten through the other", async () => {
		await post(a, "/api/v1/agents/roamer/memories", { content: "The build cache lives on the NAS" });
		// b reads the partition now, so it holds it in memory from here on.
		expect(await found(b, "roamer", "where is the build cache")).toEqual(["The build cache lives on the NAS"]);

		const held = async () => (await b.json<{ index: string; vectorsInProcess: number }>("/api/v1/memory")).vectorsInProcess;
		expect(await held()).toBe(1);

		// A write through a makes b drop what it holds of the agent, and read it again when next searched.
		const second = (await post<Memory>(a, "/api/v1/agents/roamer/memories", { content: "The build farm has twelve runners" })).body;
		await eventually("b to drop its copy of roamer's partition", async () => (await held()) === 0);
		expect((await found(b, "roamer", "how many build runners"))[0]).toBe("The build farm has twelve runners");
		expect(await held()).toBe(2);

		expect((await a.request(`/api/v1/agents/roamer/memories/${second.id}`, { method: "DELETE" })).status).toBe(200);
		await eventually("b to drop it again", async () => (await held()) === 0);
		expect(await found(b, "roamer", "how many build runners")).toEqual(["The build cache lives on the NAS"]);
		expect(await held()).toBe(1);
	});

	it("keeps memories on PostgreSQL: full-text search and the chat history work there too", async () => {
		await post(b, "/api/v1/agents/pg-agent/memories", { content: "Invoices are sent on the 28th of each month", type: "procedural" });
		const hits = (await a.json<{ hits: RankedHit[] }>("/api/v1/agents/pg-agent/memories/search?q=invoices")).hits;
		expect(hits[0].why.words).toEqual(["invoic"]);
		await a.node.broker.call("memory.appendHistory", { agentId: "pg-agent", owner: "admin", sessionId: "s", messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "hello" }] });
		expect((await b.json<{ total: number }>("/api/v1/agents/pg-agent/sessions/s")).total).toBe(2);
	});
});
