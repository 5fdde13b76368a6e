import type { AgentView } from "../../lib/cluster/agent-view";
import { FAST_AGENT_ENV, echoManifest, post } from "../support/agents";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { eventually, startTestNode, type TestNode } from "../support/test-node";
import { connect, type WsTestClient, type WsTestMessage } from "../support/ws-client";

interface StateEvent {
	event: string;
	at: string;
	data: { agentId: string; from: string; to: string };
}

describe("the WebSocket protocol: agents, tasks, events", () => {
	let openai: OpenAIServer;
	let t: TestNode;
	let wsUrl: string;
	let admin: WsTestClient;

	const tokenWith = async (...scopes: string[]) => (await post<{ token: string }>(t, "/api/v1/tokens", { name: `ws-${scopes.join("-")}`, scopes })).body.token;
	const stateEvents = (c: WsTestClient, agentId: string) =>
		c.all.filter(m => m.type === "event" && (m.payload as unknown as StateEvent).data.agentId === agentId).map(m => m.payload as unknown as StateEvent);

	beforeAll(async () => {
		openai = await startOpenAIServer();
		t = await startTestNode({ ...FAST_AGENT_ENV, OPENAI_API_KEY: "sk-ws", OPENAI_BASE_URL: openai.url, CHAT_STREAM_CHUNK_SIZE: "3" });
		await t.node.ready;
		wsUrl = `${t.url.replace("http", "ws")}/ws`;
		admin = await connect(wsUrl, { authorization: `Bearer ${t.token}` });
	});
	afterAll(async () => {
		admin?.close();
		await t.stop();
		await openai.stop();
	});

	it("spawns an agent with agent_spawn and answers its view", async () => {
		const answer = await admin.request("agent_spawn", { manifest: echoManifest("ws-echo") });
		expect(answer).toMatchObject({ type: "result", payload: { id: "ws-echo", state: "running", desiredState: "running" } });
		expect((answer.payload as unknown as AgentView).node).toBe(t.node.broker.nodeID);
	});

	it("delivers agent_task to the agent and answers its result", async () => {
		const answer = await admin.request("agent_task", { agentId: "ws-echo", task: { type: "echo", n: 7 } });
		expect(answer).toMatchObject({
			type: "result",
			payload: { status: "succeeded", taskId: expect.any(String), result: { echo: { type: "echo", n: 7 }, caller: { kind: "user", id: "admin" }, agent: "ws-echo" } }
		});
	});

	it("accepts an async agent_task with a taskId, its result recorded", async () => {
		const answer = await admin.request("agent_task", { agentId: "ws-echo", task: { type: "sleep", ms: 20 }, async: true });
		expect(answer).toMatchObject({ type: "result", payload: { status: "queued", taskId: expect.any(String) } });
		const taskId = answer.payload!.taskId as string;
		await eventually("the async task to finish", async () => (await t.json<{ status: string }>(`/api/v1/tasks/${taskId}`)).status === "succeeded");
	});

	it("sends an a2a_task to the target, recorded as sent by the calling agent (which needs a2a.send)", async () => {
		expect(await admin.request("agent_spawn", { manifest: echoManifest("ws-caller", { permissions: ["a2a.send"] }) })).toMatchObject({ type: "result" });
		const answer = await admin.request("agent_task", {
			agentId: "ws-caller",
			task: { type: "a2a_task", targetAgentId: "ws-echo", task: { type: "echo", hello: 1 } }
		});
		expect(answer).toMatchObject({ type: "result", payload: { status: "succeeded", result: { agent: "ws-echo", caller: { kind: "agent", id: "ws-caller" } } } });
		const record = await t.json<{ caller: unknown; agentId: string }>(`/api/v1/tasks/${answer.payload!.taskId as string}`);
		expect(record).toMatchObject({ agentId: "ws-echo", caller: { kind: "agent", id: "ws-caller" } });

		const refused = await admin.request("agent_task", { agentId: "ws-echo", task: { type: "a2a_task", targetAgentId: "ws-caller", task: { type: "echo" } } });
		expect(refused).toMatchObject({ type: "error", error: { type: "PERMISSION_DENIED", message: expect.stringContaining("a2a.send") } });
	});

	it("refuses an a2a_task from a token without admin: it may not send as an agent, and the target runs nothing", async () => {
		const ws = await connect(wsUrl, { authorization: `Bearer ${await tokenWith("tasks")}` });
		try {
			const sent = async () => {
				await t.node.audit.flush();
				return (await t.json<{ total: number }>("/api/v1/audit?action=agents.submitTask&actorId=ws-caller")).total;
			};
			const before = await sent();
			const refused = await ws.request("agent_task", { agentId: "ws-caller", task: { type: "a2a_task", targetAgentId: "ws-echo", task: { type: "echo", forged: 1 } } });
			expect(refused).toMatchObject({ type: "error", error: { type: "FORBIDDEN_SCOPE", data: { scope: "admin" }, message: expect.stringContaining("as agent ws-caller") } });
			expect(await sent()).toBe(before);
			// Its own tasks, sent as itself, still go.
			expect(await ws.request("agent_task", { agentId: "ws-echo", task: { type: "echo" } })).toMatchObject({ type: "result", payload: { result: { caller: { kind: "user" } } } });
		} finally {
			ws.close();
		}
	});

	it("serves audit_query from the audit log, with the task's fields as filters", async () => {
		await eventually("the spawn to be in the audit log", async () => {
			const answer = await admin.request("agent_task", { agentId: "ws-echo", task: { type: "audit_query", action: "agents.spawn", limit: 5 } });
			const items = (answer.payload?.items ?? []) as Array<{ action: string }>;
			return answer.type === "result" && items.length > 0 && items.every(i => i.action === "agents.spawn");
		});
	});

	it("stores and searches the agent's own memories with store_memory and search_memory", async () => {
		const stored = await admin.request("agent_task", { agentId: "ws-echo", task: { type: "store_memory", content: "The release train leaves on Thursdays" } });
		expect(stored).toMatchObject({ type: "result", payload: { agentId: "ws-echo", type: "semantic", scope: "private" } });
		const found = await admin.request("agent_task", { agentId: "ws-echo", task: { type: "search_memory", query: "when does the release train leave", k: 1 } });
		expect(found).toMatchObject({ type: "result", payload: { hits: [{ memory: { content: "The release train leaves on Thursdays" } }] } });
	});

	it("serves society system tasks, and answers NOT_AVAILABLE for one whose service is not running", async () => {
		expect(await admin.request("agent_task", { agentId: "ws-echo", task: { type: "forum_create", name: "ws-town" } })).toMatchObject({ type: "result", payload: { name: "ws-town" } });
		expect(await admin.request("agent_task", { agentId: "ws-echo", task: { type: "forum_list" } })).toMatchObject({ type: "result", payload: { rows: [{ name: "ws-town" }] } });
		await t.node.broker.destroyService("forums");
		const answer = await admin.request("agent_task", { agentId: "ws-echo", task: { type: "forum_create", name: "agents-town" } });
		expect(answer).toMatchObject({
			type: "error",
			error: { type: "NOT_AVAILABLE", message: expect.stringContaining('"forums"'), data: { capability: "forums", action: "forums.create", taskType: "forum_create" } }
		});
		// Tools are installed: the same message reaches the tools service, which holds it to the agent's grants (ws-echo may use no tools).
		expect(await admin.request("agent_task", { agentId: "ws-echo", task: { type: "invoke_tool", toolId: "builtin:http_fetch" } })).toMatchObject({
			error: { type: "PERMISSION_DENIED", data: { agentId: "ws-echo", capability: "tools.execute" } }
		});
	});

	it("relays agents.state events to subscribers: running → stopping → stopped; unsubscribing stops them", async () => {
		const watcher = await connect(wsUrl, { authorization: `Bearer ${t.token}` });
		const leaver = await connect(wsUrl, { authorization: `Bearer ${t.token}` });
		try {
			expect(await watcher.request("subscribe", { events: ["agents.state"] })).toMatchObject({ type: "result", payload: { subscribed: ["agents.state"] } });
			expect(await leaver.request("subscribe", { events: ["agents.state", "approvals.decided"] })).toMatchObject({ type: "result" });
			expect(await leaver.request("unsubscribe", { events: ["agents.state"] })).toMatchObject({ type: "result", payload: { subscribed: ["approvals.decided"] } });

			expect(await admin.request("agent_stop", { agentId: "ws-caller" })).toMatchObject({ type: "result", payload: { id: "ws-caller", state: "stopped", desiredState: "stopped" } });
			await eventually("the stopped event", () => stateEvents(watcher, "ws-caller").some(e => e.data.to === "stopped"), 5000, 20);
			const events = stateEvents(watcher, "ws-caller");
			expect(events.map(e => `${e.data.from}→${e.data.to}`)).toEqual(["running→stopping", "stopping→stopped"]);
			expect(events.every(e => e.event === "agents.state" && !Number.isNaN(Date.parse(e.at)))).toBe(true);
			const raw = watcher.all.find(m => m.type === "event") as WsTestMessage;
			expect(Object.keys(raw).sort()).toEqual(["payload", "type"]);
			// Both sockets are served by the one relay in one pass: the watcher has it, so the leaver would too.
			expect(leaver.all.filter(m => m.type === "event")).toEqual([]);
		} finally {
			watcher.close();
			leaver.close();
		}
	});

	it("refuses unknown event names, naming the allowed ones", async () => {
		const answer = await admin.request("subscribe", { events: ["agents.state", "kernel.panic"] });
		expect(answer).toMatchObject({ type: "error", error: { type: "UNKNOWN_EVENT", message: expect.stringContaining("approvals.requested") } });
		expect(answer.error!.message).toContain("kernel.panic");
	});

	it("refuses agent_spawn and subscribe agents.state to a token without their scopes", async () => {
		const c = await connect(wsUrl, { authorization: `Bearer ${await tokenWith("tasks")}` });
		try {
			expect(await c.request("agent_spawn", { manifest: echoManifest("ws-nope") })).toMatchObject({ type: "error", error: { type: "FORBIDDEN_SCOPE", message: expect.stringContaining("agents:write") } });
			expect(await c.request("subscribe", { events: ["agents.state"] })).toMatchObject({ type: "error", error: { type: "FORBIDDEN_SCOPE", message: expect.stringContaining("agents:read") } });
			// The system task's own action decides: audit.query needs audit:read, beyond the tasks scope.
			expect(await c.request("agent_task", { agentId: "ws-echo", task: { type: "audit_query" } })).toMatchObject({ type: "error", error: { type: "FORBIDDEN_SCOPE", message: expect.stringContaining("audit:read") } });
		} finally {
			c.close();
		}
		expect((await t.request("/api/v1/agents/ws-nope")).status).toBe(404);
	});

	it("re-cuts chat_stream text into pieces of CHAT_STREAM_CHUNK_SIZE characters at most", async () => {
		const text = "tokens flow over the socket in small pieces";
		openai.script({ kind: "text", text, usage: { input: 5, output: 9 } });
		const c = await connect(wsUrl, { authorization: `Bearer ${t.token}` });
		try {
			c.send({ type: "chat_stream", id: "s", payload: { messages: [{ role: "user", content: "stream please" }] } });
			const end = await c.next("chat_stream_end");
			const texts = c.all.filter(m => m.type === "chat_stream_chunk").map(m => m.payload!.text as string);
			expect(texts.length).toBeGreaterThanOrEqual(Math.ceil(text.length / 3));
			expect(texts.every(piece => piece.length > 0 && piece.length <= 3)).toBe(true);
			expect(texts.join("")).toBe(text);
			expect(end).toMatchObject({ id: "s", payload: { message: { content: text } } });
		} finally {
			c.close();
		}
	});
});

describe("the event relay", () => {
	it("is one service per WebSocket server, destroyed when the server closes", async () => {
		const t = await startTestNode();
		const relays = () => t.node.broker.services.filter(s => s.name.startsWith("ws-relay-"));
		try {
			expect(relays()).toHaveLength(1);
			expect(relays()[0].originalSchema.events).toEqual(
				Object.fromEntries([
					"agents.state",
					"approvals.requested",
					"approvals.decided",
					"audit.recorded",
					"tasks.changed",
					"forum.posted",
					"forums.changed",
					"jobs.changed",
					"policies.changed",
					"cases.changed",
					"sanctions.changed",
					"appeals.changed",
					"governance.lockdown"
				].map(e => [e, expect.anything()]))
			);
		} finally {
			await t.stop();
		}
		await eventually("the relay to be destroyed", () => relays().length === 0, 2000, 10);
	});
});
