// Readable text out of a fetched page, and the sentences of it that bear on a question.
// Plain functions with no ctx: easy to read, easy to test.

const DROP = /<(script|style|noscript|template|svg|nav|header|footer|aside|form)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const BLOCK = /<\/?(p|div|section|article|main|h[1-6]|li|ul|ol|tr|table|blockquote|pre|br|hr|dd|dt)\b[^>]*>/gi;
const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", mdash: "—", ndash: "–", hellip: "…", rsquo: "’", lsquo: "‘", rdquo: "”", ldquo: "“" };
const STOPWORDS = new Set(
	"a an and are as at be been by can did do does for from had has have how i in into is it its of on or that the their there these this those to was were what when where which who why will with you your about does than then them they we our".split(" ")
);

function decodeEntities(text) {
	return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name) => {
		if (name[0] === "#") {
			const code = name[1].toLowerCase() === "x" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
			return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : whole;
		}
		return ENTITIES[name.toLowerCase()] ?? whole;
	});
}

/** The page's title and its readable text: no scripts, menus or markup; one paragraph a line. */
function readable(body, contentType = "") {
	const html = /html|xml/i.test(contentType) || /^\s*<(!doctype|html|head|body|p|div)\b/i.test(body);
	if (!html) return { title: null, text: body.replace(/\r\n?/g, "\n").trim() };
	const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(body)?.[1] ?? /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(body)?.[1] ?? null;
	const text = decodeEntities(
		body
			.replace(/<!--[\s\S]*?-->/g, " ")
			.replace(/<head\b[\s\S]*?<\/head>/i, " ")
			.replace(DROP, " ")
			.replace(BLOCK, "\n")
			.replace(/<[^>]+>/g, " ")
	)
		.split("\n")
		.map(line => line.replace(/\s+/g, " ").trim())
		.filter(Boolean)
		.join("\n");
	return { title: title ? decodeEntities(title.replace(/<[^>]+>/g, "")).replace(/\s+/g, " ").trim() : null, text };
}

/** Sentences, one paragraph (line) at a time. */
function sentences(text) {
	return text
		.split("\n")
		.flatMap(line => line.split(/(?<=[.!?])\s+(?=["'(\p{Lu}\p{N}])/u))
		.map(s => s.trim())
		.filter(s => s.length >= 20 && /\p{L}/u.test(s));
}

/** Topic words: lower case, no stopwords, a plural "s" dropped. */
function terms(text) {
	return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter(w => w.length > 2 && !STOPWORDS.has(w)).map(w => (w.length > 4 ? w.replace(/s$/, "") : w));
}

/** The `limit` sentences sharing most topic words with the question, in page order; the page's opening when none do. */
function relevantSentences(text, question, limit) {
	const wanted = new Set(terms(question));
	const all = sentences(text);
	const scored = all.map((s, i) => ({ s, i, score: new Set(terms(s).filter(t => wanted.has(t))).size }));
	const hits = scored.filter(x => x.score > 0).sort((a, b) => b.score - a.score || a.i - b.i);
	const chosen = hits.length ? hits.slice(0, limit) : scored.slice(0, Math.min(2, limit));
	return chosen.sort((a, b) => a.i - b.i).map(x => x.s);
}

/** How many of the question's topic words a text shares. */
function overlap(text, question) {
	const wanted = new Set(terms(question));
	return new Set(terms(text).filter(t => wanted.has(t))).size;
}

module.exports = { readable, sentences, relevantSentences, overlap, terms };
