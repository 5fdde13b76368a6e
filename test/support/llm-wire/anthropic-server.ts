import type { ServerResponse } from "node:http";
import { estimateTokens, sendJson, splitPieces, startEventStream, startWireServer, type Exchange, type Reply, type WireServer, type WireServerOptions } from "./script";

/**
 * A local server speaking the Anthropic Messages API closely enough for the
 * official `@anthropic-ai/sdk` (shapes from its resources/messages typings and
 * lib/MessageStream): `POST /v1/messages` as JSON or as named SSE events, and
 * `GET /v1/models`. Its `url` has no `/v1`: the SDK's baseURL excludes it.
 */

export interface AnthropicServerOptions extends WireServerOptions {
	/** Ids listed by `GET /v1/models`. */
	models?: string[];
}

export type AnthropicServer = WireServer;

/** The error `type` the real API sends for each status. */
function errorType(status: number): string {
	const types: Record<number, string> = {
		400: "invalid_request_error",
		401: "authentication_error",
		402: "billing_error",
		403: "permission_error",
		404: "not_found_error",
		408: "timeout_error",
		413: "request_too_large",
		429: "rate_limit_error",
		504: "timeout_error",
		529: "overloaded_error"
	};
	return types[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
}

export async function startAnthropicServer(options: AnthropicServerOptions = {}): Promise<AnthropicServer> {
	const models = options.models ?? ["claude-sonnet-4-5", "claude-haiku-4-5"];
	let counter = 0;
	const nextId = (prefix: string): string => `${prefix}${String(++counter).padStart(4, "0")}`;

	function writeError(res: ServerResponse, status: number, message?: string, retryAfterSeconds?: number): void {
		const requestId = nextId("req_");
		const headers: Record<string, string> = { "request-id": requestId, ...(retryAfterSeconds === undefined ? {} : { "retry-after": String(retryAfterSeconds) }) };
		sendJson(res, status, { type: "error", error: { type: errorType(status), message: message ?? `fake error ${status}` }, request_id: requestId }, headers);
	}

	const contentOf = (reply: Reply) => {
		// Nullable-but-required fields (citations, caller, …) are sent as the SDK 1.x typings declare them.
		const blocks: ({ type: "text"; text: string; citations: null } | { type: "tool_use"; id: string; name: string; input: object; caller: object })[] = [];
		// A tool-calling turn has a text block only when there is text; a text turn always has one.
		if (reply.kind === "text" || reply.text) blocks.push({ type: "text", text: reply.text ?? "", citations: null });
		if (reply.kind === "tool_calls") {
			for (const call of reply.calls) blocks.push({ type: "tool_use", id: call.id ?? nextId("toolu_"), name: call.name, input: call.arguments, caller: { type: "direct" } });
		}
		return blocks;
	};

	const stopReason = (reply: Reply): string => (reply.kind === "tool_calls" ? "tool_use" : reply.finish === "length" ? "max_tokens" : "end_turn");

	async function messages({ request, res, play }: Exchange): Promise<void> {
		const reply = await play();
		if (!reply) return;
		const body = request.body;
		const content = contentOf(reply);
		const input = reply.usage?.input ?? estimateTokens([body.system, body.messages]);
		const output = reply.usage?.output ?? estimateTokens(content);
		const usage = {
			input_tokens: input,
			output_tokens: output,
			cache_creation: null,
			cache_creation_input_tokens: 0,
			cache_read_input_tokens: 0,
			inference_geo: null,
			output_tokens_details: null,
			server_tool_use: null,
			service_tier: "standard",
			speed: null
		};
		const { cache_creation_input_tokens, cache_read_input_tokens, output_tokens_details, server_tool_use } = usage;
		// message_delta carries cumulative totals; the SDK overwrites its snapshot with the non-null ones.
		const deltaUsage = { input_tokens: input, cache_creation_input_tokens, cache_read_input_tokens, output_tokens_details, server_tool_use };
		const head = { id: nextId("msg_"), type: "message", role: "assistant", model: reply.model ?? String(body.model ?? "fake-model"), container: null, diagnostics: null };
		const headers = { "request-id": nextId("req_") };
		if (body.stream !== true) {
			return sendJson(res, 200, { ...head, content, stop_reason: stopReason(reply), stop_sequence: null, stop_details: null, usage }, headers);
		}

		// The SDK ignores SSE frames without an `event:` line, so every frame names its event.
		const send = startEventStream(res, headers);
		const event = (type: string, data: object) => send(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
		await event("message_start", { message: { ...head, content: [], stop_reason: null, stop_sequence: null, stop_details: null, usage: { ...usage, output_tokens: 1 } } });
		await event("ping", {});
		for (const [index, block] of content.entries()) {
			if (block.type === "text") {
				await event("content_block_start", { index, content_block: { ...block, text: "" } });
				for (const piece of splitPieces(block.text, 3)) await event("content_block_delta", { index, delta: { type: "text_delta", text: piece } });
			} else {
				// `input` starts empty and is rebuilt from partial_json; the real API's first fragment is "".
				await event("content_block_start", { index, content_block: { ...block, input: {} } });
				for (const piece of ["", ...splitPieces(JSON.stringify(block.input), 3)]) {
					await event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: piece } });
				}
			}
			await event("content_block_stop", { index });
		}
		await event("message_delta", { delta: { stop_reason: stopReason(reply), stop_sequence: null, stop_details: null }, usage: { ...deltaUsage, output_tokens: output } });
		await event("message_stop", {});
		res.end();
	}

	return startWireServer(
		{
			urlSuffix: "",
			// The API takes the key as x-api-key; SDK 1.x (API version 2026-10-21) sends it as a bearer token instead.
			authorized: (headers) =>
				options.apiKey === undefined || headers["x-api-key"] === options.apiKey || headers.authorization === `Bearer ${options.apiKey}`,
			writeError,
			async route(exchange) {
				const { method, path } = exchange.request;
				if (method === "POST" && path === "/v1/messages") return messages(exchange);
				if (method === "GET" && path === "/v1/models") {
					const data = models.map((id) => ({ type: "model", id, display_name: id, created_at: "2025-01-01T00:00:00Z" }));
					return sendJson(exchange.res, 200, { data, has_more: false, first_id: models[0] ?? null, last_id: models.at(-1) ?? null });
				}
				writeError(exchange.res, 404, `Not found: ${method} ${path}`);
			}
		},
		options
	);
}
