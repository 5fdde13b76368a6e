/**
 * Text helpers for the offline model (lib/mal/providers/offline.ts): words, stopwords, a
 * light stemmer, sentence splitting, source markers and the extractive summariser.
 * Everything here is deterministic.
 */

export const STOPWORDS = new Set(
	(
		"a about above after again against all am an and any are aren't as at be because been before being below between both but by can " +
		"can't cannot could couldn't did didn't do does doesn't doing don't down during each few for from further had hadn't has hasn't have " +
		"haven't having he her here hers herself him himself his how i if in into is isn't it it's its itself just let's me more most mustn't my " +
		"myself no nor not now of off on once only or other ought our ours ourselves out over own same shan't she should shouldn't so some such " +
		"than that that's the their theirs them themselves then there there's these they this those through to too under until up very was " +
		"wasn't we were weren't what what's when where which while who whom why will with won't would wouldn't you your yours yourself " +
		"yourselves also may might must shall us via per etc e g ie eg get got make made like one two s t"
	).split(" ")
);

/** Words of instructions, not of topics: they never count as overlap with the text. */
const INSTRUCTION_WORDS = new Set(
	(
		"summarise summarize summary summaries summarising summarizing tldr tl dr following text page pages article articles document documents " +
		"source sources citation citations cite please brief briefly short key main point points bullet bullets sentence sentences give write " +
		"tell explain describe say says read content"
	).split(" ")
);

export const SUMMARY_REQUEST = /\b(summari[sz](e|es|ed|ing|ation)|summary|tl;?\s?dr|digest|key points|main points)\b/i;
/** Names of tool arguments / JSON fields that hold a URL. */
export const URL_PROPERTY = /url|uri|link|href|endpoint|website/i;
export const URL_PATTERN = /https?:\/\/[^\s<>"'`)\]]+[^\s<>"'`)\].,;:!?]/g;

/** Lowercased words (letters and digits; a possessive 's dropped). */
export function words(text: string): string[] {
	return (text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}]+)?/gu) ?? []).map(w => w.replace(/'s$/, ""));
}

/** A light suffix-stripping stemmer: index/indexes/indexing/indexed → index, database/databases → databas. */
export function stem(word: string): string {
	let w = word;
	if (w.length > 4) {
		if (w.endsWith("ies")) w = `${w.slice(0, -3)}y`;
		else if (w.endsWith("sses")) w = w.slice(0, -2);
		else if (/(x|ch|sh)es$/.test(w)) w = w.slice(0, -2);
		else if (w.endsWith("s") && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
		if (w.length > 5 && w.endsWith("ing")) w = w.slice(0, -3);
		else if (w.length > 4 && w.endsWith("ed")) w = w.slice(0, -2);
		if (/([^aeiouslz])\1$/.test(w)) w = w.slice(0, -1);
	}
	return w.length > 3 && w.endsWith("e") ? w.slice(0, -1) : w;
}

/** Stemmed topic words of a text: no stopwords, URLs or one-letter words. */
export function terms(text: string, dropInstructions = false): string[] {
	return words(text.replace(URL_PATTERN, " ")).filter(w => w.length > 1 && !STOPWORDS.has(w) && !(dropInstructions && INSTRUCTION_WORDS.has(w))).map(stem);
}

/** The most frequent topic words of a text, as written (first seen wins ties). */
export function keyTerms(text: string, limit = 8): string[] {
	const counts = new Map<string, { word: string; n: number; first: number }>();
	words(text.replace(URL_PATTERN, " ")).forEach((w, i) => {
		if (w.length < 3 || STOPWORDS.has(w) || INSTRUCTION_WORDS.has(w)) return;
		const seen = counts.get(stem(w));
		if (seen) seen.n++;
		else counts.set(stem(w), { word: w, n: 1, first: i });
	});
	return [...counts.values()]
		.sort((a, b) => b.n - a.n || a.first - b.first)
		.slice(0, limit)
		.map(c => c.word);
}

const ABBREVIATION = /(?:^|\s)(?:e\.g|i\.e|etc|vs|mr|mrs|ms|dr|prof|inc|ltd|jr|sr|st|fig|approx|[A-Z])\.$/i;

/** Sentences of a text: paragraphs split at blank lines (and list items), then at . ! ? before a capital, digit or quote. */
export function splitSentences(text: string): string[] {
	const out: string[] = [];
	for (const paragraph of text.split(/\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)]|#+)\s)/)) {
		const flat = paragraph.replace(/^\s*(?:[-*•]|#+)\s+/, "").replace(/\s+/g, " ").trim();
		if (!flat) continue;
		let current = "";
		for (const piece of flat.split(/(?<=[.!?]["')\]]*)\s+(?=["'([]?[\p{Lu}\p{N}])/u)) {
			current = current ? `${current} ${piece}` : piece;
			if (!ABBREVIATION.test(current)) {
				out.push(current);
				current = "";
			}
		}
		if (current) out.push(current);
	}
	// A run with no capitalised sentence starts (lowercase text, scraped tables) is cut at any . ! ?
	return out.flatMap(s => (s.length > 500 ? s.split(/(?<=[.!?])\s+/) : [s]));
}

export interface Section {
	text: string;
	/** The source's citation number, when the text follows a source marker. */
	cite?: number;
}

const NUMBERED_SOURCE = /^\s*\[(\d{1,3})\]:?\s*[-–]?\s*<?(https?:\/\/[^\s>]+?)>?(?:\s+(.*))?$/;
const LABELLED_SOURCE = /^\s*(?:source|url|link|from)\s*(?:\[(\d{1,3})\])?\s*:\s*<?(https?:\/\/[^\s>]+?)>?\s*$/i;

export function hasSourceMarkers(text: string): boolean {
	return text.split("\n").some(line => NUMBERED_SOURCE.test(line) || LABELLED_SOURCE.test(line));
}

/**
 * Cuts a text at its source markers — `[1] https://…` lines (text may follow the URL) and
 * `Source: https://…` lines (numbered in order of first appearance) — into sections that
 * each cite their source. A marker with no text after it (a trailing `Source:` line)
 * cites the uncited text before it.
 */
export function parseSources(text: string): { sections: Section[]; sources: Map<number, string> } {
	const sources = new Map<number, string>();
	const sections: Section[] = [{ text: "" }];
	const numberOf = (url: string, given?: string) => {
		const known = [...sources].find(([, u]) => u === url)?.[0];
		const n = given ? Number(given) : (known ?? Math.max(0, ...sources.keys()) + 1);
		if (!sources.has(n)) sources.set(n, url);
		return n;
	};
	for (const line of text.split("\n")) {
		const m = NUMBERED_SOURCE.exec(line) ?? LABELLED_SOURCE.exec(line);
		if (!m) {
			sections[sections.length - 1].text += `${line}\n`;
			continue;
		}
		const last = sections[sections.length - 1];
		const cite = numberOf(m[2], m[1]);
		if (last.cite !== undefined && !last.text.trim()) sections.pop();
		sections.push({ text: m[3] ? `${m[3]}\n` : "", cite });
	}
	const last = sections[sections.length - 1];
	const before = sections[sections.length - 2];
	if (last.cite !== undefined && !last.text.trim() && before && before.cite === undefined) before.cite = last.cite;
	return { sections: sections.filter(s => s.text.trim()), sources };
}

/**
 * An extractive summary: the text's sentences scored by the frequency of their topic
 * words across the text (÷ √length) plus twice their share of the question's topic
 * words; with a question, sentences sharing under half the best overlap are dropped.
 * The best `limit` (default: all of 1–2 sentences, 2 of 3–5, else 3) are returned in
 * their original order, each with its source's citation, then the list of sources cited.
 * "" when the text has no sentences.
 */
export function summarise(text: string, question = "", limit?: number): string {
	const { sections, sources } = parseSources(text);
	const seen = new Set<string>();
	const all = sections.flatMap(s => splitSentences(s.text).map(sentence => ({ text: sentence, cite: s.cite, terms: new Set(terms(sentence)) })));
	const unique = all.filter(s => !seen.has(s.text.toLowerCase()) && seen.add(s.text.toLowerCase()));
	const full = unique.filter(s => s.text.split(" ").length >= 4);
	const sentences = (full.length ? full : unique).map((s, index) => ({ ...s, index, score: 0, overlap: 0 }));
	if (!sentences.length) return "";
	const frequency = new Map<string, number>();
	for (const s of sentences) for (const t of s.terms) frequency.set(t, (frequency.get(t) ?? 0) + 1);
	const wanted = new Set(terms(question, true));
	let maxFreq = 0;
	for (const s of sentences) {
		s.score = [...s.terms].reduce((sum, t) => sum + (frequency.get(t) ?? 0), 0) / Math.sqrt(Math.max(1, s.terms.size));
		s.overlap = wanted.size ? [...s.terms].filter(t => wanted.has(t)).length / wanted.size : 0;
		maxFreq = Math.max(maxFreq, s.score);
	}
	const bestOverlap = sentences.reduce((best, s) => Math.max(best, s.overlap), 0);
	const asked = Number(/\b(\d{1,2})\s+(?:sentences|points|bullets|bullet points|key points)\b/i.exec(question)?.[1] ?? 0);
	const n = Math.min(10, asked || limit || (sentences.length <= 2 ? sentences.length : sentences.length <= 5 ? 2 : 3));
	const chosen = sentences
		.filter(s => bestOverlap === 0 || s.overlap >= bestOverlap / 2)
		.sort((a, b) => b.score / (maxFreq || 1) + 2 * b.overlap - (a.score / (maxFreq || 1) + 2 * a.overlap) || a.index - b.index)
		.slice(0, n)
		.sort((a, b) => a.index - b.index);
	const cited = [...new Set(chosen.flatMap(s => (s.cite === undefined ? [] : [s.cite])))];
	const lines = chosen.map(s => `- ${s.text}${s.cite !== undefined && !s.text.includes(`[${s.cite}]`) ? ` [${s.cite}]` : ""}`);
	if (cited.length) lines.push("", "Sources:", ...cited.sort((a, b) => a - b).map(c => `[${c}] ${sources.get(c)}`));
	return lines.join("\n");
}

/** URLs, file paths and quoted strings in a message, in order: what tool arguments are filled from. */
export function extractValues(text: string): { urls: string[]; paths: string[]; quoted: string[]; numbers: number[] } {
	const urls = text.match(URL_PATTERN) ?? [];
	const rest = text.replace(URL_PATTERN, " ");
	const quoted = [...rest.matchAll(/"([^"\n]+)"|“([^”\n]+)”|`([^`\n]+)`|(?:^|\s)'([^'\n]+)'(?=$|\s|[.,;:!?])/g)].map(m => m[1] ?? m[2] ?? m[3] ?? m[4]);
	const paths = [...rest.matchAll(/(?:^|[\s"'`(])((?:~|\.{1,2})?\/?[\w.-]+(?:\/[\w.-]+)+\/?|[\w-]{2,}\.[a-z][a-z0-9]{0,4})(?=$|[\s"'`),;:!?]|\.(?:\s|$))/gi)].map(m => m[1]);
	const numbers = [...rest.matchAll(/(?:^|\s)(-?\d+(?:\.\d+)?)(?=$|[\s,;:!?)]|\.(?:\s|$))/g)].map(m => Number(m[1]));
	return { urls, paths, quoted, numbers };
}

export function parseJson(content: string): unknown {
	try {
		return JSON.parse(content);
	} catch {
		return content;
	}
}

/** A tool result as text: JSON is read for its strings, and a URL field (or the URL fetched) becomes a `Source:` line. */
export function toolText(value: unknown, url?: string): string {
	if (typeof value === "string") return value.trim() && url && !hasSourceMarkers(value) ? `Source: ${url}\n${value}` : value;
	if (Array.isArray(value)) return value.map(v => toolText(v)).join("\n\n");
	if (!value || typeof value !== "object") return value === undefined || value === null ? "" : String(value);
	const entries = Object.entries(value);
	const link = entries.find(([k, v]) => URL_PROPERTY.test(k) && typeof v === "string" && /^https?:\/\//.test(v))?.[1] as string | undefined;
	const own = entries.filter(([, v]) => typeof v === "string" && v !== link).map(([, v]) => v as string);
	const nested = entries.filter(([, v]) => v && typeof v === "object").map(([, v]) => toolText(v));
	return [toolText(own.join("\n\n"), link ?? url), ...nested].filter(s => s.trim()).join("\n\n");
}

/** Splits "What do these say about X?\n\n<text>" into the question and the text. */
export function splitRequest(message: string): { question: string; body: string } {
	const lines = message.split("\n");
	const marker = lines.findIndex(line => hasSourceMarkers(line));
	if (marker >= 0) {
		const question = lines.slice(0, marker).join("\n");
		return question.length <= 500 ? { question, body: lines.slice(marker).join("\n") } : { question: "", body: message };
	}
	const isRequest = (head: string) => SUMMARY_REQUEST.test(head) || /\b(please|what|which|how|why|who|when|where|explain|tell|find|list|about)\b/i.test(head);
	const paragraph = /\n\s*\n/.exec(message);
	if (paragraph && paragraph.index <= 300 && message.length > 2 * paragraph.index) {
		const head = message.slice(0, paragraph.index);
		if (isRequest(head) || /[:?]\s*$/.test(head)) return { question: head, body: message.slice(paragraph.index) };
	}
	const colon = /^([^\n]{1,300}?[:?])\s+/.exec(message);
	if (colon && isRequest(colon[1]) && message.length > 2 * colon[0].length) return { question: colon[1], body: message.slice(colon[0].length) };
	return { question: "", body: message };
}
