import fs from "node:fs";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { AuditRecord } from "../../lib/security/audit-log";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { echoManifest, FAST_AGENT_ENV, post, spawnAgent, untilState } from "../support/agents";
import { startTestNode, type TestNode } from "../support/test-node";
import { testTempDir } from "../support/test-tmp";

/** MCP hosts reach AgentOS at /mcp with the SDK's own client, as a desktop host or IDE would. */
describe("the MCP server at /mcp", () => {
	let openai: OpenAIServer;
	let t: TestNode;
	const workspace = testTempDir("agentos-mcp-");
	const clients: Client[] = [];

	async function connect(token: string): Promise<Client> {
		const client = new Client({ name: "mcp-server-spec", version: "1.0.0" });
		await client.connect(new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
		clients.push(client);
		return client;
	}

	async function tokenWith(...scopes: string[]): Promise<string> {
		const { status, body } = await post<{ token: string }>(t, "/api/v1/tokens", { name: `mcp-${scopes.join("-")}`, scopes });
		expect(status).toBe(201);
		return body.token;
	}

	const rpc = (body: string, headers: Record<string, string> = {}) =>
		fetch(`${t.url}/mcp`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${t.token}`, ...headers }, body });

	beforeAll(async () => {
		fs.writeFileSync(path.join(workspace, "notes.txt"), "The launch is on the 14th.");
		openai = await startOpenAIServer({ apiKey: "sk-test" });
		t = await startTestNode({ ...FAST_AGENT_ENV, ALLOWED_PATHS: workspace, OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: openai.url, LLM_RETRY_BASE_MS: "10", GATEWAY_MAX_PAYLOAD_BYTES: "65536" });
		await t.node.ready;
		await spawnAgent(
			t,
			echoManifest("echo", {
				description: "Repeats what it is given",
				trustLevel: "autonomous",
				taskTypes: { echo: { description: "Echoes the task back", schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] } } }
			})
		);
		await spawnAgent(t, echoManifest("napper", { trustLevel: "autonomous" }));
		await spawnAgent(t, echoManifest("reader", { trustLevel: "autonomous", permissions: ["tools.execute", "fs.read"] }));
		await spawnAgent(t, { id: "helper", name: "Helper", description: "Answers questions", instructions: "Answer briefly.", trustLevel: "autonomous", memory: { recall: 0 } });
		await spawnAgent(t, { id: "frugal", name: "Frugal", instructions: "Answer briefly.", trustLevel: "autonomous", memory: { recall: 0 }, limits: { maxTokensPerTask: 10 } });
		await Promise.all(["echo", "napper", "reader", "helper", "frugal"].map(id => untilState(t, id, "running")));
	});
	afterAll(async () => {
		await Promise.all(clients.map(c => c.close()));
		await t.stop();
		await openai.stop();
		fs.rmSync(workspace, { recursive: true, force: true });
	});

	it("lists each agent as ask_<id> with the schema of its task types, declarative agents as a chat", async () => {
		const client = await connect(await tokenWith("tasks"));
		const { tools } = await client.listTools();
		const byName = new Map(tools.map(tool => [tool.name, tool]));
		expect([...byName.keys()].sort()).toEqual(["ask_echo", "ask_frugal", "ask_helper", "ask_napper", "ask_reader"]);
		const echo = byName.get("ask_echo")!;
		expect(echo.description).toContain("Repeats what it is given");
		expect(echo.inputSchema).toMatchObject({
			type: "object",
			required: ["task"],
			properties: { task: { anyOf: [{ description: "Echoes the task back", required: ["type", "text"], properties: { type: { const: "echo" }, text: { type: "string" } } }] } }
		});
		expect(byName.get("ask_helper")!.inputSchema).toMatchObject({ type: "object", required: ["message"], properties: { message: { type: "string" }, sessionId: { type: "string" } } });
		// Without the scope that runs tools as an agent, no node tool is offered.
		expect(tools.some(tool => tool.name.startsWith("tool_"))).toBe(false);
	});

	it("offers the node's tools to a token that may run them as an agent (admin), under names MCP allows", async () => {
		const { tools } = await (await connect(t.token)).listTools();
		const fetchTool = tools.find(tool => tool.name === "tool_builtin_http_fetch");
		expect(fetchTool?.inputSchema).toMatchObject({ required: ["agentId"], properties: { agentId: { type: "string" }, arguments: { type: "object", properties: { url: expect.any(Object) } } } });
		for (const tool of tools) expect(tool.name).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
		expect(new Set(tools.map(tool => tool.name)).size).toBe(tools.length);
	});

	it("runs a node tool as the agent it names, through that agent's grants", async () => {
		const client = await connect(t.token);
		const read = (await client.callTool({ name: "tool_builtin_file_read", arguments: { agentId: "reader", arguments: { path: "notes.txt" } } })) as CallToolResult;
		expect(read.isError).toBeFalsy();
		expect((read.content[0] as { text: string }).text).toContain("The launch is on the 14th.");
		// The echo agent holds no grant to run tools: refused, and the reason reaches the host.
		const refused = (await client.callTool({ name: "tool_builtin_file_read", arguments: { agentId: "echo", arguments: { path: "notes.txt" } } })) as CallToolResult;
		expect(refused).toMatchObject({ isError: true, structuredContent: { error: { type: "PERMISSION_DENIED" } } });
		expect((refused.content[0] as { text: string }).text).toMatch(/^PERMISSION_DENIED: Agent echo lacks the permission/);
		// A token without admin may not act as an agent, so it may not run node tools.
		const scoped = await connect(await tokenWith("tasks"));
		const forbidden = (await scoped.callTool({ name: "tool_builtin_file_read", arguments: { agentId: "reader", arguments: { path: "notes.txt" } } })) as CallToolResult;
		expect(forbidden).toMatchObject({ isError: true, structuredContent: { error: { type: "FORBIDDEN_SCOPE" } } });
	});

	it("runs a code agent's task and answers its result as text and as JSON, audited as the token's call", async () => {
		const client = await connect(await tokenWith("tasks"));
		const result = (await client.callTool({ name: "ask_echo", arguments: { task: { type: "echo", text: "hello over MCP" } } })) as CallToolResult;
		expect(result.isError).toBeFalsy();
		const structured = result.structuredContent as { taskId: string; result: { echo: { text: string }; caller: { kind: string; id: string } } };
		expect(structured.result.echo).toEqual({ type: "echo", text: "hello over MCP" });
		expect(result.content[0]).toMatchObject({ type: "text", text: expect.stringContaining("hello over MCP") });
		// The task is an AgentOS task like any other, and the audit log names the token that asked.
		expect(await t.json(`/api/v1/tasks/${structured.taskId}`)).toMatchObject({ agentId: "echo", status: "succeeded", type: "echo" });
		await t.node.audit.flush();
		const { items } = await t.json<{ items: AuditRecord[] }>("/api/v1/audit?action=agents.submitTask&outcome=succeeded");
		const entry = items.find(e => e.target === "echo");
		expect(entry?.principal).toMatchObject({ kind: "user", id: expect.stringMatching(/^token:/) });
	});

	it("refuses a task the agent's schema does not accept as a tool error naming the field", async () => {
		const result = (await (await connect(t.token)).callTool({ name: "ask_echo", arguments: { task: { type: "echo" } } })) as CallToolResult;
		expect(result).toMatchObject({ isError: true, structuredContent: { error: { type: "TASK_INVALID" } } });
		expect((result.content[0] as { text: string }).text).toMatch(/^TASK_INVALID: .*text/);
	});

	it("chats with a declarative agent in the session the call names", async () => {
		openai.script({ kind: "text", text: "Paris.", usage: { input: 20, output: 2 } });
		const client = await connect(await tokenWith("tasks"));
		const result = (await client.callTool({ name: "ask_helper", arguments: { message: "Capital of France?", sessionId: "mcp-1" } })) as CallToolResult;
		expect(result.isError).toBeFalsy();
		expect(result.content).toEqual([{ type: "text", text: "Paris." }]);
		expect(result.structuredContent).toMatchObject({ answer: "Paris.", sessionId: "mcp-1", usage: { totalTokens: 22 } });
	});

	it("says why a declarative agent stopped without an answer (its token limit per task)", async () => {
		openai.script({ kind: "tool_calls", calls: [{ id: "c1", name: "builtin_file_read", arguments: { path: "notes.txt" } }], usage: { input: 20, output: 5 } });
		const result = (await (await connect(t.token)).callTool({ name: "ask_frugal", arguments: { message: "Read my notes" } })) as CallToolResult;
		expect(result.content).toEqual([{ type: "text", text: "(no answer: the agent stopped with budget_tokens)" }]);
		expect(result.structuredContent).toMatchObject({ answer: null, stopReason: "budget_tokens" });
	});

	it("refuses a call without the tasks scope as a tool error naming the scope, and lists no agents to it", async () => {
		const client = await connect(await tokenWith("agents:read"));
		expect((await client.listTools()).tools).toEqual([]);
		const result = (await client.callTool({ name: "ask_echo", arguments: { task: { type: "echo", text: "x" } } })) as CallToolResult;
		expect(result).toMatchObject({ isError: true, structuredContent: { error: { type: "FORBIDDEN_SCOPE" } } });
		expect((result.content[0] as { text: string }).text).toContain('"tasks"');
		// Audited as a refusal, as REST records one.
		await t.node.audit.flush();
		const { items } = await t.json<{ items: AuditRecord[] }>("/api/v1/audit?action=gateway.POST%20/mcp&outcome=denied");
		expect(items.some(e => (e.data as { reason?: string }).reason === "missing scope tasks")).toBe(true);
	});

	it("refuses a quarantined agent's task as a tool error naming the sanction", async () => {
		const { status } = await post(t, "/api/v1/sanctions", { agentId: "napper", kind: "quarantine", reason: "checking a report" });
		expect(status).toBe(201);
		const result = (await (await connect(t.token)).callTool({ name: "ask_napper", arguments: { task: { type: "echo", text: "x" } } })) as CallToolResult;
		expect(result).toMatchObject({ isError: true, structuredContent: { error: { type: "AGENT_QUARANTINED", data: { agentId: "napper", kind: "quarantine" } } } });
		expect((result.content[0] as { text: string }).text).toContain("checking a report");
	});

	it("answers an unknown tool with an MCP protocol error", async () => {
		const client = await connect(t.token);
		await expect(client.callTool({ name: "ask_nobody", arguments: {} })).rejects.toThrow(McpError);
		await expect(client.callTool({ name: "tool_nothing_here", arguments: {} })).rejects.toThrow(/Unknown tool: tool_nothing_here/);
	});

	it("refuses a missing or wrong token with 401 and a Bearer challenge", async () => {
		const none = await rpc('{"jsonrpc":"2.0","id":1,"method":"tools/list"}', { authorization: "" });
		expect(none.status).toBe(401);
		expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
		const wrong = await rpc('{"jsonrpc":"2.0","id":1,"method":"tools/list"}', { authorization: "Bearer not-a-token" });
		expect(wrong.status).toBe(401);
		expect(wrong.headers.get("www-authenticate")).toContain('error="invalid_token"');
		expect(await wrong.json()).toMatchObject({ jsonrpc: "2.0", error: { data: { type: "INVALID_TOKEN" } }, id: null });
		const client = new Client({ name: "no-token", version: "1.0.0" });
		await expect(client.connect(new StreamableHTTPClientTransport(new URL(`${t.url}/mcp`)))).rejects.toMatchObject({ code: 401, message: expect.stringContaining("NO_TOKEN") });
	});

	it("answers bad JSON-RPC with JSON-RPC errors and a too-large body with 413, never a 500", async () => {
		const notJson = await rpc("{not json");
		expect(notJson.status).toBe(400);
		expect(await notJson.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32700 } });
		const notRpc = await rpc('{"hello":"world"}');
		expect(notRpc.status).toBe(400);
		expect(await notRpc.json()).toMatchObject({ jsonrpc: "2.0", error: { code: expect.any(Number) } });
		const tooLarge = await rpc(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { pad: "x".repeat(70_000) } }));
		expect(tooLarge.status).toBe(413);
		expect(await tooLarge.json()).toMatchObject({ error: { data: { type: "PAYLOAD_TOO_LARGE" } } });
		const get = await fetch(`${t.url}/mcp`, { headers: { authorization: `Bearer ${t.token}`, accept: "text/event-stream" } });
		expect(get.status).toBe(405);
	});
});

describe("the MCP server under the gateway's rate limit", () => {
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode({ GATEWAY_MESSAGE_RATE_LIMIT: "3" });
		await t.node.ready;
	});
	afterAll(() => t.stop());

	it("answers 429 with Retry-After once a token's requests for the minute are spent", async () => {
		const list = () =>
			fetch(`${t.url}/mcp`, {
				method: "POST",
				headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${t.token}` },
				body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
			});
		const statuses: number[] = [];
		for (let i = 0; i < 4; i++) statuses.push((await list()).status);
		expect(statuses).toEqual([200, 200, 200, 429]);
		const limited = await list();
		expect(limited.status).toBe(429);
		expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
		expect(await limited.json()).toMatchObject({ jsonrpc: "2.0", error: { data: { type: "RATE_LIMITED" } } });
	});
});
