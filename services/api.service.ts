import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Errors, type Context, type Service, type ServiceSchema } from "moleculer";
import ApiGateway from "moleculer-web";
import type { ApiSettingsSchema, IncomingRequest, Route } from "moleculer-web";
import type { Kernel } from "../lib/kernel/kernel";
import type { WebSocketServer } from "ws";
import { chatRoute } from "../lib/gateway/chat-route";
import { attachWebSocket } from "../lib/gateway/ws-gateway";
import type { NodeMetrics } from "../lib/kernel/metrics";
import { secretsEqual } from "../lib/kernel/secrets";

export const API_PREFIX = "/api/v1";
const BODY_LIMIT = "1mb";
const WS_MAX_PAYLOAD = 1024 * 1024;

export interface Caller {
	id: string;
	kind: "admin";
}

export interface ErrorBody {
	error: { type: string; message: string; data?: unknown };
}

type GatewayThis = Service<ApiSettingsSchema>;

/**
 * The node's one HTTP port: health and metrics (open), and the REST API under /api/v1
 * (bearer token). Errors always answer `{error: {type, message, data}}` with a 4xx/5xx
 * status; an unexpected 500 is logged with its request id and never leaks internals.
 */
/**
 * REST aliases from the `rest` keys of the services' actions ("POST /agents" on service
 * `agents` with `settings.rest: "/"` → "POST /agents": "agents.spawn"). Built once, at
 * start: moleculer-web's autoAliases would rebuild every route (after a 500 ms debounce)
 * each time any service appears — and every spawned agent is a service.
 */
export function restAliases(schemas: ServiceSchema[]): Record<string, string> {
	const aliases: Record<string, string> = {};
	for (const schema of schemas) {
		const base = (schema.settings as { rest?: string } | undefined)?.rest ?? `/${schema.name}`;
		for (const [name, action] of Object.entries(schema.actions ?? {})) {
			const rest = typeof action === "object" ? action.rest : undefined;
			for (const route of rest === undefined ? [] : Array.isArray(rest) ? rest : [rest]) {
				const [method, routePath] = route.split(" ");
				const full = `${base.replace(/\/$/, "")}/${routePath.replace(/^\//, "")}`.replace(/^\//, "");
				aliases[`${method} ${full}`] = `${schema.name}.${name}`;
			}
		}
	}
	return aliases;
}

export default function createApiService(kernel: Kernel, adminToken: string, apiSchemas: ServiceSchema[], metrics?: NodeMetrics): ServiceSchema<ApiSettingsSchema> {
	let wss: WebSocketServer | undefined;
	return {
		name: "api",
		mixins: [ApiGateway as unknown as Partial<ServiceSchema>],

		settings: {
			port: kernel.config.PORT,
			ip: kernel.config.HOST,
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
					aliases: {
						"GET live": "health.live",
						"GET ready": "health.ready",
						"GET health": "health.check",
						async "GET metrics"(req: IncomingMessage, res: ServerResponse) {
							if (!metrics) return sendJson(res, 404, errorBody("METRICS_DISABLED", "Metrics are off; set METRICS_ENABLED=true"));
							const text = await metrics.text();
							res.writeHead(200, { "Content-Type": metrics.contentType });
							res.end(text);
						}
					}
				},
				{
					path: API_PREFIX,
					authentication: true,
					mappingPolicy: "restrict",
					aliases: { ...restAliases(apiSchemas), "POST llm/chat": chatRoute },
					bodyParsers: { json: { limit: BODY_LIMIT }, urlencoded: false }
				}
			],

			onError(this: GatewayThis, req: IncomingRequest, res: ServerResponse, err: Error) {
				const e = err as Error & { code?: number; type?: string; data?: unknown };
				const status = Number.isInteger(e.code) && e.code! >= 400 && e.code! < 600 ? e.code! : 500;
				if (status >= 500 && !e.type) {
					const requestID = req.$ctx?.requestID;
					this.logger.error(`Request ${req.method} ${req.url} failed (request id ${requestID})`, err);
					return sendJson(res, 500, errorBody("INTERNAL_ERROR", `Internal error; see the node's log for request id ${requestID}`));
				}
				// Validation errors name every bad field in the message, not only in `data`.
				const message = e.type === "VALIDATION_ERROR" && Array.isArray(e.data) ? e.data.map((d: { message?: string }) => d.message).join("; ") : e.message;
				sendJson(res, status, errorBody(e.type || e.name || "ERROR", message, e.data));
			}
		},

		methods: {
			/** The caller a bearer token stands for (REST and WebSocket alike), or null. */
			userOf(token: string): Caller | null {
				return secretsEqual(token, adminToken) ? { id: "admin", kind: "admin" } : null;
			},

			/** Accepts `Authorization: Bearer <token>`; the admin token is compared in constant time. */
			authenticate(ctx: Context, route: Route, req: IncomingRequest): Caller {
				const header = req.headers.authorization;
				if (!header) throw unauthorized("NO_TOKEN", "This route needs a token: send Authorization: Bearer <token>");
				const [scheme, token] = header.split(" ");
				if (scheme !== "Bearer" || !token) throw unauthorized("NO_TOKEN", "The Authorization header must read: Bearer <token>");
				const caller = this.userOf(token);
				if (!caller) throw unauthorized("INVALID_TOKEN", "The bearer token is not valid");
				return caller;
			},

			/** The address the gateway really listens on (PORT=0 picks one). */
			listeningUrl(this: GatewayThis & { server?: { address(): AddressInfo | string | null } }): string | undefined {
				const address = this.server?.address();
				if (!address || typeof address === "string") return undefined;
				const host = address.address === "0.0.0.0" || address.address === "::" ? "localhost" : address.address;
				return `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
			}
		},

		started() {
			const userOf = (token: string): Caller | null => this.userOf(token);
			wss = attachWebSocket(this.server as Server, this.broker, { path: "/ws", authenticate: userOf, maxPayloadBytes: WS_MAX_PAYLOAD });
		},

		async stopped() {
			for (const client of wss?.clients ?? []) client.close(1001, "the node is stopping");
			await new Promise<void>(resolve => (wss ? wss.close(() => resolve()) : resolve()));
		}
	};
}

function unauthorized(type: string, message: string): Errors.MoleculerClientError {
	return new Errors.MoleculerClientError(message, 401, type);
}

function errorBody(type: string, message: string, data?: unknown): ErrorBody {
	return { error: data === undefined ? { type, message } : { type, message, data } };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
	if (res.headersSent) return;
	res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
	res.end(JSON.stringify(body));
}
