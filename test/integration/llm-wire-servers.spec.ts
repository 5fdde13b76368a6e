import Anthropic, { APIError as AnthropicAPIError } from "@anthropic-ai/sdk";
import OpenAI, { APIError as OpenAIAPIError } from "openai";
import { startAnthropicServer, type AnthropicServer } from "../support/llm-wire/anthropic-server";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { fakeEmbedding, realmSafeFetch } from "../support/llm-wire/script";

// Self-check of the fake vendor servers: the official SDKs themselves must accept
// what they send, so provider tests built on them test real client behaviour.
jest.setTimeout(30_000);

/** The rejection of `promise` (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
	try {
		await promise;
	} catch (err) {
		return err;
	}
	throw new Error("expected a rejection");
}

const weather = {
	type: "function" as const,
	function: { name: "get_weather", description: "Weather for a city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }
};

describe("OpenAI wire server, driven by the openai SDK", () => {
	let server: OpenAIServer;
	let client: OpenAI;

	beforeAll(async () => {
		server = await startOpenAIServer({ apiKey: "sk-test" });
		client = new OpenAI({ baseURL: server.url, apiKey: "sk-test", maxRetries: 0 });
	});
	afterAll(() => server.stop());
	beforeEach(() => {
		server.requests.length = 0;
		server.clearScript();
		server.setDefault({ kind: "text", text: "default reply" });
	});

	it("echoes the last user message by default and records what the client sent", async () => {
		const fresh = await startOpenAIServer();
		try {
			const sdk = new OpenAI({ baseURL: fresh.url, apiKey: "anything", maxRetries: 0 });
			const messages = [
				{ role: "system" as const, content: "be brief" },
				{ role: "user" as const, content: [{ type: "text" as const, text: "hello there" }] }
			];
			const completion = await sdk.chat.completions.create({ model: "gpt-4o-mini", messages, temperature: 0 });
			expect(completion).toMatchObject({ object: "chat.completion", model: "gpt-4o-mini" });
			expect(completion.choices[0]).toMatchObject({ index: 0, finish_reason: "stop", message: { role: "assistant", content: "echo: hello there" } });
			const usage = completion.usage!;
			expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
			expect(fresh.requests).toHaveLength(1);
			expect(fresh.requests[0]).toMatchObject({ method: "POST", path: "/v1/chat/completions", headers: { authorization: "Bearer anything" } });
			expect(fresh.requests[0].body).toEqual({ model: "gpt-4o-mini", messages, temperature: 0 });
		} finally {
			await fresh.stop();
		}
	});

	it("returns scripted text, usage and model, then falls back to the default", async () => {
		server.script({ kind: "text", text: "scripted", usage: { input: 11, output: 3 }, model: "gpt-x" }, (request) => ({ kind: "text", text: `model was ${String(request.body.model)}` }));
		const ask = () => client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
		const first = await ask();
		expect(first.model).toBe("gpt-x");
		expect(first.choices[0].message.content).toBe("scripted");
		expect(first.usage).toEqual({ prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });
		expect((await ask()).choices[0].message.content).toBe("model was gpt-4o-mini");
		expect((await ask()).choices[0].message.content).toBe("default reply");
	});

	it("returns tool calls with JSON-string arguments", async () => {
		server.script({ kind: "tool_calls", calls: [{ id: "call_a", name: "get_weather", arguments: { city: "Oslo" } }, { name: "get_weather", arguments: { city: "Lima" } }] });
		const completion = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "weather?" }], tools: [weather] });
		const choice = completion.choices[0];
		expect(choice.finish_reason).toBe("tool_calls");
		expect(choice.message.content).toBeNull();
		const calls = choice.message.tool_calls!.map((c) => (c.type === "function" ? { id: c.id, name: c.function.name, args: JSON.parse(c.function.arguments) } : c));
		expect(calls[0]).toEqual({ id: "call_a", name: "get_weather", args: { city: "Oslo" } });
		expect(calls[1]).toMatchObject({ name: "get_weather", args: { city: "Lima" } });
		expect(server.requests[0].body.tools).toEqual([weather]);
	});

	it("streams text in several deltas, a finish chunk, a usage chunk and [DONE]", async () => {
		server.script({ kind: "text", text: "The quick brown fox jumps", usage: { input: 5, output: 6 } });
		const stream = await client.chat.completions.create({
			model: "gpt-4o-mini",
			messages: [{ role: "user", content: "go" }],
			stream: true,
			stream_options: { include_usage: true }
		});
		const chunks: OpenAI.ChatCompletionChunk[] = [];
		for await (const chunk of stream) chunks.push(chunk);
		const deltas = chunks.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? "")).filter((d) => d !== "");
		expect(deltas.length).toBeGreaterThanOrEqual(3);
		expect(deltas.join("")).toBe("The quick brown fox jumps");
		expect(chunks[0].choices[0].delta.role).toBe("assistant");
		expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0].id)).toBe(true);
		expect(chunks.flatMap((c) => c.choices.map((ch) => ch.finish_reason)).filter(Boolean)).toEqual(["stop"]);
		expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 } });
	});

	it("streams tool calls whose arguments arrive in fragments", async () => {
		const args = { city: "Reykjavík", units: "metric", days: 3 };
		server.script({ kind: "tool_calls", text: "Checking.", calls: [{ id: "call_1", name: "get_weather", arguments: args }, { id: "call_2", name: "get_time", arguments: {} }] });
		const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "go" }], tools: [weather], stream: true });
		const calls: { id?: string; name?: string; fragments: string[] }[] = [];
		let finish: string | null = null;
		for await (const chunk of stream) {
			expect(chunk.usage).toBeUndefined(); // no usage fields without stream_options.include_usage
			for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
				const call = (calls[delta.index] ??= { fragments: [] });
				call.id ??= delta.id;
				call.name ??= delta.function?.name;
				if (delta.function?.arguments) call.fragments.push(delta.function.arguments);
			}
			finish = chunk.choices[0]?.finish_reason ?? finish;
		}
		expect(finish).toBe("tool_calls");
		expect(calls[0]).toMatchObject({ id: "call_1", name: "get_weather" });
		expect(calls[0].fragments.length).toBeGreaterThanOrEqual(2);
		expect(JSON.parse(calls[0].fragments.join(""))).toEqual(args);
		expect(calls[1]).toMatchObject({ id: "call_2", name: "get_time" });
		expect(JSON.parse(calls[1].fragments.join(""))).toEqual({});
	});

	it("satisfies the SDK's own stream accumulator (chat.completions.stream)", async () => {
		server.script({ kind: "tool_calls", text: "Let me look.", calls: [{ id: "call_9", name: "get_weather", arguments: { city: "Oslo" } }] });
		const runner = client.chat.completions.stream({ model: "gpt-4o-mini", messages: [{ role: "user", content: "go" }], tools: [weather] });
		const final = await runner.finalChatCompletion();
		expect(final.choices[0].finish_reason).toBe("tool_calls");
		expect(final.choices[0].message.content).toBe("Let me look.");
		expect(final.choices[0].message.tool_calls).toEqual([{ id: "call_9", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }]);
	});

	it("embeds deterministically in 8 dimensions, as base64 (SDK default) or floats", async () => {
		const input = ["alpha", "beta"];
		const decoded = await client.embeddings.create({ model: "text-embedding-3-small", input });
		const floats = await client.embeddings.create({ model: "text-embedding-3-small", input, encoding_format: "float" });
		expect(server.requests.map((r) => r.body.encoding_format)).toEqual(["base64", "float"]);
		for (const result of [decoded, floats]) {
			expect(result.data.map((d) => d.embedding)).toEqual([fakeEmbedding("alpha"), fakeEmbedding("beta")]);
			expect(result.usage.total_tokens).toBeGreaterThan(0);
		}
		expect(decoded.data[0].embedding).toHaveLength(8);
		expect(Math.hypot(...decoded.data[0].embedding)).toBeCloseTo(1, 5);
		expect(decoded.data[0].embedding).not.toEqual(decoded.data[1].embedding);
	});

	it("scripts embedding failures on their own queue", async () => {
		server.scriptEmbeddings({ kind: "error", status: 503, message: "embedder down" });
		server.script({ kind: "text", text: "chat is unaffected" });
		expect(await rejection(client.embeddings.create({ model: "e", input: "x" }))).toBeInstanceOf(OpenAI.InternalServerError);
		expect((await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] })).choices[0].message.content).toBe("chat is unaffected");
		expect((await client.embeddings.create({ model: "e", input: "x" })).data[0].embedding).toEqual(fakeEmbedding("x"));
	});

	it("lists models", async () => {
		const ids: string[] = [];
		for await (const model of client.models.list()) ids.push(model.id);
		expect(ids).toEqual(["gpt-4o-mini", "text-embedding-3-small"]);
	});

	it("as a chat-only server answers chat and 404s every embedding as Ollama does for a model not pulled", async () => {
		const local = await startOpenAIServer({ embeddingModels: [] });
		try {
			const sdk = new OpenAI({ baseURL: local.url, apiKey: "none", maxRetries: 0 });
			expect((await sdk.chat.completions.create({ model: "llama3.2", messages: [{ role: "user", content: "hi" }] })).choices[0].message.content).toBe("echo: hi");
			const missing = await rejection(sdk.embeddings.create({ model: "text-embedding-3-small", input: "x" }));
			expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
			expect(missing).toMatchObject({ status: 404, type: "not_found_error", message: '404 model "text-embedding-3-small" not found, try pulling it first' });
		} finally {
			await local.stop();
		}
	});

	it("embeds only with the embedding models it has, in the length it is given", async () => {
		const local = await startOpenAIServer({ embeddingModels: ["nomic-embed-text"], embeddingDimensions: 384 });
		try {
			const sdk = new OpenAI({ baseURL: local.url, apiKey: "none", maxRetries: 0 });
			const result = await sdk.embeddings.create({ model: "nomic-embed-text", input: "alpha" });
			expect(result.data[0].embedding).toEqual(fakeEmbedding("alpha", 384));
			expect(await rejection(sdk.embeddings.create({ model: "mxbai-embed-large", input: "alpha" }))).toBeInstanceOf(OpenAI.NotFoundError);
		} finally {
			await local.stop();
		}
	});

	it("surfaces scripted errors as the SDK's APIError subclasses", async () => {
		server.script({ kind: "error", status: 429, message: "slow down", retryAfterSeconds: 7 }, { kind: "error", status: 500 }, { kind: "error", status: 400, message: "bad" });
		const ask = () => client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] });
		const limited = await rejection(ask());
		expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
		expect(limited).toMatchObject({ status: 429, code: "rate_limit_exceeded", message: "429 slow down" });
		expect((limited as OpenAIAPIError).headers?.get("retry-after")).toBe("7");
		expect(await rejection(ask())).toBeInstanceOf(OpenAI.InternalServerError);
		expect(await rejection(ask())).toMatchObject({ status: 400, type: "invalid_request_error", constructor: OpenAI.BadRequestError });
	});

	it("rejects a wrong key with 401 without consuming the script", async () => {
		server.script({ kind: "text", text: "kept" });
		const wrong = new OpenAI({ baseURL: server.url, apiKey: "sk-wrong", maxRetries: 0 });
		expect(await rejection(wrong.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] }))).toBeInstanceOf(OpenAI.AuthenticationError);
		expect(server.requests[0].headers.authorization).toBe("Bearer sk-wrong");
		expect((await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] })).choices[0].message.content).toBe("kept");
	});

	it("hangs until the client's timeout, resets sockets and delays answers", async () => {
		// realmSafeFetch: see its comment; without it jest reports the timeout as a plain connection error.
		const impatient = new OpenAI({ baseURL: server.url, apiKey: "sk-test", maxRetries: 0, timeout: 300, fetch: realmSafeFetch });
		const ask = (sdk: OpenAI) => sdk.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] });
		server.script({ kind: "hang" }, { kind: "reset" }, { kind: "delay", ms: 150, then: { kind: "text", text: "late" } });
		expect(await rejection(ask(impatient))).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
		const reset = await rejection(ask(client));
		expect(reset).toBeInstanceOf(OpenAI.APIConnectionError);
		expect(reset).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
		const started = Date.now();
		expect((await ask(client)).choices[0].message.content).toBe("late");
		expect(Date.now() - started).toBeGreaterThanOrEqual(140);
	});

	it("lets the SDK retry: each attempt takes the next step", async () => {
		const retrying = new OpenAI({ baseURL: server.url, apiKey: "sk-test", maxRetries: 1 });
		server.script({ kind: "error", status: 503, retryAfterSeconds: 0.01 }, { kind: "text", text: "second try" });
		const completion = await retrying.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] });
		expect(completion.choices[0].message.content).toBe("second try");
		expect(server.requests).toHaveLength(2);
		expect(server.requests[1].headers["x-stainless-retry-count"]).toBe("1");
	});
});

describe("Anthropic wire server, driven by @anthropic-ai/sdk", () => {
	let server: AnthropicServer;
	let client: Anthropic;
	const tools: Anthropic.Tool[] = [{ name: "get_weather", description: "Weather for a city", input_schema: { type: "object", properties: { city: { type: "string" } } } }];

	beforeAll(async () => {
		server = await startAnthropicServer({ apiKey: "ak-test" });
		client = new Anthropic({ baseURL: server.url, apiKey: "ak-test", maxRetries: 0 });
	});
	afterAll(() => server.stop());
	beforeEach(() => {
		server.requests.length = 0;
		server.clearScript();
	});

	it("echoes the last user message by default and records what the client sent", async () => {
		const params = {
			model: "claude-sonnet-4-5",
			max_tokens: 256,
			system: "be brief",
			messages: [
				{ role: "user" as const, content: "first" },
				{ role: "assistant" as const, content: "ok" },
				{ role: "user" as const, content: [{ type: "text" as const, text: "second" }] }
			]
		};
		const message = await client.messages.create(params);
		expect(message).toMatchObject({ type: "message", role: "assistant", model: "claude-sonnet-4-5", stop_reason: "end_turn", content: [{ type: "text", text: "echo: second" }] });
		expect(message.usage.input_tokens).toBeGreaterThan(0);
		expect(message._request_id).toMatch(/^req_/);
		expect(server.requests[0]).toMatchObject({ method: "POST", path: "/v1/messages", headers: { authorization: "Bearer ak-test", "anthropic-version": "2026-10-21" } });
		expect(server.requests[0].body).toEqual(params);
	});

	it("returns text and tool_use blocks", async () => {
		server.script({ kind: "tool_calls", text: "Looking it up.", calls: [{ id: "toolu_x", name: "get_weather", arguments: { city: "Oslo" } }], usage: { input: 20, output: 9 } });
		const message = await client.messages.create({ model: "claude-haiku-4-5", max_tokens: 256, tools, messages: [{ role: "user", content: "weather?" }] });
		expect(message.stop_reason).toBe("tool_use");
		expect(message.content).toEqual([
			{ type: "text", text: "Looking it up.", citations: null },
			{ type: "tool_use", id: "toolu_x", name: "get_weather", input: { city: "Oslo" }, caller: { type: "direct" } }
		]);
		expect(message.usage).toMatchObject({ input_tokens: 20, output_tokens: 9 });
		expect(server.requests[0].body.tools).toEqual(tools);
	});

	it("streams named SSE events that MessageStream assembles into the final message", async () => {
		const args = { city: "Reykjavík", days: 3 };
		server.script({ kind: "tool_calls", text: "One moment, please.", calls: [{ id: "toolu_1", name: "get_weather", arguments: args }], usage: { input: 7, output: 12 } });
		const stream = client.messages.stream({ model: "claude-sonnet-4-5", max_tokens: 256, tools, messages: [{ role: "user", content: "go" }] });
		const texts: string[] = [];
		const fragments: string[] = [];
		stream.on("text", (delta) => texts.push(delta));
		stream.on("inputJson", (partial) => fragments.push(partial));
		const final = await stream.finalMessage();
		expect(texts.length).toBeGreaterThanOrEqual(3);
		expect(texts.join("")).toBe("One moment, please.");
		expect(fragments.filter((f) => f !== "").length).toBeGreaterThanOrEqual(2);
		expect(final.stop_reason).toBe("tool_use");
		expect(final.usage).toMatchObject({ input_tokens: 7, output_tokens: 12 });
		expect(final.content).toEqual([
			{ type: "text", text: "One moment, please.", citations: null },
			{ type: "tool_use", id: "toolu_1", name: "get_weather", input: args, caller: { type: "direct" } }
		]);
		expect(server.requests[0].body.stream).toBe(true);
	});

	it("streams the raw event sequence of the Messages API", async () => {
		server.script({ kind: "text", text: "hi there", finish: "length" });
		const stream = await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 5, stream: true, messages: [{ role: "user", content: "go" }] });
		const types: string[] = [];
		let stopReason: string | null = null;
		for await (const event of stream) {
			types.push(event.type);
			if (event.type === "message_delta") stopReason = event.delta.stop_reason;
		}
		expect(stopReason).toBe("max_tokens");
		expect(types[0]).toBe("message_start");
		expect(types.slice(1, 2)).toEqual(["content_block_start"]); // the ping in between is swallowed by the SDK
		expect(new Set(types.slice(2, -3))).toEqual(new Set(["content_block_delta"]));
		expect(types.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
	});

	it("surfaces scripted errors as the SDK's APIError subclasses", async () => {
		server.script({ kind: "error", status: 429, message: "slow down", retryAfterSeconds: 3 }, { kind: "error", status: 529 }, { kind: "error", status: 500, message: "boom" });
		const ask = () => client.messages.create({ model: "m", max_tokens: 16, messages: [{ role: "user", content: "x" }] });
		const limited = await rejection(ask());
		expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
		expect(limited).toMatchObject({ status: 429, type: "rate_limit_error" });
		expect((limited as AnthropicAPIError).headers?.get("retry-after")).toBe("3");
		expect((limited as AnthropicAPIError).error).toMatchObject({ type: "error", error: { type: "rate_limit_error", message: "slow down" } });
		expect(await rejection(ask())).toBeInstanceOf(Anthropic.OverloadedError);
		const internal = await rejection(ask());
		expect(internal).toBeInstanceOf(Anthropic.InternalServerError);
		expect(internal).toMatchObject({ status: 500, type: "api_error" });
	});

	it("checks the key (bearer as SDK 1.x sends it, or x-api-key) and is aborted by the client's timeout on a hang", async () => {
		const ask = (sdk: Anthropic) => sdk.messages.create({ model: "m", max_tokens: 16, messages: [{ role: "user", content: "x" }] });
		const wrong = new Anthropic({ baseURL: server.url, apiKey: "ak-wrong", maxRetries: 0 });
		expect(await rejection(ask(wrong))).toBeInstanceOf(Anthropic.AuthenticationError);
		const viaHeader = (key: string) => new Anthropic({ baseURL: server.url, apiKey: null, defaultHeaders: { "x-api-key": key }, maxRetries: 0 });
		expect(await rejection(ask(viaHeader("ak-wrong")))).toBeInstanceOf(Anthropic.AuthenticationError);
		expect((await ask(viaHeader("ak-test"))).content).toEqual([{ type: "text", text: "echo: x", citations: null }]);
		expect(server.requests.at(-1)?.headers).toMatchObject({ "x-api-key": "ak-test" });
		expect(server.requests.at(-1)?.headers.authorization).toBeUndefined();

		server.script({ kind: "hang" });
		const impatient = new Anthropic({ baseURL: server.url, apiKey: "ak-test", maxRetries: 0, timeout: 300, fetch: realmSafeFetch });
		expect(await rejection(impatient.messages.create({ model: "m", max_tokens: 16, messages: [{ role: "user", content: "x" }] }))).toBeInstanceOf(
			Anthropic.APIConnectionTimeoutError
		);
		// The server is still healthy after a client gave up on it.
		const after = await client.messages.create({ model: "m", max_tokens: 16, messages: [{ role: "user", content: "still there?" }] });
		expect(after.content).toEqual([{ type: "text", text: "echo: still there?", citations: null }]);
	});

	it("lists models", async () => {
		const ids: string[] = [];
		for await (const model of client.models.list()) ids.push(model.id);
		expect(ids).toEqual(["claude-sonnet-4-5", "claude-haiku-4-5"]);
	});
});
