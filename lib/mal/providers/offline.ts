/**
 * The offline model: what an AgentOS node answers with when no LLM provider is configured.
 * It is not a language model and says so in every text answer ("(offline model) …"); it
 * is deterministic (the same request always gets the same answer) and needs no network.
 *
 * Chat (`offline-extractive`):
 * - Summaries. When the last user message asks to summarise (or the system prompt does),
 *   or carries a long text (> 600 chars), it answers with an EXTRACTIVE summary: the text's
 *   sentences are scored by how frequent their topic words are in the text and by how many
 *   of the question's topic words they share (the question being the request before the
 *   text, e.g. "What do these pages say about pricing?"); the best 1–3 (or "N sentences",
 *   when asked) are quoted in their original order. Texts cut by source markers —
 *   `[1] https://…` lines or `Source: https://…` lines — keep a citation per sentence
 *   (` [1]`) and end with the list of sources cited. A short "summarise it" summarises the
 *   latest long text earlier in the conversation.
 * - Tool calls. Given tools (and a `toolChoice` other than "none"), a short user message
 *   whose words match a tool's name (or, less, its description) — a message with a URL
 *   matches tools that take a URL — gets ONE call to the best tool; `required` and
 *   `{name}` force a call after a user message (after tool results it always answers, so
 *   a tool loop ends). Required string arguments are filled from the message: a URL for
 *   url/link-like names, a path for path/file-like names, else a quoted string, else the
 *   message itself; enums by the value the message names; numbers and booleans from their
 *   defaults (required ones without a default: a number in the message, or 0 / false).
 * - Tool results. When the conversation ends with tool results, it answers from them:
 *   an extractive summary of a long result (JSON is read for its text and URL fields,
 *   a fetched URL becomes the citation), or the result itself when it is short.
 * - Anything else gets a labelled keyword reply that lists the request's key terms.
 * It cannot reason, answer questions from knowledge, write code or plan: it only quotes,
 * matches and echoes. `maxTokens` and `stop` cut the text; usage is ⌈chars / 4⌉.
 *
 * Embeddings (`offline-hash-384`): feature hashing of words and character trigrams into
 * 384 dimensions (lib/mal/providers/hash-embedder.ts) — lexical similarity, no semantics.
 */
import { ProviderError } from "../errors";
import type { ChatMessage, FinishReason, JsonSchema, ProviderChatResult, ProviderChunk, ProviderEmbedResult, ToolCall, ToolChoice, ToolSpec } from "../types";
import type { LlmProvider, ResolvedChatRequest, ResolvedEmbedRequest } from "./base";
import { fnv1a, hashEmbed } from "./hash-embedder";
import { extractValues, hasSourceMarkers, keyTerms, parseJson, splitRequest, splitSentences, stem, STOPWORDS, SUMMARY_REQUEST, summarise, terms, toolText, URL_PATTERN, URL_PROPERTY } from "./offline-text";

export const OFFLINE_CHAT_MODEL = "offline-extractive";
export const OFFLINE_EMBEDDING_MODEL = "offline-hash-384";
/** The models an offline provider serves; the first is its default. */
export const OFFLINE_MODELS = [OFFLINE_CHAT_MODEL, OFFLINE_EMBEDDING_MODEL];

const LABEL = "(offline model)";
/** A user message longer than this is a text to summarise, not a request for a tool. */
const LONG_TEXT = 600;
/** A tool result or earlier message longer than this is worth summarising. */
const SOME_TEXT = 200;
const PATH_PROPERTY = /path|file|dir|folder/i;

export class OfflineProvider implements LlmProvider {
	readonly type = "offline" as const;
	readonly name: string;

	/** A name, or a provider config (only its name is used); "offline" by default. */
	constructor(config: string | { name?: string } = "offline") {
		this.name = (typeof config === "string" ? config : config.name) || "offline";
	}

	async chat(request: ResolvedChatRequest, signal: AbortSignal): Promise<ProviderChatResult> {
		this.checkAborted(signal);
		const model = this.serves(request.model, OFFLINE_CHAT_MODEL);
		const result = this.answer({ ...request, model });
		this.checkAborted(signal);
		return result;
	}

	async *stream(request: ResolvedChatRequest, signal: AbortSignal): AsyncIterable<ProviderChunk> {
		const result = await this.chat(request, signal);
		for (const text of result.content?.match(/\s*\S+\s*|\s+/g) ?? []) {
			this.checkAborted(signal);
			yield { type: "text", text };
		}
		for (const call of result.toolCalls) yield { type: "tool_call", call };
		this.checkAborted(signal);
		yield { type: "end", result };
	}

	async embed(request: ResolvedEmbedRequest, signal: AbortSignal): Promise<ProviderEmbedResult> {
		this.checkAborted(signal);
		const model = this.serves(request.model, OFFLINE_EMBEDDING_MODEL);
		const vectors = request.input.map(text => hashEmbed(text));
		this.checkAborted(signal);
		return { vectors, model, usage: { promptTokens: request.input.reduce((sum, text) => sum + tokens(text.length), 0) } };
	}

	private answer(request: ResolvedChatRequest): ProviderChatResult {
		const { messages } = request;
		const last = messages[messages.length - 1];
		const tools = request.toolChoice === "none" ? [] : (request.tools ?? []);
		const call = last?.role === "user" && tools.length ? this.chooseTool(last.content ?? "", tools, request.toolChoice, messages.length) : undefined;
		if (call) return finish(request, null, [call]);
		return finish(request, last?.role === "tool" ? answerToolResults(messages) : reply(messages), []);
	}

	private chooseTool(message: string, tools: ToolSpec[], choice: ToolChoice | undefined, turn: number): ToolCall | undefined {
		const values = extractValues(message);
		let tool: ToolSpec | undefined;
		if (typeof choice === "object") {
			tool = tools.find(t => t.name === choice.name);
			if (!tool) throw new ProviderError(this.name, `toolChoice names "${choice.name}", which is not among the tools given`, 400, false);
		} else {
			const [best] = tools.map((t, i) => ({ t, i, score: toolScore(t, message, values) })).sort((a, b) => b.score - a.score || a.i - b.i);
			const short = message.replace(URL_PATTERN, "").length <= LONG_TEXT && !hasSourceMarkers(message);
			if (choice === "required" || (best.score >= 2 && short)) tool = best.t;
		}
		if (!tool) return undefined;
		const args = fillArguments(tool.parameters, message, values);
		return { id: `call_offline_${fnv1a(`${turn}:${tool.name}:${JSON.stringify(args)}`).toString(16)}`, name: tool.name, arguments: args };
	}

	private serves(model: string, served: string): string {
		if (!model || model === served || model === `${this.name}/${served}`) return served;
		throw new ProviderError(this.name, `model "${model}" is not served offline (chat: ${OFFLINE_CHAT_MODEL}, embeddings: ${OFFLINE_EMBEDDING_MODEL})`, 404, false);
	}

	private checkAborted(signal: AbortSignal): void {
		if (signal.aborted) throw new ProviderError(this.name, "aborted", undefined, false);
	}
}

/** How strongly a message asks for a tool: 2 per word of its name, 1 per word of its description, 1 per URL / path it can take. */
function toolScore(tool: ToolSpec, message: string, values: ReturnType<typeof extractValues>): number {
	const said = new Set(terms(message));
	if (values.urls.length) for (const w of ["url", "link", "web", "page", "site", "website"]) said.add(stem(w));
	const nameWords = tool.name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase().split(/[^a-z0-9]+/);
	const name = new Set(nameWords.filter(w => w.length > 1 && !STOPWORDS.has(w)).map(stem));
	const description = terms(tool.description ?? "").filter(t => !name.has(t));
	const props = Object.keys(properties(tool.parameters));
	let score = 2 * [...name].filter(t => said.has(t)).length + new Set(description.filter(t => said.has(t))).size;
	if (values.urls.length && props.some(p => URL_PROPERTY.test(p))) score++;
	if (values.paths.length && props.some(p => PATH_PROPERTY.test(p))) score++;
	return score;
}

function properties(schema: JsonSchema): Record<string, unknown> {
	const props = schema.properties;
	return props && typeof props === "object" && !Array.isArray(props) ? (props as Record<string, unknown>) : {};
}

/** Arguments for a tool's JSON schema, taken from the message (see the file's comment). */
function fillArguments(schema: JsonSchema, message: string, values: ReturnType<typeof extractValues>): Record<string, unknown> {
	const required = new Set(Array.isArray(schema.required) ? schema.required : []);
	const { urls, paths, quoted, numbers } = { urls: [...values.urls], paths: [...values.paths], quoted: [...values.quoted], numbers: [...values.numbers] };
	const args: Record<string, unknown> = {};
	for (const [key, raw] of Object.entries(properties(schema))) {
		const prop = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
		const need = required.has(key);
		const type = Array.isArray(prop.type) ? prop.type.find(t => t !== "null") : prop.type;
		let value: unknown = prop.default;
		if (Array.isArray(prop.enum) && prop.enum.length) {
			const named = prop.enum.find(e => typeof e === "string" && new RegExp(`\\b${e.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`, "i").test(message));
			value = named ?? value ?? (need ? prop.enum[0] : undefined);
		} else if (type === "string" || type === undefined) {
			const specific = URL_PROPERTY.test(key) ? urls.shift() : PATH_PROPERTY.test(key) ? paths.shift() : undefined;
			value = specific ?? value ?? (need ? (quoted.shift() ?? message.trim()) : undefined);
		} else if (type === "number" || type === "integer") {
			const n = need && value === undefined ? (numbers.shift() ?? (typeof prop.minimum === "number" ? prop.minimum : 0)) : value;
			value = type === "integer" && typeof n === "number" ? Math.round(n) : n;
		} else if (value === undefined && need) {
			value = type === "boolean" ? false : type === "array" ? (URL_PROPERTY.test(key) ? urls.splice(0) : []) : type === "object" ? {} : null;
		}
		if (value !== undefined) args[key] = value;
	}
	return args;
}

/** The answer to a message with no tool call: an extractive summary, or the keyword reply. */
function reply(messages: ChatMessage[]): string {
	const lastUser = lastIndexOf(messages, "user");
	const request = messages[lastUser]?.content ?? "";
	const system = messages.filter(m => m.role === "system").map(m => m.content ?? "");
	const asked = SUMMARY_REQUEST.test(request) || system.some(s => SUMMARY_REQUEST.test(s));
	let { question, body } = splitRequest(request);
	if (asked && body.length < SOME_TEXT) {
		const earlier = messages.slice(0, Math.max(0, lastUser)).reverse().find(m => m.role !== "system" && textOf(m).length >= SOME_TEXT);
		if (earlier) ({ question, body } = { question: request, body: textOf(earlier) });
	}
	if (body.length > LONG_TEXT || hasSourceMarkers(body) || ((asked || question) && splitSentences(body).length >= 2)) {
		const summary = summarise(body, question);
		if (summary) return `${LABEL} Extractive summary (sentences quoted from the text, not written by a language model):\n${summary}`;
	}
	const known = factsFor(question || request, system);
	if (known.length) return `${LABEL} From what I was told (quoted, not reasoned):\n${known.map(f => `- ${f}`).join("\n")}`;
	const key = keyTerms(request);
	return (
		`${LABEL} I can't reason like a language model; the key terms of your request are: ${key.length ? key.join(", ") : "(none)"}. ` +
		"Offline, I can summarise a text you send me (quoting its most relevant sentences, keeping [n] URL citations) and call the tool " +
		"that matches a request; configure an LLM provider (OpenAI, Anthropic, or an OpenAI-compatible server such as Ollama) for real answers."
	);
}

/**
 * Facts given in the system prompt as "- " bullet lines (a declarative agent's recalled
 * memories come that way) that share the most of the question's topic words — at least
 * half as many as the best one.
 */
function factsFor(question: string, system: string[]): string[] {
	const wanted = new Set(terms(question, true));
	if (!wanted.size) return [];
	const facts = system.flatMap(s => s.split("\n").filter(line => line.startsWith("- ")).map(line => line.slice(2).trim()));
	const scored = facts.map(fact => ({ fact, overlap: terms(fact).filter(t => wanted.has(t)).length }));
	const best = Math.max(0, ...scored.map(f => f.overlap));
	return best === 0 ? [] : scored.filter(f => f.overlap * 2 >= best).sort((a, b) => b.overlap - a.overlap).slice(0, 3).map(f => f.fact);
}

/** The answer to the tool results that end the conversation. */
function answerToolResults(messages: ChatMessage[]): string {
	let start = messages.length;
	while (start > 0 && messages[start - 1].role === "tool") start--;
	const calls = messages[start - 1]?.toolCalls ?? [];
	const results = messages.slice(start).map(m => ({ message: m, call: calls.find(c => c.id === m.toolCallId) }));
	const names = [...new Set(results.map(r => r.message.name ?? r.call?.name ?? "tool"))].map(n => `\`${n}\``).join(", ");
	const text = results
		.map(({ message, call }) => {
			const url = Object.entries(call?.arguments ?? {}).find(([k, v]) => URL_PROPERTY.test(k) && typeof v === "string")?.[1] as string | undefined;
			return toolText(parseJson(message.content ?? ""), url);
		})
		.join("\n\n");
	const question = messages[lastIndexOf(messages.slice(0, start), "user")]?.content ?? "";
	if (text.length > SOME_TEXT) {
		const summary = summarise(text, question);
		if (summary) return `${LABEL} From the result of ${names} (an extractive summary; the sentences are quoted):\n${summary}`;
	}
	const raw = results.map(r => r.message.content ?? "").join("\n\n").trim();
	return `${LABEL} ${names} returned:\n${raw.length > 1000 ? `${raw.slice(0, 1000)}…` : raw || "(nothing)"}`;
}

function textOf(message: ChatMessage): string {
	return message.role === "tool" ? toolText(parseJson(message.content ?? "")) : (message.content ?? "");
}

function lastIndexOf(messages: ChatMessage[], role: ChatMessage["role"]): number {
	for (let i = messages.length - 1; i >= 0; i--) if (messages[i].role === role) return i;
	return -1;
}

function tokens(chars: number): number {
	return Math.ceil(chars / 4);
}

/** The result: `stop` and `maxTokens` applied, usage counted as ⌈chars / 4⌉. */
function finish(request: ResolvedChatRequest, content: string | null, toolCalls: ToolCall[]): ProviderChatResult {
	let text = content;
	let finishReason: FinishReason = toolCalls.length ? "tool_calls" : "stop";
	if (text !== null) {
		for (const stop of request.stop ?? []) if (stop && text.includes(stop)) text = text.slice(0, text.indexOf(stop));
		if (request.maxTokens && tokens(text.length) > request.maxTokens) {
			text = text.slice(0, request.maxTokens * 4);
			finishReason = "length";
		}
	}
	const messageChars = (m: ChatMessage) => (m.content?.length ?? 0) + (m.toolCalls?.length ? JSON.stringify(m.toolCalls).length : 0);
	const promptTokens = tokens(request.messages.reduce((sum, m) => sum + messageChars(m), 0));
	const completionTokens = tokens((text?.length ?? 0) + (toolCalls.length ? JSON.stringify(toolCalls).length : 0));
	return { content: text, toolCalls, finishReason, usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens }, model: request.model };
}
