import type { IncomingMessage, Server } from "node:http";
import readline from "node:readline";
import type { Readable } from "node:stream";
import type { ServiceBroker } from "moleculer";
import { WebSocketServer, type WebSocket } from "ws";

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
}

interface Session {
	user: WsUser | null;
	socket: WebSocket;
}

type Handler = ((payload: Record<string, unknown>, session: Session, reply: (m: WsMessage) => void) => Promise<unknown>) & { scope?: string };

const scoped = (scope: string, handler: Handler): Handler => Object.assign(handler, { scope });

function send(socket: WebSocket, message: WsMessage): void {
	if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
}

function errorOf(err: unknown): WsMessage["error"] {
	const e = err as { type?: string; name?: string; message?: string; data?: unknown };
	return { type: e.type ?? e.name ?? "ERROR", message: e.message ?? String(err), ...(e.data !== undefined ? { data: e.data } : {}) };
}

/**
 * The WebSocket side of the gateway, on the gateway's own port: authenticate (with
 * `{type:"auth", payload:{token}}` or an `Authorization: Bearer` header on the upgrade),
 * then send requests by `type`. A bad message is answered with an `error` message; the
 * connection is never dropped without a reason.
 */
export function attachWebSocket(server: Server, broker: ServiceBroker, options: WsOptions): WebSocketServer {
	const wss = new WebSocketServer({ server, path: options.path, maxPayload: options.maxPayloadBytes });
	const call = (action: string, params: unknown, session: Session) => broker.call(action, params, { meta: { user: session.user } });

	const handlers: Record<string, Handler> = {
		ping: async () => ({ pong: Date.now() }),
		chat: scoped("llm", (payload, session) => call("mal.chat", payload, session)),
		/** Streams `chat_stream_chunk` messages (text and tool calls), then `chat_stream_end` with the result. */
		chat_stream: scoped("llm", async (payload, session, reply) => {
			const source = (await call("mal.stream", payload, session)) as Readable;
			for await (const line of readline.createInterface({ input: source, crlfDelay: Infinity })) {
				if (!line.trim()) continue;
				const chunk = JSON.parse(line) as { type: string; result?: unknown; error?: WsMessage["error"] };
				if (chunk.type === "end") reply({ type: "chat_stream_end", payload: chunk.result });
				else if (chunk.type === "error") reply({ type: "error", error: chunk.error });
				else reply({ type: "chat_stream_chunk", payload: chunk });
			}
			return undefined;
		})
	};

	wss.on("connection", (socket: WebSocket, req: IncomingMessage) => {
		socket.on("error", () => undefined);
		if (wss.clients.size > options.maxConnections) {
			send(socket, { type: "error", id: null, error: { type: "TOO_MANY_CONNECTIONS", message: `This node accepts ${options.maxConnections} connections (GATEWAY_MAX_CONNECTIONS)` } });
			return socket.close(1013, "too many connections");
		}
		const header = req.headers.authorization;
		const session: Session = { socket, user: null };
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
			if (handler.scope && !options.allows(session.user, handler.scope)) {
				return reply({ type: "error", error: { type: "FORBIDDEN_SCOPE", message: `This token lacks the scope "${handler.scope}"` } });
			}
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
