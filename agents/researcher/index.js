// The researcher: reads the pages it is given, remembers what it learns, and answers a
// question with a citation (a URL) for every claim. It shows the agent API at work:
// ctx.tools.invoke (http_fetch, within the node's allowlist), ctx.memory.store/search
// (semantic memory that outlives the task), ctx.llm.chat (the model writes the answer;
// offline, it quotes the best sentences) and ctx.llm.run (the tool-calling loop).
const { readable, relevantSentences, overlap } = require("./text");

const FINDINGS_PER_PAGE = 6;
const RECALLED = 8;
const INSTRUCTIONS =
	"You are a careful research assistant. Answer the question using only the numbered sources. " +
	"After every sentence, cite the source it comes from as [n]. If the sources do not answer the question, say so.";

const QUESTION_CHARS = 2000;
const URLS = /https?:\/\/[^\s<>"'`]+/g;

module.exports = {
	async onTask(task, ctx) {
		if (task.type === "chat") return chat(task, ctx);
		if (task.type !== "research_query") throw new Error(`researcher does not know task type "${task.type}"`);
		return research(task, ctx);
	}
};

/** A chat message is a question to research: the URLs in it are the pages to read, the rest is the question. */
async function chat(task, ctx) {
	const message = String(task.message ?? "").trim();
	const urls = [...message.matchAll(URLS)].map(m => m[0].replace(/[.,;:!?)\]]+$/, ""));
	const question = (message.replace(URLS, " ").replace(/\s+/g, " ").trim() || message).slice(0, QUESTION_CHARS);
	if (!question) throw new Error("chat needs a message: the question to research");
	const result = await research({ question, urls: urls.slice(0, 10) }, ctx);
	return { ...result, answer: result.answer ?? "I found nothing to answer from. Give me a page to read: put its URL in your message." };
}

/** Reads the pages, remembers what bears on the question, recalls earlier findings and writes a cited answer. */
async function research(task, ctx) {
	const question = String(task.question ?? "").trim();
	if (!question) throw new Error("research_query needs a question");
	const urls = [...new Set(Array.isArray(task.urls) ? task.urls : [])];

	// 1. Read each page and keep the sentences that bear on the question.
	const fetched = await Promise.all(urls.map(url => read(url, ctx)));
	const found = fetched.flatMap(page => (page.text ? relevantSentences(page.text, question, FINDINGS_PER_PAGE).map(text => ({ url: page.url, title: page.title, text })) : []));

	// 2. Remember them: the next question on the subject starts from here.
	if (found.length) {
		await ctx.memory.store({ memories: found.map(f => ({ content: f.text, type: "semantic", importance: 0.6, metadata: { url: f.url, title: f.title, question } })) });
	}

	// 3. Recall what earlier research found (this task's findings are already in hand).
	const recalled = (await recall(question, ctx)).filter(r => !found.some(f => f.url === r.url && f.text === r.text));
	const evidence = [...found, ...recalled];

	// 4. Nothing to go on: let the model look for itself, with http_fetch as its tool.
	if (!evidence.length) return explore(question, task, ctx, fetched);

	// 5. One numbered source per URL, and the model writes the answer citing them.
	const sources = numberSources(evidence);
	const { text, model } = await write(question, sources, ctx);
	return {
		question,
		answer: text,
		claims: claimsOf(text, sources),
		sources: sources.map(({ n, url, title }) => ({ n, url, title })),
		fetched: fetched.map(({ url, ok, status, error }) => ({ url, ok, status, ...(error ? { error } : {}) })),
		remembered: found.length,
		recalled: recalled.length,
		model
	};
}

/** One page through the http_fetch tool; a page that cannot be read is reported, not thrown. */
async function read(url, ctx) {
	try {
		const { content } = await ctx.tools.invoke("builtin:http_fetch", { url });
		if (content.status >= 400) return { url, ok: false, status: content.status, error: `HTTP ${content.status}` };
		if (content.encoding !== "utf8") return { url, ok: false, status: content.status, error: "not a text page" };
		const { title, text } = readable(content.body, content.headers["content-type"]);
		return { url, ok: true, status: content.status, title, text };
	} catch (err) {
		ctx.log.warn(`could not read ${url}: ${err.message}`);
		return { url, ok: false, status: null, error: err.message };
	}
}

/** Earlier findings about the question, from semantic memory (only those that share a word with it). */
async function recall(question, ctx) {
	const { hits } = await ctx.memory.search({ query: question, type: "semantic", k: RECALLED });
	return hits
		.map(hit => hit.memory ?? hit)
		.filter(m => m.metadata && m.metadata.url && overlap(m.content, question) > 0)
		.map(m => ({ url: m.metadata.url, title: m.metadata.title ?? null, text: m.content }));
}

function numberSources(evidence) {
	const sources = [];
	for (const e of evidence) {
		let source = sources.find(s => s.url === e.url);
		if (!source) sources.push((source = { n: sources.length + 1, url: e.url, title: e.title, texts: [] }));
		if (!source.texts.includes(e.text)) source.texts.push(e.text);
	}
	return sources;
}

/** The model's answer from the numbered sources; without a model, the best sentence of each source, cited. */
async function write(question, sources, ctx) {
	const listed = sources.map(s => `[${s.n}] ${s.url}\n${s.texts.join(" ")}`).join("\n\n");
	try {
		const result = await ctx.llm.chat({
			messages: [
				{ role: "system", content: INSTRUCTIONS },
				{ role: "user", content: `Question: ${question}\n\n${listed}` }
			]
		});
		const text = result.message && result.message.content;
		if (text && /\[\d+\]/.test(text)) return { text, model: `${result.provider}/${result.model}` };
		ctx.log.warn("the model's answer cites no source; answering with quotes instead");
	} catch (err) {
		ctx.log.warn(`the model could not write the answer (${err.message}); answering with quotes instead`);
	}
	const quotes = sources.map(s => `- ${[...s.texts].sort((a, b) => overlap(b, question) - overlap(a, question))[0]} [${s.n}]`);
	return { text: `${quotes.join("\n")}\n\nSources:\n${sources.map(s => `[${s.n}] ${s.url}`).join("\n")}`, model: null };
}

/** Each cited sentence of the answer with the URLs it cites (the "Sources:" list is not a claim). */
function claimsOf(text, sources) {
	const body = text.split(/\n\s*Sources:\s*\n/i)[0];
	const claims = [];
	for (const line of body.split("\n")) {
		for (const sentence of line.split(/(?<=[.!?](?:\s*\[\d+\])*)\s+(?=[^\s[])/)) {
			const cited = [...sentence.matchAll(/\[(\d+)\]/g)].map(m => sources.find(s => s.n === Number(m[1]))).filter(Boolean);
			const claim = sentence.replace(/\s*\[\d+\]/g, "").replace(/^\s*[-*•]\s*/, "").trim();
			if (claim && cited.length) claims.push({ claim, urls: [...new Set(cited.map(s => s.url))] });
		}
	}
	return claims;
}

/** No pages and nothing remembered: the tool-calling loop, where a real model may fetch pages itself. */
async function explore(question, task, ctx, fetched) {
	const run = await ctx.llm.run({
		message: question,
		instructions: `${INSTRUCTIONS} Use http_fetch to read pages; cite each page by its URL.`,
		tools: ["builtin:http_fetch"],
		maxSteps: task.maxSteps ?? 6
	});
	const pages = run.steps.flatMap(s => s.toolCalls).filter(c => c.ok && typeof c.arguments.url === "string");
	if (run.answer && pages.length) {
		await ctx.memory.store({ content: run.answer, type: "semantic", importance: 0.5, metadata: { url: pages[0].arguments.url, question } });
	}
	return {
		question,
		answer: run.answer,
		claims: [],
		sources: pages.map((c, i) => ({ n: i + 1, url: c.arguments.url, title: null })),
		fetched: fetched.map(({ url, ok, status, error }) => ({ url, ok, status, ...(error ? { error } : {}) })),
		remembered: 0,
		recalled: 0,
		model: run.provider && `${run.provider}/${run.model}`,
		stopReason: run.stopReason,
		steps: run.steps.length
	};
}
