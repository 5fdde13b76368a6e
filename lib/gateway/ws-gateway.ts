import type { IncomingMessage, Server } from "node:http";
import type { ServiceBroker } from "moleculer";
import { WebSocketServer, type WebSocket } from "ws";
import { createEventRelay, createHandlers, errorOf, forbiddenScope, send } from "./ws-handlers";

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
	/** chat_stream re-cuts text into pieces of at most this many characters; 0 or absent passes the provider's through. */
	chatStreamChunkSize?: number;
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
	const relay = createEventRelay(broker, options.allows);
	const handlers = createHandlers(broker, options, relay);
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
				message = JSON.parse(raw.toString()) as WsMessage;
				if (!message || typeof message.type !== "string") throw new Error("a message is {type, id, payload}");
			} catch (err) {
				return send(socket, { type: "error", id: null, error: { type: "BAD_MESSAGE", message: `Not a message: ${(err as Error).message}` } });
			}
			const { id = null } = message;
			const reply = (m: WsMessage) => send(socket, { ...m, id });
			const payload = (message.payload && typeof message.payload === "object" ? message.payload : {}) as Record<string, unknown>;
			try {
				await options.limit(session.user, req.socket.remoteAddress);
			} catch (err) {
				return reply({ type: "error", error: errorOf(err) });
			}
			if (message.type === "auth") {
				session.user = typeof payload.token === "string" ? await options.authenticate(payload.token).catch(() => null) : null;
				return session.user
					? reply({ type: "result", payload: { authenticated: true, user: session.user.id } })
					: reply({ type: "error", error: { type: "INVALID_TOKEN", message: "The token is not valid" } });
			}
			if (!session.user) return reply({ type: "error", error: { type: "NOT_AUTHENTICATED", message: 'Send {"type":"auth","payload":{"token":"…"}} first' } });
			const handler = handlers[message.type];
			if (!handler) return reply({ type: "error", error: { type: "UNKNOWN_TYPE", message: `Unknown message type "${message.type}"; known: auth, ${Object.keys(handlers).join(", ")}` } });
			if (handler.scope && !options.allows(session.user, handler.scope)) return reply({ type: "error", error: errorOf(forbiddenScope(handler.scope)) });
			try {
				const result = await handler(payload, session, reply);
				if (result !== undefined) reply({ type: "result", payload: result });
			} catch (err) {
				reply({ type: "error", error: errorOf(err) });
			}
		});
	});
	return wss;
}
