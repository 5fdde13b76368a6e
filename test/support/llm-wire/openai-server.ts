import type { ServerResponse } from "node:http";
import {
	estimateTokens,
	fakeEmbedding,
	sendJson,
	splitPieces,
	startEventStream,
	startWireServer,
	StepQueue,
	type Exchange,
	type Reply,
	type Scripted,
	type WireServer,
	type WireServerOptions
} from "./script";

/**
 * A local server speaking the OpenAI REST wire format closely enough for the
 * official `openai` SDK (shapes from its resources/chat/completions and
 * embeddings typings): chat completions (JSON and SSE), embeddings, models.
 */

export interface OpenAIServerOptions extends WireServerOptions {
	/** Ids listed by `GET /v1/models`. */
	models?: string[];
	/**
	 * The embedding models the server has (default: any). Asked for another, `/v1/embeddings`
	 * answers 404 as Ollama's OpenAI layer does for a model not pulled; `[]` is a chat-only
	 * server, like a local server with no embedding model.
	 */
	embeddingModels?: string[];
	/** Length of the vectors it answers when the request names none (default 8). */
	embeddingDimensions?: number;
}

export interface OpenAIServer extends WireServer {
	/** Steps for `/v1/embeddings` (its own queue, default: vectors). Only error/hang/reset/delay matter; a reply step means "answer normally". */
	scriptEmbeddings(...steps: Scripted[]): void;
}

const CREATED = 1_700_000_000;

/** `type`/`code` as the real API sends them for each status. */
function errorKind(status: number): { type: string; code: string | null } {
	if (status === 401) return { type: "invalid_request_error", code: "invalid_api_key" };
	if (status === 429) return { type: "requests", code: "rate_limit_exceeded" };
	if (status >= 500) return { type: "server_error", code: null };
	return { type: "invalid_request_error", code: null };
}

function writeError(res: ServerResponse, status: number, message?: string, retryAfterSeconds?: number): void {
	const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) };
	sendJson(res, status, { error: { message: message ?? `fake error ${status}`, ...errorKind(status), param: null } }, headers);
}

export async function startOpenAIServer(options: OpenAIServerOptions = {}): Promise<OpenAIServer> {
	const models = options.models ?? ["gpt-4o-mini", "text-embedding-3-small"];
	const embeddings = new StepQueue({ kind: "text", text: "" });
	let counter = 0;
	const nextId = (prefix: string): string => `${prefix}${++counter}`;

	const usageOf = (reply: Reply, body: Record<string, unknown>) => {
		const input = reply.usage?.input ?? estimateTokens(body.messages);
		const output = reply.usage?.output ?? estimateTokens(reply.kind === "text" ? reply.text : JSON.stringify(reply.calls) + (reply.text ?? ""));
		return { prompt_tokens: input, completion_tokens: output, total_tokens: input + output };
	};

	const toolCalls = (reply: Reply) =>
		reply.kind === "tool_calls"
			? reply.calls.map((call) => ({ id: call.id ?? nextId("call_"), type: "function" as const, function: { name: call.name, arguments: JSON.stringify(call.arguments) } }))
			: [];

	const finishReason = (reply: Reply): string => (reply.kind === "tool_calls" ? "tool_calls" : (reply.finish ?? "stop"));

	async function chat({ request, res, play }: Exchange): Promise<void> {
		const reply = await play();
		if (!reply) return;
		const body = request.body;
		const head = { id: nextId("chatcmpl-"), created: CREATED, model: reply.model ?? String(body.model ?? "fake-model"), system_fingerprint: "fp_fake" };
		const calls = toolCalls(reply);
		if (body.stream !== true) {
			const message = { role: "assistant", content: reply.text ?? null, refusal: null, ...(calls.length ? { tool_calls: calls } : {}) };
			const choice = { index: 0, message, logprobs: null, finish_reason: finishReason(reply) };
			return sendJson(res, 200, { ...head, object: "chat.completion", choices: [choice], usage: usageOf(reply, body) });
		}

		// With include_usage every chunk carries `usage: null` and one extra chunk with empty choices carries the totals.
		const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
		const send = startEventStream(res);
		const frame = (payload: object) => send(`data: ${JSON.stringify({ ...head, object: "chat.completion.chunk", ...payload })}\n\n`);
		const chunk = (delta: object, finish: string | null = null) =>
			frame({ choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) });
		await chunk({ role: "assistant", content: "", refusal: null });
		for (const piece of splitPieces(reply.text ?? "", 3)) await chunk({ content: piece });
		for (const [index, call] of calls.entries()) {
			// The first delta of a tool call names it; arguments follow in fragments keyed by `index` only.
			await chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }] });
			for (const fragment of splitPieces(call.function.arguments, 3)) await chunk({ tool_calls: [{ index, function: { arguments: fragment } }] });
		}
		await chunk({}, finishReason(reply));
		if (includeUsage) await frame({ choices: [], usage: usageOf(reply, body) });
		await send("data: [DONE]\n\n");
		res.end();
	}

	async function embed({ request, res, play }: Exchange): Promise<void> {
		const { input, dimensions, encoding_format: format, model } = request.body;
		if (options.embeddingModels && !options.embeddingModels.includes(String(model))) {
			return sendJson(res, 404, { error: { message: `model "${String(model)}" not found, try pulling it first`, type: "not_found_error", param: null, code: null } });
		}
		if (!(await play(embeddings))) return;
		const items = (Array.isArray(input) && input.some((x) => typeof x !== "number") ? input : [input]) as unknown[];
		const texts = items.map((item) => (typeof item === "string" ? item : JSON.stringify(item)));
		const size = typeof dimensions === "number" ? dimensions : (options.embeddingDimensions ?? 8);
		// The SDK asks for base64 (little-endian float32) unless the caller chose a format, and decodes it itself.
		const encode = (v: number[]) => (format === "base64" ? Buffer.from(new Float32Array(v).buffer).toString("base64") : v);
		const data = texts.map((text, index) => ({ object: "embedding", index, embedding: encode(fakeEmbedding(text, size)) }));
		const tokens = texts.reduce((sum, text) => sum + estimateTokens(text), 0);
		sendJson(res, 200, { object: "list", data, model: String(model ?? "fake-embedding"), usage: { prompt_tokens: tokens, total_tokens: tokens } });
	}

	const server = await startWireServer(
		{
			urlSuffix: "/v1",
			authorized: (headers) => options.apiKey === undefined || headers.authorization === `Bearer ${options.apiKey}`,
			writeError,
			async route(exchange) {
				const { method, path } = exchange.request;
				if (method === "POST" && path === "/v1/chat/completions") return chat(exchange);
				if (method === "POST" && path === "/v1/embeddings") return embed(exchange);
				if (method === "GET" && path === "/v1/models") {
					const data = models.map((id) => ({ id, object: "model", created: CREATED, owned_by: "agent-os-test" }));
					return sendJson(exchange.res, 200, { object: "list", data });
				}
				writeError(exchange.res, 404, `Invalid URL (${method} ${path})`);
			}
		},
		options
	);
	return {
		...server,
		scriptEmbeddings: (...steps) => embeddings.push(...steps),
		clearScript: () => {
			server.clearScript();
			embeddings.clear();
		}
	};
}
