import type { GatewayLimits } from "../lib/gateway/gateway-limits";
import crypto from "node:crypto";
import http, { type Server, type ServerResponse } from "node:http";
import type { Context, ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import type { ApiSettingsSchema, IncomingRequest, Route } from "moleculer-web";
import type { WebSocketServer } from "ws";
import { TaskStore } from "../actors/task-store";
import { A2AGateway } from "../lib/gateway/a2a/a2a-gateway";
import { a2aAliases } from "../lib/gateway/a2a/a2a-routes";
import { chatRoute } from "../lib/gateway/chat-route";
import { aliasAllowsAnyToken, aliasScope, type GatewayMembers, type GatewayThis } from "../lib/gateway/gateway-this";
import { bodyParseError, bodyReadErrors, checkBody, jsonBodyParser } from "../lib/gateway/json-body";
import { errorAnswer, errorJson, type PublicError } from "../lib/gateway/error-response";
import { RateLimitedError } from "../lib/gateway/errors";
import { forbidden, GatewayAuth, type GatewayUser } from "../lib/gateway/gateway-auth";
import { loadConsoleAssets } from "../lib/gateway/console-assets";
import { mcpRoute } from "../lib/gateway/mcp/mcp-route";
import { buildOpenApi } from "../lib/gateway/openapi";
import { createRateLimiter, type RateLimiter } from "../lib/gateway/rate-limiter";
import { restAliases } from "../lib/gateway/rest-aliases";
import { answerOptions } from "../lib/gateway/options-request";
import { whoami } from "../lib/gateway/whoami-route";
import { openAIRoute } from "../lib/gateway/openai/route";
import { attachWebSocket } from "../lib/gateway/ws-gateway";
import type { Kernel } from "../lib/kernel/kernel";
import type { NodeMetrics } from "../lib/kernel/metrics";
import { consoleDir } from "../lib/kernel/paths";
import type { AuditLog } from "../lib/security/audit-log";
import type { Scope } from "../lib/security/capabilities";
import type { TokenStore } from "../lib/security/token-store";
import { defineService } from "../lib/kernel/define-service";

export const API_PREFIX = "/api/v1";

export interface ErrorBody {
	error: PublicError;
}

export interface ApiServiceOptions {
	kernel: Kernel;
	adminToken: string;
	tokens: TokenStore;
	audit: AuditLog;
	/** The services whose actions' `rest` keys become routes. */
	schemas: ServiceSchema[];
	metrics?: NodeMetrics;
	/** The built web console served at `/` (default dist/dashboard). */
	consoleDir?: string;
}

/** What the gateway's own `methods` put on `this` (moleculer-web calls them). */
interface ApiMethods {
	authenticate(ctx: Context, route: Route, req: IncomingRequest): Promise<GatewayUser>;
	authorize(ctx: Context<unknown, { user: GatewayUser }>, route: Route, req: IncomingRequest): void;
	createServer(): void;
}

/** The gateway's schema, and the address it really listens on once started (PORT=0 picks one). */
export interface ApiService {
	schema: ServiceSchema;
	listeningUrl(): string | undefined;
}

/** A function alias names the scope it needs the same way an action does. */
const llmChat = Object.assign(chatRoute, { scope: "llm" as Scope });

/**
 * The node's one HTTP port: health (open), metrics (open unless METRICS_REQUIRE_AUTH),
 * the REST API under /api/v1 (a bearer token with the route's scope), the OpenAI-compatible
 * endpoint under /v1 (lib/gateway/openai), MCP at /mcp (lib/gateway/mcp), the WebSocket
 * at /ws, and the web console's files at `/` (lib/gateway/console-assets.ts). Errors always answer `{error: {type, message, data}}` with a 4xx/5xx status; an
 * unexpected 500 is logged with its request id and never leaks internals. Refusals (401,
 * 403) are audited.
 */
export default function createApiService(options: ApiServiceOptions): ApiService {
	const { kernel, tokens, audit, metrics } = options;
	const { config } = kernel;
	const auth = new GatewayAuth(options.adminToken, tokens);
	const consoleAssets = loadConsoleAssets(options.consoleDir ?? consoleDir());
	let wss: WebSocketServer | undefined;
	let limiter: RateLimiter | undefined;
	let server: Server | undefined;

	/**
	 * One budget per client address and one per bearer token (counted before the token is
	 * checked, so guessing tokens is limited too); 429 with Retry-After when either is spent.
	 */
	async function checkRate(keys: string[], res?: ServerResponse): Promise<void> {
		if (!limiter) return;
		for (const key of keys) {
			const decision = await limiter.hit(key);
			if (decision.allowed) continue;
			res?.setHeader("Retry-After", String(Math.max(1, Math.ceil(decision.retryAfterSeconds))));
			throw new RateLimitedError(decision.limit, decision.retryAfterSeconds);
		}
	}

	function rateKeys(ip: string | undefined, bearer: string | undefined): string[] {
		const keys = [`ip:${ip ?? "unknown"}`];
		if (bearer) keys.push(`token:${crypto.createHash("sha256").update(bearer).digest("hex").slice(0, 32)}`);
		return keys;
	}

	/**
	 * A refused request, for the audit log; a full audit buffer must not turn a 401 into a 500.
	 * Requests without a valid token are counted per address and window (one entry each, with
	 * the exact count), so a flood of them cannot flood the log.
	 */
	function recordRefusal(req: IncomingRequest, user: GatewayUser | null, reason: string): void {
		try {
			const ip = req.socket?.remoteAddress ?? "unknown";
			const route = `${req.method} ${(req.originalUrl ?? req.url ?? "").split("?")[0]}`;
			if (!user) {
				const anonymous = { kind: "user", id: `anonymous@${ip}` } as const;
				audit.aggregate(`unauthenticated:${ip}`, { actor: anonymous, principal: anonymous, action: "gateway.unauthenticated", target: ip, outcome: "denied", data: {} }, `${reason} ${route}`);
				return;
			}
			const principal = { kind: "user", id: user.id } as const;
			audit.record({ actor: principal, principal, action: `gateway.${route}`, outcome: "denied", requestId: req.$ctx?.requestID ?? null, data: { reason } });
		} catch {
			// The request is refused either way.
		}
	}

	/** MCP at /mcp: the gateway's token, limits and audit; it reads its own body (JSON-RPC errors, not REST's). */
	/** One set of limits for REST and every protocol. */
	const limits: GatewayLimits = {
		maxPayloadBytes: config.GATEWAY_MAX_PAYLOAD_BYTES,
		checkRate: (req, res) => checkRate(rateKeys(req.socket?.remoteAddress, req.headers.authorization?.slice(7)), res),
		recordRefusal: (req, user, reason) => recordRefusal(req as IncomingRequest, user, reason)
	};
	const mcp = mcpRoute({ ...limits, auth, db: kernel.db, version: kernel.version });
	const a2a = new A2AGateway({ ...limits, auth, db: kernel.db, version: kernel.version });
	const tasks = new TaskStore(kernel.db);

	const schema = defineService<ApiMethods, GatewayMembers, ApiSettingsSchema>({
		name: "api",
		mixins: [ApiGateway],

		settings: {
			port: config.PORT,
			ip: config.HOST,
			logRequest: "debug",
			logResponse: "debug",
			logRouteRegistration: "debug",
			log4XXResponses: false,
			// A request is answered once: the broker's retry policy must not re-run the gateway's
			// own handler (it would re-route a consumed request and answer 404). The actions it
			// calls keep their own policies.
			rootCallOptions: { retries: 0 },
			routes: [
				{
					path: "/",
					authentication: false,
					mappingPolicy: "restrict",
					// The A2A routes read their own bodies (a bad one is a JSON-RPC error, not REST's).
					bodyParsers: false,
					aliases: {
						"GET live": "health.live",
						"GET ready": "health.ready",
						"GET health": "health.check",
						...a2aAliases(a2a),
						async "GET metrics"(this: GatewayThis, req: IncomingRequest, res: ServerResponse) {
							try {
								if (!metrics) return sendJson(res, 404, errorBody("METRICS_DISABLED", "Metrics are off; set METRICS_ENABLED=true"));
								if (config.METRICS_REQUIRE_AUTH) {
									const user = await auth.fromHeader(req.headers.authorization);
									if (!GatewayAuth.allows(user, "node:read")) throw forbidden(user, "node:read");
								}
								const text = await metrics.text();
								res.writeHead(200, { "Content-Type": metrics.contentType });
								res.end(text);
							} catch (err) {
								this.sendError(req, res, err as Error);
							}
						}
					}
				},
				{
					path: API_PREFIX,
					async onBeforeCall(ctx: Context, route: Route, req: IncomingRequest, res: ServerResponse) {
						await limits.checkRate(req, res);
					},
					authentication: true,
					authorization: true,
					mappingPolicy: "restrict",
					aliases: { ...restAliases(options.schemas), "POST llm/chat": llmChat, "GET openapi.json": openApiRoute(options.schemas, kernel.version), "GET whoami": whoami },
					bodyParsers: { json: jsonBodyParser(config.GATEWAY_MAX_PAYLOAD_BYTES), urlencoded: false },
					// Bodies meet the input rules as they are parsed, before anything is called.
					use: [checkBody, bodyReadErrors(config.GATEWAY_MAX_PAYLOAD_BYTES)]
				},
				{ path: "/mcp", authentication: false, authorization: false, bodyParsers: false, mappingPolicy: "restrict", aliases: { "POST /": mcp, "GET /": mcp, "DELETE /": mcp } },
				openAIRoute(limits)
			],

			onError(this: GatewayThis, req: IncomingRequest, res: ServerResponse, err: Error) {
				const parse = bodyParseError(err, config.GATEWAY_MAX_PAYLOAD_BYTES);
				if (parse) return sendJson(res, parse.status, { error: parse.error });
				const answer = errorAnswer(err, {
					requestId: req.$ctx?.requestID ?? undefined,
					what: `${req.method} ${(req.originalUrl ?? req.url ?? "").split("?")[0]}`,
					circuitHalfOpenMs: this.broker.options.circuitBreaker?.halfOpenTime ?? 10_000,
					logger: this.logger
				});
				if (answer.retryAfterSeconds && !res.headersSent) res.setHeader("Retry-After", String(answer.retryAfterSeconds));
				sendJson(res, answer.status, { error: answer.error });
			}
		},

		methods: {
			async authenticate(ctx: Context, route: Route, req: IncomingRequest): Promise<GatewayUser> {
				try {
					return await auth.fromHeader(req.headers.authorization);
				} catch (err) {
					recordRefusal(req, null, (err as { type?: string }).type ?? "unauthorized");
					throw err;
				}
			},

			/** The route's action (or function alias) names its scope; none means `admin`. */
			authorize(ctx: Context<unknown, { user: GatewayUser }>, route: Route, req: IncomingRequest): void {
				if (aliasAllowsAnyToken(req)) return;
				const scope = req.$action?.scope ?? aliasScope(req);
				const user = ctx.meta.user;
				if (!GatewayAuth.allows(user, scope)) {
					recordRefusal(req, user, `missing scope ${scope ?? "admin"}`);
					throw forbidden(user, scope ?? "admin");
				}
			},

			/**
			 * The HTTP server, made here rather than by moleculer-web: Node reads a request
			 * timeout only when the server is created, and without one a client that never
			 * finishes its body holds a connection (and a parser) for five minutes. The console's
			 * files are answered before moleculer-web sees the request.
			 */
			createServer(): void {
				if (this.server) return;
				const requestTimeout = config.GATEWAY_REQUEST_TIMEOUT_MS;
				const routes = (path: string, method: string) => Boolean(this.resolveAlias(path, method));
				const handler: http.RequestListener = (req, res) => {
					if (req.method === "OPTIONS") answerOptions(req, res, routes);
					else if (!consoleAssets.serve(req, res)) this.httpHandler(req, res);
				};
				this.server = server = http.createServer({ requestTimeout, headersTimeout: Math.min(requestTimeout, 60_000), connectionsCheckingInterval: 1000 }, handler);
				this.isHTTPS = false;
			}
		},

		started() {
			if (config.GATEWAY_MESSAGE_RATE_LIMIT > 0) {
				limiter = createRateLimiter({
					limit: config.GATEWAY_MESSAGE_RATE_LIMIT,
					windowMs: 60_000,
					redisUrl: config.REDIS_URL,
					onError: err => this.logger.warn(`Rate limits are not enforced while Redis is unreachable: ${err.message}`)
				});
			}
			wss = attachWebSocket(this.server!, this.broker, {
				limit: (user, ip) => checkRate(rateKeys(ip, user ? `ws:${user.id}` : undefined)),
				path: "/ws",
				authenticate: token => auth.resolve(token),
				maxPayloadBytes: config.GATEWAY_MAX_PAYLOAD_BYTES,
				maxConnections: config.GATEWAY_MAX_CONNECTIONS,
				chatStreamChunkSize: config.CHAT_STREAM_CHUNK_SIZE,
				logger: this.logger,
				allows: (user, scope) => GatewayAuth.allows(user as GatewayUser, scope as Scope),
				seesTask: (taskId, viewer) => tasks.seenBy(taskId, viewer)
			});
		},

		async stopped() {
			for (const client of wss?.clients ?? []) client.close(1001, "the node is stopping");
			await new Promise<void>(resolve => (wss ? wss.close(() => resolve()) : resolve()));
			await limiter?.close();
		}
	});

	return {
		schema,
		listeningUrl() {
			const address = server?.address();
			if (!address || typeof address === "string") return undefined;
			const host = address.address === "0.0.0.0" || address.address === "::" ? "localhost" : address.address;
			return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
		}
	};
}

function errorBody(type: string, message: string, data?: unknown): ErrorBody {
	return { error: data === undefined ? { type, message } : { type, message, data } };
}

function sendJson(res: ServerResponse, status: number, body: ErrorBody): void {
	if (res.headersSent) return;
	res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
	res.end(errorJson(body.error));
}

/** GET /api/v1/openapi.json: built once, from the schemas the routes come from. */
function openApiRoute(schemas: ServiceSchema[], version: string) {
	const body = JSON.stringify(buildOpenApi(schemas, { version }));
	const serve = (req: IncomingRequest, res: ServerResponse) => {
		res.writeHead(200, { "Content-Type": "application/json; charset=utf-8" });
		res.end(body);
	};
	return Object.assign(serve, { scope: "node:read" as Scope });
}
