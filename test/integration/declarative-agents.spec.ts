import fs from "node:fs";
import path from "node:path";
import type { ErrorBody } from "../../services/api.service";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { post, spawnAgent, untilState } from "../support/agents";
import { eventually, startTestNode, type TestNode } from "../support/test-node";
import { connect } from "../support/ws-client";
import { AgentOSHttpClient } from "../../sdk";
import { testTempDir } from "../support/test-tmp";

interface ChatAnswer {
	taskId: string;
	sessionId: string;
	answer: string | null;
	stopReason: string;
	steps: { step: number; toolCalls: { toolId: string; arguments: Record<string, unknown>; ok: boolean; result: string }[] }[];
	usage: { promptTokens: number; completionTokens: number; totalTokens: number };
	costUsd: number;
	provider: string;
	model: string;
	recalled: { id: string; content: string }[];
}

const declarative = (id: string, extra: Record<string, unknown> = {}) => ({
	id,
	name: `Declarative ${id}`,
	instructions: "You are a careful assistant. Use tools when they help.",
	trustLevel: "autonomous",
	memory: { recall: 0 },
	...extra
});

type Message = { role: string; content: string | null; tool_calls?: unknown[] };

describe("declarative agents with a scripted model", () => {
	let openai: OpenAIServer;
	let t: TestNode;
	const workspace = testTempDir("agentos-declarative-");
	const chat = (id: string, body: Record<string, unknown>) => post<ChatAnswer & ErrorBody>(t, `/api/v1/agents/${id}/chat`, body);
	const lastRequest = () => openai.requests.filter(r => r.path.endsWith("/chat/completions")).at(-1)!.body as { messages: Message[]; tools?: { function: { name: string } }[] };

	beforeAll(async () => {
		fs.writeFileSync(path.join(workspace, "notes.txt"), "The launch is on the 14th.");
		openai = await startOpenAIServer({ apiKey: "sk-test" });
		t = await startTestNode({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: openai.url, LLM_RETRY_BASE_MS: "10", ALLOWED_PATHS: workspace, APPROVAL_TIMEOUT_MS: "20000" });
		await t.node.ready;
	});
	afterEach(() => openai.clearScript());
	afterAll(async () => {
		await t.stop();
		await openai.stop();
	});

	it("is spawned from a manifest alone, runs in-process, and answers with steps, tokens, cost and model", async () => {
		const view = await spawnAgent(t, declarative("reader", { tools: ["builtin:file_read"], permissions: ["fs.read"] }));
		expect(view).toMatchObject({ id: "reader" });
		const running = await untilState(t, "reader", "running");
		expect(running.pid ?? null).toBeNull();
		expect(running.runtime).toBe("declarative");
		// What its settings need is granted with what it asked for.
		const grants = await t.json<{ capability: string }[] | { items: { capability: string }[] }>("/api/v1/agents/reader/grants");
		const capabilities = (Array.isArray(grants) ? grants : grants.items).map(g => g.capability).sort();
		expect(capabilities).toEqual(["fs.read", "llm.execute", "memory.read", "memory.write", "tools.execute"]);

		openai.script(
			{ kind: "tool_calls", calls: [{ id: "c1", name: "builtin_file_read", arguments: { path: "notes.txt" } }], usage: { input: 100, output: 20 } },
			{ kind: "text", text: "The launch is on the 14th.", usage: { input: 150, output: 10 } }
		);
		const { status, body } = await chat("reader", { message: "When is the launch?", sessionId: "s1" });
		expect(status).toBe(200);
		expect(body).toMatchObject({ answer: "The launch is on the 14th.", stopReason: "answer", sessionId: "s1", provider: "openai", model: "gpt-4o-mini" });
		expect(body.usage.totalTokens).toBe(280);
		expect(body.costUsd).toBeGreaterThan(0);
		expect(body.steps[0].toolCalls[0]).toMatchObject({ toolId: "builtin:file_read", arguments: { path: "notes.txt" }, ok: true });
		expect(body.steps[0].toolCalls[0].result).toContain("The launch is on the 14th.");
		// The model saw the instructions and the tool's schema.
		const request = lastRequest();
		expect(request.messages[0]).toMatchObject({ role: "system", content: expect.stringContaining("careful assistant") });
		expect(request.tools?.map(tool => tool.function.name)).toEqual(["builtin_file_read"]);
		// Audited as the agent.
		let audit: { items: { action: string; outcome: string }[] } = { items: [] };
		await eventually("the tool call in the audit log", async () => (audit = await t.json("/api/v1/audit?actorId=reader&limit=50")).items.some(e => e.action === "tools.invoke"));
		expect(audit.items.find(e => e.action === "tools.invoke")?.outcome).toBe("succeeded");
	});

	it("journals its own tools with a durable task, not every tool of the node", async () => {
		openai.script({ kind: "tool_calls", calls: [{ id: "c1", name: "builtin_file_read", arguments: { path: "notes.txt" } }] }, { kind: "text", text: "On the 14th." });
		const { body } = await chat("reader", { message: "When is the launch?" });
		const task = await t.json<{ durable: boolean; steps: { action: string; result: unknown }[] }>(`/api/v1/tasks/${body.taskId}`);
		expect(task.durable).toBe(true);
		expect(task.steps.map(s => s.action)).toEqual(["memory.history", "tools.list", "mal.chat", "tools.invoke", "mal.chat", "memory.appendHistory"]);
		expect((task.steps[1].result as { id: string }[]).map(tool => tool.id)).toEqual(["builtin:file_read"]);
		// The same filter is open to people: GET /api/v1/tools?ids=…
		const all = await t.json<{ id: string }[]>("/api/v1/tools");
		expect(all.length).toBeGreaterThan(1);
		expect((await t.json<{ id: string }[]>("/api/v1/tools?ids=builtin:file_read")).map(tool => tool.id)).toEqual(["builtin:file_read"]);
	});

	it("runs parallel tool calls, and a failing tool does not end the loop", async () => {
		openai.script(
			{
				kind: "tool_calls",
				calls: [
					{ id: "a", name: "builtin_file_read", arguments: { path: "notes.txt" } },
					{ id: "b", name: "builtin_file_read", arguments: { path: "missing.txt" } }
				]
			},
			{ kind: "text", text: "One file was there, one was not." }
		);
		const { body } = await chat("reader", { message: "Read both files", sessionId: "parallel" });
		expect(body.stopReason).toBe("answer");
		expect(body.steps[0].toolCalls.map(c => c.ok)).toEqual([true, false]);
		const toolTurns = lastRequest().messages.filter(m => m.role === "tool");
		expect(toolTurns).toHaveLength(2);
		expect(toolTurns[1].content).toContain("error");
	});

	it("keeps the history of a session across messages, and sessions apart", async () => {
		await spawnAgent(t, declarative("talker"));
		openai.script({ kind: "text", text: "Nice to meet you, Ada." });
		await chat("talker", { message: "My name is Ada.", sessionId: "one" });
		openai.script({ kind: "text", text: "You are Ada." });
		expect((await chat("talker", { message: "What is my name?", sessionId: "one" })).body.answer).toBe("You are Ada.");
		expect(lastRequest().messages.map(m => [m.role, m.content])).toEqual([
			["system", expect.any(String)],
			["user", "My name is Ada."],
			["assistant", "Nice to meet you, Ada."],
			["user", "What is my name?"]
		]);
		openai.script({ kind: "text", text: "I don't know." });
		await chat("talker", { message: "What is my name?", sessionId: "two" });
		expect(lastRequest().messages.map(m => m.role)).toEqual(["system", "user"]);
		const history = await t.json<{ total: number }>("/api/v1/agents/talker/sessions/one");
		expect(history.total).toBe(4);
	});

	it("stops at maxSteps with a clear reason when the model never stops calling tools", async () => {
		await spawnAgent(t, declarative("looper", { tools: ["builtin:file_read"], permissions: ["fs.read"], limits: { maxSteps: 3 } }));
		openai.setDefault({ kind: "tool_calls", calls: [{ id: "again", name: "builtin_file_read", arguments: { path: "notes.txt" } }] });
		try {
			const { body } = await chat("looper", { message: "Keep reading" });
			expect(body).toMatchObject({ answer: null, stopReason: "max_steps" });
			expect(body.steps).toHaveLength(2);
		} finally {
			openai.setDefault(r => ({ kind: "text", text: `echo: ${String((r.body.messages as Message[]).at(-1)?.content)}` }));
		}
	});

	it("stops when a task's token budget is spent, before running more tools", async () => {
		await spawnAgent(t, declarative("thrifty", { tools: ["builtin:file_read"], permissions: ["fs.read"], limits: { maxTokensPerTask: 500 } }));
		openai.script(
			{ kind: "tool_calls", calls: [{ id: "1", name: "builtin_file_read", arguments: { path: "notes.txt" } }], usage: { input: 300, output: 100 } },
			{ kind: "tool_calls", calls: [{ id: "2", name: "builtin_file_read", arguments: { path: "notes.txt" } }], usage: { input: 300, output: 100 } }
		);
		const { body } = await chat("thrifty", { message: "Read forever" });
		expect(body).toMatchObject({ stopReason: "budget_tokens", answer: null });
		expect(body.usage.totalTokens).toBe(800);
		expect(body.steps).toHaveLength(1);
	});

	it("is refused a tool whose capability it lacks, and the model hears why", async () => {
		await spawnAgent(t, declarative("fetcher", { tools: ["builtin:http_fetch"] }));
		openai.script({ kind: "tool_calls", calls: [{ id: "f", name: "builtin_http_fetch", arguments: { url: "http://127.0.0.1:1/" } }] }, { kind: "text", text: "I may not fetch." });
		const { body } = await chat("fetcher", { message: "Fetch the page" });
		expect(body.answer).toBe("I may not fetch.");
		expect(body.steps[0].toolCalls[0]).toMatchObject({ ok: false, result: expect.stringContaining("network.fetch") });
	});

	it("waits for a person's approval before a supervised agent's tool runs", async () => {
		await spawnAgent(t, declarative("scribe", { trustLevel: "supervised", tools: ["builtin:file_write"], permissions: ["fs.write"] }));
		openai.script({ kind: "tool_calls", calls: [{ id: "w", name: "builtin_file_write", arguments: { path: "minutes.txt", content: "approved" } }] }, { kind: "text", text: "Written." });
		const answer = chat("scribe", { message: "Write the minutes" });
		let pending: { id: string }[] = [];
		await eventually("the approval request", async () => (pending = (await t.json<{ items: { id: string }[] }>("/api/v1/approvals?status=pending")).items).length === 1);
		expect(fs.existsSync(path.join(workspace, "minutes.txt"))).toBe(false);
		await post(t, `/api/v1/approvals/${pending[0].id}/approve`, {});
		expect((await answer).body.answer).toBe("Written.");
		expect(fs.readFileSync(path.join(workspace, "minutes.txt"), "utf8")).toBe("approved");
	});

	it("streams tokens and tool events in order over server-sent events", async () => {
		openai.script(
			{ kind: "tool_calls", calls: [{ id: "s", name: "builtin_file_read", arguments: { path: "notes.txt" } }] },
			{ kind: "text", text: "The launch is on the fourteenth of the month." }
		);
		const res = await t.request("/api/v1/agents/reader/chat", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "When?", stream: true }) });
		expect(res.headers.get("content-type")).toContain("text/event-stream");
		const events = (await res.text())
			.split("\n\n")
			.filter(Boolean)
			.map(frame => JSON.parse(frame.split("\n").find(l => l.startsWith("data: "))!.slice(6)) as { type: string; text?: string; result?: ChatAnswer });
		const types = events.map(e => e.type).filter((type, i, all) => type !== all[i - 1]);
		expect(types).toEqual(["model", "tool_call", "tool_result", "token", "model", "answer", "end"]);
		expect(events.filter(e => e.type === "token").map(e => e.text).join("")).toBe("The launch is on the fourteenth of the month.");
		expect(events.at(-1)!.result).toMatchObject({ answer: "The launch is on the fourteenth of the month.", stopReason: "answer" });
	});

	it("streams over the WebSocket (agent_chat) and through the SDK", async () => {
		openai.script({ kind: "text", text: "Streaming over the socket works." });
		const c = await connect(`${t.url.replace("http", "ws")}/ws`, { authorization: `Bearer ${t.token}` });
		c.send({ type: "agent_chat", id: "w1", payload: { agentId: "talker", message: "Stream please", sessionId: "ws", stream: true } });
		const end = await c.next("agent_chat_end");
		const tokens = c.all.filter(m => m.type === "agent_chat_event" && m.payload?.type === "token");
		expect(tokens.map(m => m.payload!.text).join("")).toBe("Streaming over the socket works.");
		expect(end).toMatchObject({ id: "w1", payload: { answer: "Streaming over the socket works.", sessionId: "ws" } });
		c.ws.close();

		const client = new AgentOSHttpClient({ url: t.url, token: t.token });
		openai.script({ kind: "text", text: "Hello from the SDK." });
		expect(await client.agents.chat("talker", "Hi", { sessionId: "sdk" })).toMatchObject({ answer: "Hello from the SDK.", sessionId: "sdk" });
		openai.script({ kind: "text", text: "Streamed to the SDK." });
		const events: { type: string; text?: string }[] = [];
		for await (const event of client.agents.chatStream("talker", "Stream to me", { sessionId: "sdk" })) events.push(event);
		expect(events.filter(e => e.type === "token").map(e => e.text).join("")).toBe("Streamed to the SDK.");
		expect(events.at(-1)).toMatchObject({ type: "end", result: { answer: "Streamed to the SDK." } });
	});

	it("refuses bad chats and bad declarative manifests with a 4xx naming the field", async () => {
		expect((await chat("reader", { message: "" })).status).toBe(422);
		expect((await chat("nobody", { message: "hi" })).status).toBe(404);
		const noKind = await post<ErrorBody>(t, "/api/v1/agents", { manifest: { id: "neither", name: "Neither" } });
		expect(noKind.status).toBe(422);
		expect(noKind.body.error.message).toContain("needs an entryPoint (a code agent) or instructions (a declarative agent)");
		const both = await post<ErrorBody>(t, "/api/v1/agents", { manifest: { id: "both", name: "Both", entryPoint: "/x.js", instructions: "hi" } });
		expect(JSON.stringify(both.body)).toContain("manifest.instructions is for declarative agents");
		const badSteps = await post<ErrorBody>(t, "/api/v1/agents", { manifest: declarative("steps", { limits: { maxSteps: 0 } }) });
		expect(JSON.stringify(badSteps.body)).toContain("limits.maxSteps");
	});
});

describe("a declarative agent with the offline provider", () => {
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode();
		await t.node.ready;
	});
	afterAll(() => t.stop());

	it("answers from the memories it recalls", async () => {
		await spawnAgent(t, { id: "keeper", name: "Keeper", instructions: "Answer from what you remember.", memory: { recall: 2 } });
		await post(t, "/api/v1/agents/keeper/memories", { content: "The spare office key is in the blue drawer", type: "semantic" });
		await post(t, "/api/v1/agents/keeper/memories", { content: "Lunch is served at noon", type: "semantic" });
		const { body } = await post<ChatAnswer>(t, "/api/v1/agents/keeper/chat", { message: "Where is the spare office key?" });
		expect(body.recalled[0].content).toBe("The spare office key is in the blue drawer");
		expect(body).toMatchObject({ provider: "offline", stopReason: "answer" });
		expect(body.answer).toContain("blue drawer");
	});
});
