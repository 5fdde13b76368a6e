// node --test agents/researcher/test.js — the researcher's logic, with a fake ctx.
const assert = require("node:assert/strict");
const { test } = require("node:test");
const { createFakeContext } = require("../testing/fake-context");
const researcher = require("./index");
const { readable } = require("./text");

const PAGES = {
	"https://example.org/tea": "<html><head><title>Tea</title></head><body><nav>Menu</nav><p>Green tea is steeped at 80 degrees for two minutes.</p><p>Black tea wants boiling water.</p></body></html>",
	"https://example.org/coffee": "<html><body><p>Espresso is brewed at nine bars of pressure.</p></body></html>"
};
const fetchTool = ({ url }) => ({ url, status: PAGES[url] ? 200 : 404, headers: { "content-type": "text/html" }, body: PAGES[url] ?? "", encoding: "utf8" });
// What the offline model does with such a prompt: quote the best sentence, keep its [n].
const quoteFirstSource = ({ messages }) => {
	const text = messages[1].content;
	const source = /\[(\d+)\] (\S+)\n(.+?[.!?])/.exec(text);
	return { message: { content: `- ${source[3]} [${source[1]}]\n\nSources:\n[${source[1]}] ${source[2]}` }, provider: "offline", model: "offline-extractive" };
};

test("readable text drops scripts, menus and markup", () => {
	const { title, text } = readable("<html><head><title>A &amp; B</title><script>x()</script></head><body><nav>Home</nav><p>One.</p><p>Two &lt;3.</p></body></html>", "text/html");
	assert.equal(title, "A & B");
	assert.equal(text, "One.\nTwo <3.");
});

test("answers from the pages, citing the URL of each claim, and remembers the findings", async () => {
	const ctx = createFakeContext({ tools: { "builtin:http_fetch": fetchTool }, chat: quoteFirstSource });
	const result = await researcher.onTask({ type: "research_query", question: "How hot should green tea water be?", urls: Object.keys(PAGES) }, ctx);
	assert.deepEqual(result.claims, [{ claim: "Green tea is steeped at 80 degrees for two minutes.", urls: ["https://example.org/tea"] }]);
	assert.ok(ctx.memories.some(m => m.metadata.url === "https://example.org/tea"));
	assert.equal(result.sources[0].title, "Tea");
});

test("without a model, answers with cited quotes", async () => {
	const ctx = createFakeContext({ tools: { "builtin:http_fetch": fetchTool } });
	const result = await researcher.onTask({ type: "research_query", question: "What pressure is espresso brewed at?", urls: ["https://example.org/coffee"] }, ctx);
	assert.equal(result.model, null);
	assert.deepEqual(result.claims, [{ claim: "Espresso is brewed at nine bars of pressure.", urls: ["https://example.org/coffee"] }]);
});

test("in a chat, researches the message: reads the URLs in it and answers the rest, citing them", async () => {
	const ctx = createFakeContext({ tools: { "builtin:http_fetch": fetchTool } });
	const result = await researcher.onTask({ type: "chat", message: "What pressure is espresso brewed at? See https://example.org/coffee.", sessionId: "cli" }, ctx);
	assert.equal(result.question, "What pressure is espresso brewed at? See");
	assert.deepEqual(result.fetched.map(f => f.url), ["https://example.org/coffee"]);
	assert.match(result.answer, /Espresso is brewed at nine bars of pressure\. \[1\]/);
	assert.ok(ctx.memories.some(m => m.metadata.url === "https://example.org/coffee"));

	// The next message on the subject needs no URL: the findings are remembered.
	const again = await researcher.onTask({ type: "chat", message: "espresso pressure?" }, ctx);
	assert.equal(again.recalled, 1);
	assert.deepEqual(again.claims, [{ claim: "Espresso is brewed at nine bars of pressure.", urls: ["https://example.org/coffee"] }]);
});

test("in a chat with nothing to read or recall, hands the message to the tool-calling loop and always answers", async () => {
	const ctx = createFakeContext({ run: () => ({ answer: null, steps: [], provider: "offline", model: "offline-extractive", stopReason: "answer" }) });
	const result = await researcher.onTask({ type: "chat", message: "hello" }, ctx);
	assert.equal(ctx.calls.find(c => c.method === "llm.run").args[0].message, "hello");
	assert.match(result.answer, /put its URL in your message/);
});
