import { ProviderError } from "../../lib/mal/errors";
import { cosine } from "../../lib/mal/providers/hash-embedder";
import { OFFLINE_CHAT_MODEL, OFFLINE_EMBEDDING_MODEL, OfflineProvider } from "../../lib/mal/providers/offline";
import type { ChatMessage, ProviderChunk, ToolSpec } from "../../lib/mal/types";

const provider = new OfflineProvider();
const signal = new AbortController().signal;
const chat = (messages: ChatMessage[], extra: { tools?: ToolSpec[]; toolChoice?: "auto" | "none" | "required" | { name: string }; maxTokens?: number } = {}) =>
	provider.chat({ model: OFFLINE_CHAT_MODEL, messages, ...extra }, signal);
const embed = (input: string[]) => provider.embed({ model: OFFLINE_EMBEDDING_MODEL, input }, signal);

/** Two sources; exactly two sentences (one from each) are about the question's topic, solar panels. */
const PAGES = [
	"What do these pages say about solar panels?",
	"",
	"[1] https://example.com/energy",
	"The city council met on Tuesday to discuss the annual budget. Rooftop solar panels now supply a fifth of the town's electricity.",
	"The council also approved a new library wing. Budget meetings will continue next month.",
	"[2] https://example.com/tech",
	"Battery prices fell sharply during the last decade. The library wing will open next spring with extended hours.",
	"Cheaper solar panels made home installations affordable for most families. Budget pressure remains high for the council."
].join("\n");

const TOOLS: ToolSpec[] = [
	{
		name: "fetch_url",
		description: "Fetch a web page and return its text",
		parameters: { type: "object", properties: { url: { type: "string" }, maxChars: { type: "integer", default: 20000 }, raw: { type: "boolean" } }, required: ["url"] }
	},
	{ name: "remember", description: "Store a note in long-term memory", parameters: { type: "object", properties: { note: { type: "string" } }, required: ["note"] } }
];

async function collect(stream: AsyncIterable<ProviderChunk>): Promise<ProviderChunk[]> {
	const chunks: ProviderChunk[] = [];
	for await (const chunk of stream) chunks.push(chunk);
	return chunks;
}

describe("the offline provider", () => {
	it("is named and typed", () => {
		expect(provider).toMatchObject({ name: "offline", type: "offline" });
		expect(new OfflineProvider("local").name).toBe("local");
		expect(new OfflineProvider({ name: "spare" }).name).toBe("spare");
	});

	it("answers the same request the same way", async () => {
		const messages: ChatMessage[] = [{ role: "user", content: PAGES }];
		expect(await chat(messages)).toEqual(await chat(messages));
		const call = [{ role: "user" as const, content: "Please fetch https://example.com/a" }];
		expect(await chat(call, { tools: TOOLS })).toEqual(await chat(call, { tools: TOOLS }));
	});

	it("summarises extractively: the sentences about the question, in order, with their citations", async () => {
		const result = await chat([{ role: "user", content: PAGES }]);
		expect(result.finishReason).toBe("stop");
		const content = result.content ?? "";
		expect(content).toMatch(/^\(offline model\)/);
		const bullets = content.split("\n").filter(line => line.startsWith("- "));
		expect(bullets).toEqual([
			"- Rooftop solar panels now supply a fifth of the town's electricity. [1]",
			"- Cheaper solar panels made home installations affordable for most families. [2]"
		]);
		expect(content).toContain("Sources:\n[1] https://example.com/energy\n[2] https://example.com/tech");
	});

	it("summarises when the system prompt asks, and keeps Source: citations", async () => {
		const text =
			"Source: https://example.com/rust\nRust is a systems programming language. Rust guarantees memory safety without a garbage collector. " +
			"The borrow checker enforces memory safety at compile time. Many developers enjoy hiking on weekends. Cargo builds Rust projects.";
		const result = await chat([
			{ role: "system", content: "You summarise pages with citations." },
			{ role: "user", content: text }
		]);
		const bullets = (result.content ?? "").split("\n").filter(line => line.startsWith("- "));
		expect(bullets.length).toBeGreaterThanOrEqual(2);
		expect(bullets.length).toBeLessThanOrEqual(3);
		for (const bullet of bullets) expect(bullet).toMatch(/ \[1\]$/);
		expect(result.content).not.toContain("hiking");
		expect(result.content).toContain("[1] https://example.com/rust");
	});

	it("replies to other requests with a labelled keyword answer", async () => {
		const result = await chat([{ role: "user", content: "What is the capital of France and its population?" }]);
		expect(result.content).toMatch(/^\(offline model\) I can't reason like a language model; the key terms of your request are: capital, france, population\./);
		expect(result.toolCalls).toEqual([]);
	});

	it("calls the matching tool with the URL from the message", async () => {
		const result = await chat([{ role: "user", content: "Please fetch https://example.com/article?id=7 and summarise it." }], { tools: TOOLS });
		expect(result.content).toBeNull();
		expect(result.finishReason).toBe("tool_calls");
		expect(result.toolCalls).toEqual([{ id: expect.stringMatching(/^call_offline_/), name: "fetch_url", arguments: { url: "https://example.com/article?id=7", maxChars: 20000 } }]);
	});

	it("fills a required string from a quoted value, and calls the named tool when forced", async () => {
		const remembered = await chat([{ role: "user", content: 'Remember "the deploy is on Friday"' }], { tools: TOOLS });
		expect(remembered.toolCalls[0]).toMatchObject({ name: "remember", arguments: { note: "the deploy is on Friday" } });
		const forced = await chat([{ role: "user", content: "hello there" }], { tools: TOOLS, toolChoice: { name: "remember" } });
		expect(forced.toolCalls[0]).toMatchObject({ name: "remember", arguments: { note: "hello there" } });
		const required = await chat([{ role: "user", content: "hello there" }], { tools: TOOLS, toolChoice: "required" });
		expect(required.toolCalls).toHaveLength(1);
	});

	it("calls no tool when toolChoice is none, or when nothing matches", async () => {
		const none = await chat([{ role: "user", content: "Please fetch https://example.com/a" }], { tools: TOOLS, toolChoice: "none" });
		expect(none.toolCalls).toEqual([]);
		expect(none.content).toContain("(offline model)");
		const unrelated = await chat([{ role: "user", content: "How are you today?" }], { tools: TOOLS });
		expect(unrelated.toolCalls).toEqual([]);
	});

	it("turns a tool result into an answer that uses it", async () => {
		const first = await chat([{ role: "user", content: "Fetch https://example.com/rust about memory safety" }], { tools: TOOLS });
		const call = first.toolCalls[0];
		const page =
			"Rust is a systems programming language. Rust guarantees memory safety without a garbage collector. " +
			"The borrow checker enforces memory safety at compile time. Many developers enjoy hiking on weekends. Cargo builds Rust projects and fetches crates.";
		const answer = await chat(
			[
				{ role: "user", content: "Fetch https://example.com/rust about memory safety" },
				{ role: "assistant", content: null, toolCalls: [call] },
				{ role: "tool", toolCallId: call.id, name: "fetch_url", content: JSON.stringify({ status: 200, text: page }) }
			],
			{ tools: TOOLS }
		);
		expect(answer.toolCalls).toEqual([]);
		expect(answer.content).toMatch(/^\(offline model\) From the result of `fetch_url`/);
		expect(answer.content).toContain("- Rust guarantees memory safety without a garbage collector. [1]");
		expect(answer.content).toContain("[1] https://example.com/rust");
		expect(answer.content).not.toContain("hiking");
		const short = await chat([
			{ role: "user", content: "Remember this" },
			{ role: "assistant", content: null, toolCalls: [{ id: "c1", name: "remember", arguments: { note: "x" } }] },
			{ role: "tool", toolCallId: "c1", content: '{"ok":true}' }
		]);
		expect(short.content).toBe('(offline model) `remember` returned:\n{"ok":true}');
	});

	it("streams word-sized chunks that add up to the chat answer, then the same result", async () => {
		const messages: ChatMessage[] = [{ role: "user", content: PAGES }];
		const chunks = await collect(provider.stream({ model: OFFLINE_CHAT_MODEL, messages }, signal));
		const texts = chunks.flatMap(c => (c.type === "text" ? [c.text] : []));
		expect(texts.length).toBeGreaterThan(10);
		for (const text of texts) expect(text.trim()).not.toMatch(/\s/);
		const whole = await chat(messages);
		expect(texts.join("")).toBe(whole.content);
		expect(chunks[chunks.length - 1]).toEqual({ type: "end", result: whole });

		const calls = await collect(provider.stream({ model: OFFLINE_CHAT_MODEL, messages: [{ role: "user", content: "fetch https://example.com/x" }], tools: TOOLS }, signal));
		expect(calls.map(c => c.type)).toEqual(["tool_call", "end"]);
	});

	it("counts usage as a quarter of the characters", async () => {
		const content = "x".repeat(40);
		const result = await chat([
			{ role: "system", content: "y".repeat(20) },
			{ role: "user", content }
		]);
		expect(result.usage.promptTokens).toBe(15);
		expect(result.usage.completionTokens).toBe(Math.ceil((result.content ?? "").length / 4));
		expect(result.usage.totalTokens).toBe(result.usage.promptTokens + result.usage.completionTokens);
		expect(result.model).toBe(OFFLINE_CHAT_MODEL);
		const cut = await chat([{ role: "user", content: "What is the capital of France?" }], { maxTokens: 5 });
		expect(cut).toMatchObject({ finishReason: "length", usage: { completionTokens: 5 } });
		expect(cut.content).toHaveLength(20);
	});

	it("embeds into 384 unit-norm dimensions, similar texts closer than unrelated ones", async () => {
		const result = await embed(["postgres database index", "indexing a postgres database", "banana bread recipe", ""]);
		expect(result.model).toBe(OFFLINE_EMBEDDING_MODEL);
		expect(result.usage.promptTokens).toBe(6 + 7 + 5 + 0);
		for (const vector of result.vectors) {
			expect(vector).toHaveLength(384);
			expect(Math.hypot(...vector)).toBeCloseTo(1, 10);
		}
		const [db, indexing, bread, empty] = result.vectors;
		expect(cosine(db, indexing)).toBeGreaterThan(cosine(indexing, bread));
		expect(cosine(db, indexing)).toBeGreaterThan(0.5);
		expect(Number.isFinite(cosine(empty, db))).toBe(true);
		expect((await embed(["postgres database index"])).vectors[0]).toEqual(db);
	});

	it("honours an aborted signal", async () => {
		const controller = new AbortController();
		controller.abort();
		const messages: ChatMessage[] = [{ role: "user", content: "hi" }];
		const aborted = expect.objectContaining({ name: "ProviderError", retryable: false, message: "offline: aborted" });
		await expect(provider.chat({ model: OFFLINE_CHAT_MODEL, messages }, controller.signal)).rejects.toEqual(aborted);
		await expect(collect(provider.stream({ model: OFFLINE_CHAT_MODEL, messages }, controller.signal))).rejects.toEqual(aborted);
		await expect(provider.embed({ model: OFFLINE_EMBEDDING_MODEL, input: ["x"] }, controller.signal)).rejects.toEqual(aborted);
	});

	it("refuses models it does not serve", async () => {
		const refused = (p: Promise<unknown>) =>
			p.then(
				() => undefined,
				(err: ProviderError) => err
			);
		const err = await refused(provider.chat({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }, signal));
		expect(err).toBeInstanceOf(ProviderError);
		expect(err).toMatchObject({ status: 404, retryable: false });
		expect(await refused(provider.embed({ model: OFFLINE_CHAT_MODEL, input: ["x"] }, signal))).toMatchObject({ status: 404, retryable: false });
		expect(await refused(provider.chat({ model: OFFLINE_EMBEDDING_MODEL, messages: [] }, signal))).toMatchObject({ status: 404 });
	});
});
