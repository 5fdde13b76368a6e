import type { ErrorBody } from "../../services/api.service";
import type { ChatResult, EmbedResult } from "../../lib/mal/results";
import { FAST_AGENT_ENV, echoManifest, post, spawnAgent, task } from "../support/agents";
import { startAnthropicServer, type AnthropicServer } from "../support/llm-wire/anthropic-server";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { echo } from "../support/llm-wire/script";
import { startTestNode, type TestNode } from "../support/test-node";

const ask = (content: string) => ({ messages: [{ role: "user", content }] });
const WEATHER_TOOL = { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } };

/**
 * The model layer against local servers that speak OpenAI's and Anthropic's wire formats
 * (no network here): the node's providers use the official `openai` and
 * `@anthropic-ai/sdk` clients, exactly as they would against the vendors.
 */
describe("model abstraction layer with the official SDKs", () => {
	let openai: OpenAIServer;
	let anthropic: AnthropicServer;
	let t: TestNode;
	const chat = (body: Record<string, unknown>) => post<ChatResult & ErrorBody>(t, "/api/v1/llm/chat", body);
	/** Each provider's circuit as GET /llm/models shows it. */
	const circuits = async () =>
		Object.fromEntries((await t.json<{ providers: { name: string; circuit: string }[] }>("/api/v1/llm/models")).providers.map(p => [p.name, p.circuit]));

	beforeAll(async () => {
		[openai, anthropic] = await Promise.all([startOpenAIServer({ apiKey: "sk-test" }), startAnthropicServer({ apiKey: "ak-test" })]);
		t = await startTestNode({
			...FAST_AGENT_ENV,
			OPENAI_API_KEY: "sk-test",
			OPENAI_BASE_URL: openai.url,
			ANTHROPIC_API_KEY: "ak-test",
			ANTHROPIC_BASE_URL: anthropic.url,
			ANTHROPIC_MODELS: "claude-3-5-haiku-latest",
			// A server at OPENAI_BASE_URL serves embeddings only when named (else the offline embedder does).
			LLM_EMBEDDING_MODEL: "text-embedding-3-small",
			LLM_MODEL_ALIASES: JSON.stringify({ smart: "claude-3-5-haiku-latest" }),
			LLM_RETRY_BASE_MS: "10",
			LLM_RETRY_MAX_MS: "3000",
			LLM_BREAKER_HALF_OPEN_MS: "800",
			LLM_TIMEOUT_MS: "3000",
			LLM_MAX_PROMPT_CHARS: "5000"
		});
		await t.node.ready;
	});
	afterAll(async () => {
		await t?.stop();
		await Promise.all([openai?.stop(), anthropic?.stop()]);
	});
	beforeEach(() => {
		openai.clearScript();
		anthropic.clearScript();
	});

	it("routes by model, provider/model and alias, and says who answered", async () => {
		const byModel = await chat({ model: "gpt-4o", ...ask("one") });
		expect(byModel.status).toBe(200);
		expect(byModel.body).toMatchObject({ provider: "openai", model: "gpt-4o", message: { role: "assistant", content: "echo: one" }, retries: 0, failovers: [] });
		expect(openai.requests.at(-1)!.body).toMatchObject({ model: "gpt-4o", messages: [{ role: "user", content: "one" }] });
		expect(openai.requests.at(-1)!.headers.authorization).toBe("Bearer sk-test");

		expect((await chat({ model: "smart", ...ask("two") })).body).toMatchObject({ provider: "anthropic", model: "claude-3-5-haiku-latest", message: { content: "echo: two" } });
		expect((await chat({ model: "anthropic/claude-3-5-haiku-latest", ...ask("three") })).body.provider).toBe("anthropic");
		expect((await chat(ask("four"))).body).toMatchObject({ provider: "openai", model: "gpt-4o-mini" });
	});

	it("meters tokens and cost from the provider's usage", async () => {
		openai.script({ kind: "text", text: "priced", usage: { input: 1000, output: 500 } });
		const { body } = await chat({ model: "gpt-4o", ...ask("cost") });
		expect(body.usage).toEqual({ promptTokens: 1000, completionTokens: 500, totalTokens: 1500 });
		expect(body.costUsd).toBeCloseTo((1000 * 2.5 + 500 * 10) / 1e6, 10);
		expect(body.priced).toBe(true);
		expect(body.requestId).toEqual(expect.any(String));
	});

	it.each([
		["openai", "gpt-4o-mini"],
		["anthropic", "claude-3-5-haiku-latest"]
	])("returns %s tool calls in one normalized shape", async (provider, model) => {
		(provider === "openai" ? openai : anthropic).script({ kind: "tool_calls", calls: [{ id: "call_1", name: "get_weather", arguments: { city: "Lyon" } }] });
		const { body } = await chat({ model, ...ask("weather in Lyon?"), tools: [WEATHER_TOOL] });
		expect(body.finishReason).toBe("tool_calls");
		expect(body.message.toolCalls).toEqual([{ id: "call_1", name: "get_weather", arguments: { city: "Lyon" } }]);
		const sent = (provider === "openai" ? openai : anthropic).requests.at(-1)!.body as { tools: Record<string, unknown>[] };
		expect(sent.tools[0]).toEqual(
			provider === "openai"
				? { type: "function", function: { name: "get_weather", description: "Weather for a city", parameters: WEATHER_TOOL.parameters } }
				: { name: "get_weather", description: "Weather for a city", input_schema: WEATHER_TOOL.parameters }
		);
	});

	it("sends a tool result back in each provider's own form", async () => {
		const messages = [
			{ role: "user", content: "weather?" },
			{ role: "assistant", content: null, toolCalls: [{ id: "call_9", name: "get_weather", arguments: { city: "Oslo" } }] },
			{ role: "tool", toolCallId: "call_9", content: "rain" }
		];
		await chat({ model: "gpt-4o-mini", messages, tools: [WEATHER_TOOL] });
		expect((openai.requests.at(-1)!.body as { messages: unknown[] }).messages[2]).toEqual({ role: "tool", content: "rain", tool_call_id: "call_9" });
		await chat({ model: "smart", messages, tools: [WEATHER_TOOL] });
		expect((anthropic.requests.at(-1)!.body as { messages: unknown[] }).messages).toEqual([
			{ role: "user", content: [{ type: "text", text: "weather?" }] },
			{ role: "assistant", content: [{ type: "tool_use", id: "call_9", name: "get_weather", input: { city: "Oslo" } }] },
			{ role: "user", content: [{ type: "tool_result", tool_use_id: "call_9", content: "rain" }] }
		]);
	});

	it("retries a failing provider, then succeeds", async () => {
		openai.script({ kind: "error", status: 500 }, { kind: "error", status: 502 }, { kind: "text", text: "third time" });
		const { body } = await chat(ask("retry"));
		expect(body).toMatchObject({ provider: "openai", retries: 2, failovers: [], message: { content: "third time" } });
	});

	it("honours a 429's retry-after", async () => {
		openai.script({ kind: "error", status: 429, retryAfterSeconds: 1 }, { kind: "text", text: "after the wait" });
		const started = Date.now();
		const { body } = await chat(ask("rate limited"));
		expect(body).toMatchObject({ provider: "openai", retries: 1, message: { content: "after the wait" } });
		expect(Date.now() - started).toBeGreaterThanOrEqual(950);
	});

	it("fails over along the chain when a provider keeps failing", async () => {
		openai.script({ kind: "error", status: 503 }, { kind: "error", status: 503 }, { kind: "error", status: 503 });
		const { status, body } = await chat(ask("failover"));
		expect(status).toBe(200);
		expect(body).toMatchObject({ provider: "anthropic", model: "claude-3-5-haiku-latest", retries: 2, message: { content: "echo: failover" } });
		expect(body.failovers).toEqual([{ provider: "openai", error: expect.stringContaining("HTTP 503") }]);
	});

	it("does not retry or fail over a request the provider refuses as such", async () => {
		openai.script({ kind: "error", status: 400, message: "bad request shape" });
		const before = anthropic.requests.length;
		const { status, body } = await chat(ask("refused"));
		expect(status).toBe(422);
		expect(body.error).toMatchObject({ type: "PROVIDER_REJECTED", message: expect.stringContaining("bad request shape") });
		expect(anthropic.requests.length).toBe(before);
	});

	it("cuts off a provider that keeps failing, then probes it again", async () => {
		openai.setDefault({ kind: "error", status: 500 });
		try {
			await chat(ask("break it")); // three failed attempts open the circuit; anthropic answers
			const seen = openai.requests.length;
			const cutOff = await chat(ask("while open"));
			expect(cutOff.body.provider).toBe("anthropic");
			expect(openai.requests.length).toBe(seen); // not even tried
			expect(cutOff.body.failovers[0]).toMatchObject({ provider: "openai" });
			expect(await circuits()).toEqual({ openai: "open", anthropic: "closed", offline: "closed" });
		} finally {
			openai.setDefault(echo);
		}
		await new Promise(r => setTimeout(r, 1000)); // half-open after LLM_BREAKER_HALF_OPEN_MS
		const probed = await chat(ask("healed"));
		expect(probed.body.provider).toBe("openai");
		expect(await circuits()).toEqual({ openai: "closed", anthropic: "closed", offline: "closed" });
	});

	it("streams tokens as server-sent events, ending with the metered result", async () => {
		for (const [model, server] of [["gpt-4o-mini", openai], ["smart", anthropic]] as const) {
			server.script({ kind: "text", text: "streamed words arrive one by one", usage: { input: 7, output: 6 } });
			const res = await t.request("/api/v1/llm/chat", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, stream: true, ...ask("stream") }) });
			expect(res.headers.get("content-type")).toContain("text/event-stream");
			const events = (await res.text()).trim().split("\n\n").map(block => ({ event: block.split("\n")[0].slice(7), data: JSON.parse(block.split("\n")[1].slice(6)) }));
			const texts = events.filter(e => e.event === "text").map(e => e.data.text);
			expect(texts.length).toBeGreaterThan(1);
			expect(texts.join("")).toBe("streamed words arrive one by one");
			expect(events.at(-1)).toMatchObject({ event: "end", data: { result: { usage: { promptTokens: 7, completionTokens: 6 }, message: { content: "streamed words arrive one by one" } } } });
		}
	});

	it("embeds with the configured embedding model", async () => {
		const { status, body } = await post<EmbedResult>(t, "/api/v1/llm/embeddings", { input: ["alpha", "beta"] });
		expect(status).toBe(200);
		expect(body).toMatchObject({ provider: "openai", model: "text-embedding-3-small", dimensions: 8 });
		expect(body.vectors).toHaveLength(2);
	});

	it("enforces an agent's budget before the call, and totals usage per agent", async () => {
		await t.request("/api/v1/llm/budgets/frugal", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ daily: { tokens: 100 } }) });
		openai.script({ kind: "text", text: "spend", usage: { input: 80, output: 40 } });
		expect((await chat({ agentId: "frugal", ...ask("first") })).status).toBe(200);
		const before = openai.requests.length;
		const refused = await chat({ agentId: "frugal", ...ask("second") });
		expect(refused.status).toBe(402);
		expect(refused.body.error).toMatchObject({ type: "BUDGET_EXCEEDED", data: { agentId: "frugal", period: "day", used: { tokens: 120 } } });
		expect(openai.requests.length).toBe(before);
		const usage = await t.json<{ rows: { key: string; calls: number; totalTokens: number }[] }>("/api/v1/llm/usage?groupBy=agent&agentId=frugal");
		expect(usage.rows).toEqual([{ key: "frugal", calls: 1, promptTokens: 80, completionTokens: 40, totalTokens: 120, costUsd: expect.any(Number) }]);
		// The same usage as a series: the agent's model in the current minute.
		const series = await t.json<{ bucket: string; rows: { at: string; key: string; totalTokens: number }[] }>("/api/v1/llm/usage?groupBy=model&bucket=minute&agentId=frugal");
		expect(series).toMatchObject({ bucket: "minute", rows: [{ key: "openai/gpt-4o-mini", totalTokens: 120 }] });
		expect(Date.now() - Date.parse(series.rows[0].at)).toBeLessThan(120_000);
		expect((await t.request("/api/v1/llm/usage?bucket=week")).status).toBe(422);
	});

	it("counts the budgets an agent's open jobs hold as spent: refused once spent + held reaches the monthly USD budget", async () => {
		const budgets = await t.request("/api/v1/llm/budgets/poster", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ monthly: { usd: 1 } }) });
		expect(budgets.status).toBe(200);
		await t.node.kernel.db.query("INSERT INTO agent_grants (agent_id, capability, granted_by) VALUES ('poster', 'social.post', 'test')");
		const asPoster = { meta: { caller: { kind: "agent", id: "poster" } } };
		// B = 1 USD; the job holds H = 0.90 of it, so the model may spend 0.10.
		const job = await t.node.broker.call<{ id: string }, object>("jobs.create", { title: "Hold my budget", description: "x", budgetUsd: 0.9 }, asPoster);
		// gpt-4o: 8,000 prompt tokens × $2.50/M + 10,000 completion tokens × $10/M = $0.12 spent (S).
		openai.script({ kind: "text", text: "pricey", usage: { input: 8000, output: 10000 } });
		const first = await chat({ agentId: "poster", model: "gpt-4o", ...ask("first") });
		expect(first.status).toBe(200); // 0 + 0.90 < 1
		expect(first.body.costUsd).toBeCloseTo(0.12, 10);
		// S + H = 0.12 + 0.90 ≥ 1: refused before the provider is called, though 0.12 alone is far below 1.
		const before = openai.requests.length;
		const refused = await chat({ agentId: "poster", model: "gpt-4o", ...ask("second") });
		expect(refused.status).toBe(402);
		expect(refused.body.error).toMatchObject({ type: "BUDGET_EXCEEDED", data: { agentId: "poster", period: "month", limit: { usd: 1 }, heldUsd: 0.9 } });
		expect(refused.body.error.message).toContain("$0.9000 is held by its open jobs");
		expect(openai.requests.length).toBe(before);
		// The job is cancelled, its hold released: 0.12 < 1 and the model answers again.
		await t.node.broker.call("jobs.cancel", { id: job.id }, asPoster);
		expect((await chat({ agentId: "poster", model: "gpt-4o", ...ask("third") })).status).toBe(200);
	});

	it.each([
		[{ model: "gpt-5-turbo-max", ...ask("x") }, 422, "UNKNOWN_MODEL"],
		[{ messages: [] }, 422, "VALIDATION_ERROR"],
		[{ messages: [{ role: "wizard", content: "x" }] }, 422, "VALIDATION_ERROR"],
		[ask("x".repeat(6000)), 413, "PROMPT_TOO_LARGE"]
	])("refuses a bad request with a clear 4xx (%#)", async (body, status, type) => {
		const res = await chat(body);
		expect(res.status).toBe(status);
		expect(res.body.error.type).toBe(type);
	});

	it("serves agents through ctx.llm with the agent's identity, and only with llm.execute", async () => {
		await spawnAgent(t, echoManifest("thinker", { permissions: ["llm.execute"] }));
		await spawnAgent(t, echoManifest("mute-llm"));
		const { body } = await task<ChatResult>(t, "thinker", { task: { type: "llm", prompt: "from an agent" } });
		expect(body.result).toMatchObject({ provider: "openai", message: { content: "echo: from an agent" } });
		const usage = await t.json<{ rows: { key: string }[] }>("/api/v1/llm/usage?groupBy=agent&agentId=thinker");
		expect(usage.rows.map(r => r.key)).toEqual(["thinker"]);
		// An agent's preferredModel routes its calls that name no model.
		await spawnAgent(t, echoManifest("claude-fan", { permissions: ["llm.execute"], preferredModel: "smart" }));
		expect((await task<ChatResult>(t, "claude-fan", { task: { type: "llm", prompt: "which?" } })).body.result).toMatchObject({ provider: "anthropic" });
		const denied = await task(t, "mute-llm", { task: { type: "llm", prompt: "x" } });
		expect(denied).toMatchObject({ status: 403, body: { error: { type: "PERMISSION_DENIED", message: expect.stringContaining("llm.execute") } } });
	});
});

describe("model layer with no keys at all", () => {
	it("answers chat and embeddings from the offline provider", async () => {
		const t = await startTestNode();
		try {
			await t.node.ready;
			const { body } = await post<ChatResult>(t, "/api/v1/llm/chat", ask("What is pgvector?"));
			expect(body).toMatchObject({ provider: "offline", model: "offline-extractive", costUsd: 0 });
			expect(body.message.content).toContain("(offline model)");
			const emb = await post<EmbedResult>(t, "/api/v1/llm/embeddings", { input: "hello world" });
			expect(emb.body).toMatchObject({ provider: "offline", model: "offline-hash-384", dimensions: 384 });
		} finally {
			await t.stop();
		}
	});
});
