import OpenAI from "openai";
import type { AuditRecord } from "../../lib/security/audit-log";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { FAST_AGENT_ENV, FIXTURE_AGENTS, echoManifest, post, spawnAgent, untilState } from "../support/agents";
import { startTestNode, type TestNode } from "../support/test-node";

const declarative = (id: string) => ({ id, name: `Declarative ${id}`, instructions: "You are a helpful assistant.", trustLevel: "autonomous", memory: { recall: 0 } });

type UpstreamMessage = { role: string; content: string | null };

/** The official `openai` client, unmodified, pointed at a real node's /v1. */
describe("the OpenAI-compatible endpoint, through the official openai client", () => {
	let upstream: OpenAIServer;
	let t: TestNode;
	let admin: OpenAI;
	const client = (apiKey: string) => new OpenAI({ baseURL: `${t.url}/v1`, apiKey, maxRetries: 0 });
	const tokenWith = async (name: string, scopes: string[]) => (await post<{ id: string; token: string }>(t, "/api/v1/tokens", { name, scopes })).body;
	const lastUpstream = () => upstream.requests.filter(r => r.path.endsWith("/chat/completions")).at(-1)!.body as { messages: UpstreamMessage[]; tools?: { function: { name: string } }[] };

	beforeAll(async () => {
		upstream = await startOpenAIServer({ apiKey: "sk-up" });
		t = await startTestNode({ ...FAST_AGENT_ENV, AGENT_INPROCESS_PATHS: FIXTURE_AGENTS, OPENAI_API_KEY: "sk-up", OPENAI_BASE_URL: upstream.url, LLM_RETRY_BASE_MS: "10" });
		await t.node.ready;
		await spawnAgent(t, declarative("helper"));
		await spawnAgent(t, echoManifest("coder", { runtime: "inprocess", trustLevel: "autonomous" }));
		await untilState(t, "helper", "running");
		await untilState(t, "coder", "running");
		admin = client(t.token);
	});
	afterEach(() => upstream.clearScript());
	afterAll(async () => {
		await t?.stop();
		await upstream?.stop();
	});

	describe("GET /v1/models", () => {
		it("lists the agents a token may task and, with the llm scope, the model layer's names", async () => {
			const ids = (await admin.models.list()).data.map(m => m.id);
			expect(ids).toEqual(expect.arrayContaining(["agent:helper", "agent:coder", "openai/gpt-4o-mini"]));
			const [entry] = (await admin.models.list()).data.filter(m => m.id === "agent:helper");
			expect(entry).toMatchObject({ object: "model", owned_by: expect.any(String), created: expect.any(Number) });
			expect(entry.created).toBeGreaterThan(1_700_000_000);
		});

		it("shows a token without the llm scope its agents and no model names, and one without tasks no agents", async () => {
			const tasksOnly = (await client((await tokenWith("tasks-only", ["tasks"])).token).models.list()).data.map(m => m.id);
			expect(tasksOnly).toEqual(expect.arrayContaining(["agent:helper", "agent:coder"]));
			expect(tasksOnly.filter(id => !id.startsWith("agent:"))).toEqual([]);
			const llmOnly = (await client((await tokenWith("llm-only", ["llm"])).token).models.list()).data.map(m => m.id);
			expect(llmOnly).toContain("openai/gpt-4o-mini");
			expect(llmOnly.filter(id => id.startsWith("agent:"))).toEqual([]);
		});
	});

	describe("a chat with an agent", () => {
		it("answers a plain completion from a declarative agent's loop, with usage", async () => {
			upstream.script({ kind: "text", text: "Hello from the helper.", usage: { input: 30, output: 5 } });
			const completion = await admin.chat.completions.create({ model: "agent:helper", messages: [{ role: "user", content: "Say hello" }] });
			expect(completion).toMatchObject({ object: "chat.completion", model: "agent:helper", choices: [{ index: 0, message: { role: "assistant", content: "Hello from the helper." }, finish_reason: "stop" }] });
			expect(completion.usage).toEqual({ prompt_tokens: 30, completion_tokens: 5, total_tokens: 35 });
			// The agent ran its own loop: its instructions went to the model.
			expect(lastUpstream().messages[0]).toMatchObject({ role: "system", content: expect.stringContaining("helpful assistant") });
		});

		it("streams an agent's answer as chunks ending in [DONE], the usage in the last chunk", async () => {
			upstream.script({ kind: "text", text: "Streaming works fine.", usage: { input: 20, output: 4 } });
			const stream = await admin.chat.completions.create({ model: "agent:helper", messages: [{ role: "user", content: "Stream" }], stream: true, stream_options: { include_usage: true } });
			const chunks = [];
			for await (const chunk of stream) chunks.push(chunk);
			expect(chunks.every(c => c.object === "chat.completion.chunk")).toBe(true);
			expect(chunks.map(c => c.choices[0]?.delta.content ?? "").join("")).toBe("Streaming works fine.");
			expect(chunks.filter(c => (c.choices[0]?.delta.content ?? "") !== "").length).toBeGreaterThan(1);
			expect(chunks.find(c => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe("stop");
			expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 20, completion_tokens: 4, total_tokens: 24 } });

			// On the wire: data-only events, the last one [DONE].
			upstream.script({ kind: "text", text: "Raw." });
			const res = await t.request("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "agent:helper", messages: [{ role: "user", content: "Raw" }], stream: true }) });
			expect(res.headers.get("content-type")).toContain("text/event-stream");
			const frames = (await res.text()).trim().split("\n\n");
			expect(frames.at(-1)).toBe("data: [DONE]");
			expect(frames.every(f => f.startsWith("data: "))).toBe(true);
		});

		it("keeps a session by the user field (and X-Session-Id), so the agent remembers earlier turns", async () => {
			upstream.script({ kind: "text", text: "Nice to meet you, Ada." }, { kind: "text", text: "You are Ada." });
			await admin.chat.completions.create({ model: "agent:helper", user: "session-ada", messages: [{ role: "user", content: "My name is Ada." }] });
			const second = await admin.chat.completions.create({ model: "agent:helper", user: "session-ada", messages: [{ role: "user", content: "What is my name?" }] });
			expect(second.choices[0].message.content).toBe("You are Ada.");
			expect(lastUpstream().messages.map(m => m.content)).toEqual(expect.arrayContaining(["My name is Ada.", "Nice to meet you, Ada.", "What is my name?"]));

			// A header names the session as well; another session starts afresh.
			upstream.script({ kind: "text", text: "ok" });
			await admin.chat.completions.create({ model: "agent:helper", messages: [{ role: "user", content: "Who am I?" }] }, { headers: { "X-Session-Id": "session-ada" } });
			expect(lastUpstream().messages.map(m => m.content)).toContain("My name is Ada.");
			upstream.script({ kind: "text", text: "ok" });
			await admin.chat.completions.create({ model: "agent:helper", user: "session-other", messages: [{ role: "user", content: "Who am I?" }] });
			expect(lastUpstream().messages.map(m => m.content)).not.toContain("My name is Ada.");
		});

		it("gives a code agent a chat task and answers with what it returned", async () => {
			const completion = await admin.chat.completions.create({ model: "agent:coder", messages: [{ role: "user", content: "hi" }] });
			expect(JSON.parse(completion.choices[0].message.content!)).toEqual({ unknown: "chat" });
		});

		it("audits the call as the token that made it, and meters the model use to the agent", async () => {
			const token = await tokenWith("chat-app", ["tasks"]);
			upstream.script({ kind: "text", text: "Metered.", usage: { input: 11, output: 2 } });
			const before = await t.json<{ rows: { key: string; calls: number }[] }>("/api/v1/llm/usage?groupBy=agent");
			await client(token.token).chat.completions.create({ model: "agent:helper", messages: [{ role: "user", content: "count me" }] });
			await t.node.audit.flush();
			const audit = await t.json<{ items: AuditRecord[] }>(`/api/v1/audit?action=agents.submitTask&actorId=token:${token.id}`);
			expect(audit.items).toHaveLength(1);
			expect(audit.items[0]).toMatchObject({ actor: { kind: "user", id: `token:${token.id}` }, target: "helper", outcome: "succeeded" });
			const after = await t.json<{ rows: { key: string; calls: number }[] }>("/api/v1/llm/usage?groupBy=agent");
			const calls = (u: typeof before) => u.rows.find(r => r.key === "helper")?.calls ?? 0;
			expect(calls(after)).toBe(calls(before) + 1);
		});
	});

	describe("the model path", () => {
		it("answers straight from the model layer, metered and audited as the token", async () => {
			upstream.script({ kind: "text", text: "Direct answer.", usage: { input: 9, output: 3 } }, { kind: "text", text: "Streamed answer." });
			const token = await tokenWith("llm-app", ["llm"]);
			const before = await t.json<{ total: { calls: number } }>("/api/v1/llm/usage");
			const completion = await client(token.token).chat.completions.create({ model: "openai/gpt-4o-mini", messages: [{ role: "system", content: "Be terse." }, { role: "user", content: "Hi" }] });
			expect(completion).toMatchObject({ object: "chat.completion", choices: [{ message: { content: "Direct answer." }, finish_reason: "stop" }], usage: { total_tokens: 12 } });
			expect(lastUpstream().messages).toEqual([expect.objectContaining({ role: "system", content: "Be terse." }), expect.objectContaining({ role: "user", content: "Hi" })]);
			const stream = await client(token.token).chat.completions.create({ model: "fast", stream: true, messages: [{ role: "user", content: "Hi" }] });
			for await (const chunk of stream) void chunk;
			expect((await t.json<{ total: { calls: number } }>("/api/v1/llm/usage")).total.calls).toBe(before.total.calls + 2);
			await t.node.audit.flush();
			const audit = await t.json<{ items: AuditRecord[] }>(`/api/v1/audit?action=mal.*&actorId=token:${token.id}`);
			expect(audit.items.map(e => [e.action, e.outcome]).sort()).toEqual([
				["mal.chat", "succeeded"],
				["mal.stream", "succeeded"]
			]);
		});

		it("passes the client's tools through and returns the model's tool calls in OpenAI's shape", async () => {
			upstream.script({ kind: "tool_calls", calls: [{ id: "call_w1", name: "get_weather", arguments: { city: "Oslo" } }] });
			const tools = [{ type: "function" as const, function: { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
			const completion = await admin.chat.completions.create({ model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "Weather in Oslo?" }], tools });
			expect(completion.choices[0]).toMatchObject({ finish_reason: "tool_calls", message: { tool_calls: [{ id: "call_w1", type: "function", function: { name: "get_weather" } }] } });
			const call = completion.choices[0].message.tool_calls![0];
			expect(call.type === "function" && JSON.parse(call.function.arguments)).toEqual({ city: "Oslo" });
			expect(lastUpstream().tools?.map(tool => tool.function.name)).toEqual(["get_weather"]);

			// The tool's answer goes back as a tool message, and streaming carries tool calls too.
			upstream.script({ kind: "text", text: "It is sunny in Oslo." });
			const answer = await admin.chat.completions.create({
				model: "openai/gpt-4o-mini",
				tools,
				messages: [{ role: "user", content: "Weather in Oslo?" }, completion.choices[0].message, { role: "tool", tool_call_id: "call_w1", content: "sunny" }]
			});
			expect(answer.choices[0].message.content).toBe("It is sunny in Oslo.");
			upstream.script({ kind: "tool_calls", calls: [{ id: "call_w2", name: "get_weather", arguments: { city: "Bergen" } }] });
			const stream = await admin.chat.completions.create({ model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "Bergen?" }], tools, stream: true });
			const calls = [];
			for await (const chunk of stream) calls.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
			expect(calls).toEqual([expect.objectContaining({ index: 0, id: "call_w2", function: { name: "get_weather", arguments: JSON.stringify({ city: "Bergen" }) } })]);
		});
	});

	describe("errors, in OpenAI's shape", () => {
		const refusal = async (call: Promise<unknown>) => {
			const err = await call.then(() => undefined, (e: unknown) => e);
			expect(err).toBeInstanceOf(OpenAI.APIError);
			const e = err as InstanceType<typeof OpenAI.APIError>;
			return { status: e.status, code: e.code, param: e.param, type: e.type, message: e.message };
		};
		const ask = (c: OpenAI, model: string, extra: Record<string, unknown> = {}) => c.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], ...extra });

		it("404 model_not_found for an unknown model or agent", async () => {
			expect(await refusal(ask(admin, "no-such-model"))).toMatchObject({ status: 404, code: "model_not_found", param: "model" });
			expect(await refusal(ask(admin, "agent:nobody"))).toMatchObject({ status: 404, code: "model_not_found", param: "model" });
			expect(await refusal(ask(admin, "agent:nobody", { stream: true }))).toMatchObject({ status: 404, code: "model_not_found" });
		});

		it("403 without the scope the model needs, 401 with a wrong or no token", async () => {
			const tasksOnly = client((await tokenWith("no-llm", ["tasks"])).token);
			expect(await refusal(ask(tasksOnly, "openai/gpt-4o-mini"))).toMatchObject({ status: 403, type: "permission_error", code: "forbidden_scope" });
			const llmOnly = client((await tokenWith("no-tasks", ["llm"])).token);
			expect(await refusal(ask(llmOnly, "agent:helper"))).toMatchObject({ status: 403, type: "permission_error" });
			expect(await refusal(ask(client("wrong-token"), "agent:helper"))).toMatchObject({ status: 401, code: "invalid_api_key" });
			const res = await t.request("/v1/models", { auth: false });
			expect(res.status).toBe(401);
			expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error", code: "invalid_api_key", param: null, message: expect.stringContaining("Bearer") } });
		});

		it("400 naming the bad field, and 413 for an oversized body", async () => {
			const noMessages = await refusal(admin.chat.completions.create({ model: "agent:helper", messages: [] }));
			expect(noMessages).toMatchObject({ status: 400, param: "messages", type: "invalid_request_error" });
			expect(await refusal(ask(admin, "openai/gpt-4o-mini", { temperature: 7 }))).toMatchObject({ status: 400, param: "temperature" });
			const badRole = await refusal(admin.chat.completions.create({ model: "agent:helper", messages: [{ role: "wizard", content: "x" } as never] }));
			expect(badRole).toMatchObject({ status: 400, param: "messages[0].role" });
			const huge = "x".repeat(t.node.kernel.config.GATEWAY_MAX_PAYLOAD_BYTES + 10);
			const res = await t.request("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "agent:helper", messages: [{ role: "user", content: huge }] }) });
			expect(res.status).toBe(413);
			expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error", code: "request_too_large" } });
			const notJson = await t.request("/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
			expect(notJson.status).toBe(400);
			expect(await notJson.json()).toMatchObject({ error: { code: "invalid_json" } });
		});

		it("429 insufficient_quota when the agent's model budget is spent", async () => {
			await spawnAgent(t, declarative("broke"));
			await untilState(t, "broke", "running");
			const put = await t.request("/api/v1/llm/budgets/broke", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ daily: { tokens: 100 } }) });
			expect(put.status).toBe(200);
			upstream.script({ kind: "text", text: "spent", usage: { input: 80, output: 40 } });
			expect((await ask(admin, "agent:broke")).choices[0].message.content).toBe("spent");
			expect(await refusal(ask(admin, "agent:broke"))).toMatchObject({ status: 429, type: "insufficient_quota", code: "insufficient_quota" });
		});

		it("refuses a quarantined agent with its own status", async () => {
			await spawnAgent(t, declarative("rogue"));
			await untilState(t, "rogue", "running");
			expect((await post(t, "/api/v1/sanctions", { agentId: "rogue", kind: "quarantine", reason: "checking a report" })).status).toBe(201);
			const refused = await refusal(ask(admin, "agent:rogue"));
			expect(refused).toMatchObject({ status: 423, code: "agent_quarantined", message: expect.stringContaining("quarantined") });
			expect(await refusal(ask(admin, "agent:rogue", { stream: true }))).toMatchObject({ status: 423, code: "agent_quarantined" });
		});
	});
});

describe("the OpenAI-compatible endpoint under the gateway's rate limit", () => {
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode({ GATEWAY_MESSAGE_RATE_LIMIT: "3" });
		await t.node.ready;
	});
	afterAll(() => t?.stop());

	it("counts its requests with the REST API's and answers 429 rate_limit_exceeded with Retry-After", async () => {
		const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: t.token, maxRetries: 0 });
		expect((await t.request("/api/v1/node")).status).toBe(200);
		await client.models.list();
		await client.models.list();
		const err = await client.models.list().then(
			() => undefined,
			(e: unknown) => e
		);
		expect(err).toBeInstanceOf(OpenAI.RateLimitError);
		const e = err as InstanceType<typeof OpenAI.RateLimitError>;
		expect(e).toMatchObject({ status: 429, code: "rate_limit_exceeded", type: "requests" });
		expect(Number(e.headers?.get("retry-after"))).toBeGreaterThan(0);
	});
});
