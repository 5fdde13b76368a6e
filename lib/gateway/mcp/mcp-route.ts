import type { GatewayLimits } from "../gateway-limits";
import type { IncomingMessage, ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import type { Context } from "moleculer";
import type { IncomingRequest } from "moleculer-web";
import { AgentStore } from "../../../actors/agent-store";
import type { AgentManifest } from "../../../actors/manifest-types";
import type { Database } from "../../kernel/database";
import { parseJsonInput } from "../../kernel/input-guard";
import { errorAnswer, type ErrorAnswer, type PublicError } from "../error-response";
import type { GatewayAuth, GatewayUser } from "../gateway-auth";
import type { GatewayThis } from "../gateway-this";
import { createMcpServer } from "./mcp-server";

export interface McpRouteOptions extends GatewayLimits {
	auth: GatewayAuth;
	db: Database;
	version: string;
}

/** JSON-RPC's code for a server's own errors outside the spec's list, as the SDK's transport answers HTTP-level refusals. */
const HTTP_ERROR = -32000;

/** Agents listed per tools/list; more than this and a host's model could not choose among them anyway. */
const MAX_AGENTS = 1000;

/** An answer outside JSON-RPC's own flow (no token, too large, not JSON): the HTTP status, and a JSON-RPC error body. */
function sendRpcError(res: ServerResponse, status: number, code: number, error: PublicError, headers: Record<string, string> = {}): void {
	if (res.headersSent) return;
	res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers });
	res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message: error.message, data: { type: error.type, ...(error.data === undefined ? {} : { data: error.data }) } }, id: null }));
}

class BodyTooLargeError extends Error {}

/** The request body, up to `limit` bytes (a larger one is refused as it arrives, not after). */
async function readBody(req: IncomingMessage, limit: number): Promise<string> {
	if (Number(req.headers["content-length"] ?? 0) > limit) throw new BodyTooLargeError();
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req as AsyncIterable<Buffer>) {
		size += chunk.length;
		if (size > limit) throw new BodyTooLargeError();
		chunks.push(chunk);
	}
	return Buffer.concat(chunks).toString("utf8");
}

/**
 * POST /mcp: MCP's Streamable HTTP transport, stateless — a server and transport for each
 * request, no session id — so any node of a cluster answers any request, and nothing is
 * held between them. A bearer token as for REST (401 with `WWW-Authenticate: Bearer`),
 * the same rate limits and body limits; bodies that are no JSON-RPC get JSON-RPC errors
 * from the SDK. GET (a standing event stream) and DELETE (ending a session) mean nothing
 * without sessions: 405.
 */
export function mcpRoute(options: McpRouteOptions) {
	const agents = new AgentStore(options.db, false);
	const manifests = async (): Promise<AgentManifest[]> => (await agents.page({ limit: MAX_AGENTS, offset: 0 })).rows.map(r => r.manifest);
	const manifest = async (id: string): Promise<AgentManifest | undefined> => {
		try {
			return (await agents.get(id)).manifest;
		} catch (err) {
			if ((err as { type?: string }).type === "AGENT_NOT_FOUND") return undefined;
			throw err;
		}
	};

	return async function mcp(this: GatewayThis, req: IncomingRequest, res: ServerResponse): Promise<void> {
		const ctx: Context = req.$ctx;
		const circuitHalfOpenMs = this.broker.options.circuitBreaker?.halfOpenTime ?? 10_000;
		// Errors as REST shows them: a bug's text stays in the log under a request id.
		const answer = (err: unknown): ErrorAnswer => errorAnswer(err, { requestId: ctx?.requestID ?? undefined, what: `${req.method} /mcp`, circuitHalfOpenMs, logger: this.logger });
		try {
			await options.checkRate(req, res);
		} catch (err) {
			// RATE_LIMITED: the limiter has set Retry-After on the response already.
			const { status, error, retryAfterSeconds } = answer(err);
			return sendRpcError(res, status, HTTP_ERROR, error, retryAfterSeconds ? { "Retry-After": String(retryAfterSeconds) } : {});
		}
		let user: GatewayUser;
		try {
			user = await options.auth.fromHeader(req.headers.authorization);
		} catch (err) {
			options.recordRefusal(req, null, (err as { type?: string }).type ?? "unauthorized");
			const { status, error } = answer(err);
			const challenge = error.type === "INVALID_TOKEN" ? 'Bearer realm="agentos", error="invalid_token"' : 'Bearer realm="agentos"';
			return sendRpcError(res, status, HTTP_ERROR, error, status === 401 ? { "WWW-Authenticate": challenge } : {});
		}
		if (req.method !== "POST") {
			return sendRpcError(res, 405, HTTP_ERROR, { type: "METHOD_NOT_ALLOWED", message: "This MCP server is stateless: send JSON-RPC with POST" }, { Allow: "POST" });
		}

		let body: unknown;
		try {
			body = parseJsonInput(await readBody(req, options.maxPayloadBytes));
		} catch (err) {
			if (err instanceof BodyTooLargeError) {
				const error = { type: "PAYLOAD_TOO_LARGE", message: `The request body is over ${options.maxPayloadBytes} bytes (GATEWAY_MAX_PAYLOAD_BYTES)` };
				res.setHeader("Connection", "close");
				return sendRpcError(res, 413, ErrorCode.InvalidRequest, error);
			}
			if (err instanceof SyntaxError) return sendRpcError(res, 400, ErrorCode.ParseError, { type: "INVALID_JSON", message: `Parse error: the body is not valid JSON (${err.message})` });
			const { status, error } = answer(err);
			return sendRpcError(res, status, ErrorCode.InvalidRequest, error);
		}

		const server = createMcpServer({
			user,
			name: "agentos",
			version: options.version,
			call: (action, params) => ctx.call(action, params, { meta: { user } }),
			manifests,
			manifest,
			refused: reason => options.recordRefusal(req, user, reason),
			describe: err => answer(err).error
		});
		// JSON answers rather than an event stream: each call has one answer, and any HTTP client reads it.
		const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
		res.on("close", () => {
			void transport.close();
			void server.close();
		});
		try {
			await server.connect(transport);
			await transport.handleRequest(req, res, body);
		} catch (err) {
			const { status, error } = answer(err);
			sendRpcError(res, status, ErrorCode.InternalError, error);
		}
	};
}
