import path from "node:path";
import type { DirectoryEntry } from "../../lib/society/society-views";
import type { RemoteAgent } from "../../lib/tools/a2a/remote-agent-store";
import { FAST_AGENT_ENV, FIXTURE_AGENTS, echoManifest, post, spawnAgent, task } from "../support/agents";
import { startTestNode, type TestNode } from "../support/test-node";

interface Relayed {
	relayed: string;
	answer: { echo?: { type: string; question: string }; agent?: string };
	remote: { kind: string; state?: string; taskId?: string; text: string; data: Array<{ echo?: { type: string; question: string } }> };
}

/**
 * Two AgentOS nodes that share nothing (own data dirs, no transporter): an agent on A asks
 * an agent on B over A2A — B's card and JSON-RPC endpoint, with a token B issued.
 */
describe("an agent on one node asks an agent on another through a2a_send", () => {
	let a: TestNode;
	let b: TestNode;
	let bToken: string;
	let cardUrl: string;

	beforeAll(async () => {
		b = await startTestNode({ ...FAST_AGENT_ENV });
		await b.node.ready;
		await spawnAgent(b, echoManifest("helper", { description: "Answers whatever it is asked", taskTypes: { echo: {} } }));
		const issued = await post<{ token: string }>(b, "/api/v1/tokens", { name: "node-a", scopes: ["tasks"] });
		bToken = issued.body.token;
		cardUrl = `${b.url}/a2a/helper/.well-known/agent-card.json`;
		a = await startTestNode({ ...FAST_AGENT_ENV, ALLOWED_DOMAINS: new URL(b.url).host });
		await a.node.ready;
		await spawnAgent(a, { id: "asker", name: "Asker", entryPoint: path.join(FIXTURE_AGENTS, "a2a-asker.js"), permissions: ["tools.execute", "a2a.remote"], trustLevel: "autonomous" });
	});
	afterAll(async () => {
		await a?.stop();
		await b?.stop();
	});

	it("sends B's agent a task by its card URL and B's token, and uses the answer", async () => {
		const { status, body } = await task<Relayed>(a, "asker", { task: { type: "ask", cardUrl, token: bToken, message: "a question", data: { type: "echo", question: "how far?" } } });
		expect(status).toBe(200);
		expect(body.result.remote).toMatchObject({ kind: "task", state: "completed" });
		// The asker's result is built from B's answer: B's helper echoed the task it was sent.
		expect(body.result.answer).toMatchObject({ agent: "helper", echo: { type: "echo", question: "how far?" } });
		expect(body.result.remote.data).toHaveLength(1);
		// B ran it as a task of its own (the A2A task id is B's task id), visible in its task API.
		expect(await b.json(`/api/v1/tasks/${body.result.remote.taskId}`)).toMatchObject({ agentId: "helper", status: "succeeded" });
	});

	it("is refused by B without B's token", async () => {
		const { status, body } = await task(a, "asker", { task: { type: "ask", cardUrl, message: "hi", data: { type: "echo" } } });
		expect(status).toBe(403);
		expect(body.error).toMatchObject({ type: "A2A_REMOTE_UNAUTHORIZED", message: expect.stringContaining("token") });
	});

	it("adds B's agent to A's directory, where search finds it, and lets A's agent ask it by that entry", async () => {
		const added = await post<RemoteAgent>(a, "/api/v1/directory/remote", { cardUrl, token: bToken });
		expect(added.status).toBe(201);
		expect(added.body).toMatchObject({ name: expect.any(String), skills: expect.arrayContaining(["echo"]), hasToken: true, url: `${b.url}/a2a/helper` });
		const found = await a.json<{ items: DirectoryEntry[] }>("/api/v1/directory?skill=echo&status=remote");
		expect(found.items.map(e => e.id)).toEqual([added.body.id]);
		const { status, body } = await task<Relayed>(a, "asker", { task: { type: "ask", agent: added.body.id, message: "again", data: { type: "echo", question: "by entry" } } });
		expect(status).toBe(200);
		expect(body.result.answer).toMatchObject({ echo: { question: "by entry" } });
	});
});
