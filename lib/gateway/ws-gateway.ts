import type { IncomingMessage, Server } from "node:http";
import type { Logger, ServiceBroker } from "moleculer";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { inputProblem, parseShallowJson } from "../kernel/input-guard";
import { errorAnswer } from "./error-response";
import { createEventRelay, createHandlers, forbiddenScope, send } from "./ws-handlers";

/** One message of the protocol, both ways: `{type, id, payload}`; errors carry `error`. */
export interface WsMessage {
	type: string;
	id?: string | number | null;
	payload?: unknown;
	error?: { type: string; message: string; data?: unknown };
}

export interface WsUser {
	id: string;
	kind: string;
	scopes: string[];
}

export interface WsOptions {
	path: string;
	/** The user a bearer token stands for, or null. */
	authenticate(token: string): Promise<WsUser | null>;
	maxPayloadBytes: number;
	/** Connections beyond this are closed at once with code 1013 (try again later). */
	maxConnections: number;
	/** Whether the user may send a message that needs `scope`, as for REST routes. */
	allows(user: WsUser, scope: string): boolean;
	/** Counts a message against the rate limits; rejects (RATE_LIMITED) when one is spent. */
	limit(user: WsUser | null, ip: string | undefined): Promise<void>;
	/** Whether the identity (`token:<id>`) may see the task (task-store.ts seenBy): `tasks.changed` reaches a non-admin only for its own. */
	seesTask(taskId: string, viewer: string): Promise<boolean>;
	/** chat_stream re-cuts text into pieces of at most this many characters; 0 or absent passes the provider's through. */
	chatStreamChunkSize?: number;
	/** Where internal errors are logged, with their stack (default: the broker's "gateway" logger). */
	logger?: Logger;
}

/** One connection: who it is, and the broker events it subscribed to. */
export interface Session {
	user: WsUser | null;
	socket: WebSocket;
	events: Set<string>;
}

/**
 * The WebSocket side of the gateway, on the gateway's own port: authenticate (with
 * `{type:"auth", payload:{token}}` or an `Authorization: Bearer` header on the upgrade),
 * then send requests by `type` (the handlers are in ws-handlers.ts). A bad message is
 * answered with an `error` message; the connection is never dropped without a reason.
 * Subscribed broker events arrive as `event` messages through one relay service per
 * server, destroyed when the server closes.
 */
export function attachWebSocket(server: Server, broker: ServiceBroker, options: WsOptions): WebSocketServer {
	const wss = new WebSocketServer({ server, path: options.path, maxPayload: options.maxPayloadBytes });
	const relay = createEventRelay(broker, options);
	const handlers = createHandlers(broker, options, relay);
	const logger = options.logger ?? broker.getLogger("gateway");
	/** An error as the client sees it: what the code threw on purpose, else INTERNAL_ERROR with an id to find it in the log. */
	const errorOf = (err: unknown, type: string): WsMessage["error"] =>
		errorAnswer(err, { what: `WebSocket ${type}`, circuitHalfOpenMs: broker.options.circuitBreaker?.halfOpenTime ?? 10_000, logger }).error;
	wss.on("close", () => void relay.close());

	wss.on("connection", (socket: WebSocket, req: IncomingMessage) => {
		socket.on("error", () => undefined);
		if (wss.clients.size > options.maxConnections) {
			send(socket, { type: "error", id: null, error: { type: "TOO_MANY_CONNECTIONS", message: `This node accepts ${options.maxConnections} connections (GATEWAY_MAX_CONNECTIONS)` } });
			return socket.close(1013, "too many connections");
		}
		const header = req.headers.authorization;
		const session: Session = { socket, user: null, events: new Set() };
		socket.on("close", () => relay.remove(session));
		const authenticated = header?.startsWith("Bearer ") ? options.authenticate(header.slice(7)).then(user => void (session.user = user)) : Promise.resolve();
		socket.on("message", async raw => {
			await authenticated.catch(() => undefined);
			let message: WsMessage;
			try {
				message = readMessage(raw);
			} catch (err) {
				const e = err as { type?: string; message: string; data?: unknown };
				// Too deep, or text that cannot be stored: the input rules' own 400 (input-guard.ts).
				if (e.type) return send(socket, { type: "error", id: null, error: { type: e.type, message: e.message, data: e.data } });
				return send(socket, { type: "error", id: null, error: { type: "BAD_MESSAGE", message: `Not a message: ${e.message}` } });
			}
			const { id = null } = message;
			const reply = (m: WsMessage) => send(socket, { ...m, id });
			// The input rules (input-guard.ts) on the whole message, answered under its id.
			const problem = inputProblem(message);
			if (problem) return reply({ type: "error", error: { type: problem.type, message: problem.message, data: problem.data } });
			const payload = (message.payload && typeof message.payload === "object" ? message.payload : {}) as Record<string, unknown>;
			try {
				await options.limit(session.user, req.socket.remoteAddress);
			} catch (err) {
				return reply({ type: "error", error: errorOf(err, message.type) });
			}
			if (message.type === "auth") {
				session.user = typeof payload.token === "string" ? await options.authenticate(payload.token).catch(() => null) : null;
				return session.user
					? reply({ type: "result", payload: { authenticated: true, user: session.user.id } })
					: reply({ type: "error", error: { type: "INVALID_TOKEN", message: "The token is not valid" } });
			}
			if (!session.user) return reply({ type: "error", error: { type: "NOT_AUTHENTICATED", message: 'Send {"type":"auth","payload":{"token":"…"}} first' } });
			const handler = Object.hasOwn(handlers, message.type) ? handlers[message.type] : undefined;
			if (!handler) return reply({ type: "error", error: { type: "UNKNOWN_TYPE", message: `Unknown message type "${message.type}"; known: auth, ${Object.keys(handlers).join(", ")}` } });
			if (handler.scope && !options.allows(session.user, handler.scope)) return reply({ type: "error", error: errorOf(forbiddenScope(handler.scope), message.type) });
			try {
				const result = await handler(payload, session, reply);
				if (result !== undefined) reply({ type: "result", payload: result });
			} catch (err) {
				reply({ type: "error", error: errorOf(err, message.type) });
			}
		});
	});
	return wss;
}

/** One message from a client: JSON no deeper than the limit, shaped `{type, id, payload}`. */
function readMessage(raw: RawData): WsMessage {
	const text = Array.isArray(raw) ? Buffer.concat(raw).toString() : Buffer.from(raw as ArrayBuffer).toString();
	const message = parseShallowJson(text) as WsMessage | null;
	if (!message || typeof message !== "object" || typeof message.type !== "string") throw new Error("a message is {type, id, payload}");
	return message;
}
