import type { GatewayLimits } from "../gateway-limits";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, Logger } from "moleculer";
import { formatSSEErrorEvent, formatSSEEvent, SSE_HEADERS } from "@a2a-js/sdk";
import { isLegacyJsonRpcMethod } from "@a2a-js/sdk/compat/v0_3";
import { LegacyJsonRpcTransportHandler } from "@a2a-js/sdk/compat/v0_3/server";
import { JsonRpcTransportHandler, ServerCallContext } from "@a2a-js/sdk/server";
import { AgentStore } from "../../../actors/agent-store";
import type { AgentManifest } from "../../../actors/manifest-types";
import { TaskStore } from "../../../actors/task-store";
import type { Database } from "../../kernel/database";
import { GatewayAuth, type GatewayUser } from "../gateway-auth";
import { A2AUser } from "./a2a-user";
import { buildAgentCard, buildNodeCard, cardJson } from "./agent-card";
import { AgentOsTaskStore } from "./db-task-store";
import { AgentOsExecutor, refusalOf } from "./executor";
import { LiveTasks } from "./live-tasks";
import { AgentOsRequestHandler } from "./request-handler";
import { A2ARequestError, RPC, toRpcError, type RpcError } from "./rpc-errors";

export interface A2AGatewayOptions extends GatewayLimits {
	db: Database;
	auth: GatewayAuth;
	/** The node's version, on its own card. */
	version: string;
}

/** How long an agent's manifest is trusted before it is read again (a changed one rebuilds its card). */
const MANIFEST_TTL_MS = 2000;

interface AgentEndpoint {
	digest: string;
	readAt: number;
	v1: JsonRpcTransportHandler;
	legacy: LegacyJsonRpcTransportHandler;
}


class BodyTooLargeError extends Error {}

function baseUrl(req: IncomingMessage): string {
	const proto = (req.headers["x-forwarded-proto"] as string | undefined)?.split(",")[0]?.trim() || "http";
	return `${proto}://${req.headers.host ?? "localhost"}`;
}

function errorContext(req: IncomingMessage, logger: Logger) {
	return { what: `A2A ${req.method} ${(req.url ?? "").split("?")[0]}`, circuitHalfOpenMs: 10_000, logger };
}

function isRequest(body: unknown): body is { jsonrpc: "2.0"; method: string } {
	const b = body as { jsonrpc?: unknown; method?: unknown } | null;
	return typeof b === "object" && b !== null && !Array.isArray(b) && b.jsonrpc === "2.0" && typeof b.method === "string";
}

function rpcId(body: unknown): string | number | null {
	const id = (body as { id?: unknown } | null)?.id;
	return typeof id === "string" || typeof id === "number" ? id : null;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	if (res.headersSent) return;
	res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers });
	res.end(JSON.stringify(body));
}

function sendRpcError(res: ServerResponse, status: number, id: string | number | null, error: RpcError, headers: Record<string, string> = {}): void {
	send(res, status, { jsonrpc: "2.0", id, error }, headers);
}

/** The request body as text, refusing one longer than `limit` bytes without reading it all. */
async function readBody(req: IncomingMessage, limit: number): Promise<string> {
	const declared = Number(req.headers["content-length"]);
	if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError();
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
 * The A2A server: Agent Cards and the JSON-RPC binding (v1.0, and the 0.3 method names
 * through the SDK's compat layer) for every agent of the cluster. The SDK's request
 * handler does the protocol; AgentOS's gateway auth, scopes, rate limits and audit guard
 * it; tasks are AgentOS tasks (AgentOsExecutor, AgentOsTaskStore).
 */
export class A2AGateway {
	private readonly agents: AgentStore;
	private readonly tasks: TaskStore;
	private readonly endpoints = new Map<string, AgentEndpoint>();

	constructor(private readonly options: A2AGatewayOptions) {
		this.agents = new AgentStore(options.db, false);
		this.tasks = new TaskStore(options.db);
	}

	/** A valid bearer token, or a 401 answered (with a JSON-RPC error body) and audited. */
	private async authenticate(req: IncomingMessage, res: ServerResponse, id: string | number | null = null): Promise<GatewayUser | undefined> {
		try {
			return await this.options.auth.fromHeader(req.headers.authorization);
		} catch (err) {
			const type = (err as { type?: string }).type ?? "UNAUTHORIZED";
			this.options.recordRefusal(req, null, type);
			sendRpcError(res, 401, id, { code: RPC.REFUSED, message: (err as Error).message, data: { type, status: 401 } }, { "WWW-Authenticate": 'Bearer realm="agentos"' });
			return undefined;
		}
	}

	private async guard(req: IncomingMessage, res: ServerResponse, logger: Logger): Promise<boolean> {
		try {
			await this.options.checkRate(req, res);
			return true;
		} catch (err) {
			sendRpcError(res, 429, null, toRpcError(err, errorContext(req, logger)));
			return false;
		}
	}

	/** GET /.well-known/agent-card.json: the node's card, listing its agents (any valid token). */
	async nodeCard(req: IncomingMessage, res: ServerResponse, logger: Logger): Promise<void> {
		if (!(await this.guard(req, res, logger)) || !(await this.authenticate(req, res))) return;
		try {
			const { rows } = await this.agents.page({ limit: 1000, offset: 0 });
			const card = buildNodeCard(rows.map(r => r.manifest), baseUrl(req), this.options.version);
			res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-cache" });
			res.end(cardJson(card));
		} catch (err) {
			sendRpcError(res, 500, null, toRpcError(err, errorContext(req, logger)));
		}
	}

	/** GET /a2a/<id>/.well-known/agent-card.json (any valid token). */
	async agentCard(req: IncomingMessage, res: ServerResponse, agentId: string, logger: Logger): Promise<void> {
		if (!(await this.guard(req, res, logger)) || !(await this.authenticate(req, res))) return;
		try {
			const manifest = await this.manifest(agentId);
			res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-cache" });
			res.end(cardJson(buildAgentCard(manifest, baseUrl(req))));
		} catch (err) {
			const error = toRpcError(err, errorContext(req, logger));
			const status = (error.data as { status?: number } | undefined)?.status ?? 500;
			send(res, status, { error: { type: (error.data as { type?: string } | undefined)?.type ?? "INTERNAL_ERROR", message: error.message } });
		}
	}

	/** POST /a2a/<id>: one JSON-RPC request (the `tasks` scope). */
	async rpc(req: IncomingMessage, res: ServerResponse, agentId: string, ctx: Context<unknown, { user?: GatewayUser }>, logger: Logger): Promise<void> {
		if (!(await this.guard(req, res, logger))) return;
		let body: unknown;
		let unparsed = false;
		try {
			body = JSON.parse(await readBody(req, this.options.maxPayloadBytes));
		} catch (err) {
			if (err instanceof BodyTooLargeError) {
				sendRpcError(res, 413, null, { code: RPC.INVALID_REQUEST, message: `The request body is larger than ${this.options.maxPayloadBytes} bytes` });
				res.on("finish", () => req.destroy());
				return;
			}
			unparsed = true;
		}
		const id = rpcId(body);
		// Who asks comes first: without a valid token the answer is 401, whatever the body.
		const user = await this.authenticate(req, res, id);
		if (!user) return;
		if (unparsed) return sendRpcError(res, 200, null, { code: RPC.PARSE_ERROR, message: "The body is not valid JSON" });
		if (!isRequest(body)) {
			sendRpcError(res, 200, id, { code: RPC.INVALID_REQUEST, message: 'Not a JSON-RPC 2.0 request: send {"jsonrpc": "2.0", "id", "method", "params"}' });
			return;
		}
		if (!GatewayAuth.allows(user, "tasks")) {
			this.options.recordRefusal(req, user, "missing scope tasks");
			sendRpcError(res, 403, id, { code: RPC.REFUSED, message: "This token lacks the tasks scope", data: { type: "FORBIDDEN", status: 403 } });
			return;
		}
		ctx.meta.user = user;
		try {
			const endpoint = await this.endpoint(agentId, req);
			const legacy = isLegacyJsonRpcMethod(body.method);
			const context = new ServerCallContext({ user: new A2AUser(user, ctx), requestedVersion: legacy ? "0.3" : "1.0" });
			const answer = await (legacy ? endpoint.legacy : endpoint.v1).handle(body, context);
			if (!(Symbol.asyncIterator in answer)) {
				const refusal = refusalOf(context);
				return refusal ? sendRpcError(res, 200, id, toRpcError(refusal, errorContext(req, logger))) : send(res, 200, answer);
			}
			await this.stream(req, res, logger, id, answer, context);
		} catch (err) {
			sendRpcError(res, 200, id, toRpcError(err, errorContext(req, logger)));
		}
	}

	/** A streaming method's answers as server-sent events; an error before the first is a plain JSON-RPC error. */
	private async stream(req: IncomingMessage, res: ServerResponse, logger: Logger, id: string | number | null, events: AsyncGenerator<unknown, void, undefined>, context: ServerCallContext): Promise<void> {
		const first = await events.next();
		const refusal = refusalOf(context);
		if (refusal) {
			await events.return();
			return sendRpcError(res, 200, id, toRpcError(refusal, errorContext(req, logger)));
		}
		res.writeHead(200, { ...SSE_HEADERS, "X-Accel-Buffering": "no" });
		if (!first.done) res.write(formatSSEEvent(first.value));
		try {
			for await (const event of events) res.write(formatSSEEvent(event));
		} catch (err) {
			res.write(formatSSEErrorEvent({ jsonrpc: "2.0", id, error: toRpcError(err, errorContext(req, logger)) }));
		}
		res.end();
	}

	private async manifest(agentId: string): Promise<AgentManifest> {
		return (await this.agents.get(agentId)).manifest;
	}

	/** The SDK's handlers for an agent, made again when its manifest changes. */
	private async endpoint(agentId: string, req: IncomingMessage): Promise<AgentEndpoint> {
		const fresh = this.endpoints.get(agentId);
		if (fresh && Date.now() - fresh.readAt < MANIFEST_TTL_MS) return fresh;
		let row;
		try {
			row = await this.agents.get(agentId);
		} catch (err) {
			this.endpoints.delete(agentId);
			if ((err as { type?: string }).type === "AGENT_NOT_FOUND") throw new A2ARequestError(RPC.INVALID_PARAMS, `No agent ${agentId} on this node or cluster`, { type: "AGENT_NOT_FOUND", agentId });
			throw err;
		}
		const digest = JSON.stringify(row.manifest);
		const cached = this.endpoints.get(agentId);
		if (cached && cached.digest === digest) {
			cached.readAt = Date.now();
			return cached;
		}
		const manifest = row.manifest;
		const live = new LiveTasks();
		const executor = new AgentOsExecutor(agentId, manifest.runtime === "declarative", this.tasks, live);
		const handler = new AgentOsRequestHandler(buildAgentCard(manifest, baseUrl(req)), new AgentOsTaskStore(this.tasks, agentId, live), executor);
		const endpoint = { digest, readAt: Date.now(), v1: new JsonRpcTransportHandler(handler), legacy: new LegacyJsonRpcTransportHandler(handler) };
		this.endpoints.set(agentId, endpoint);
		return endpoint;
	}
}
