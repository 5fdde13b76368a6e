import crypto from "node:crypto";
import type { Readable } from "node:stream";
import { jsonLines } from "../kernel/json-lines";
import { Errors, type Context, type Service, type ServiceBroker } from "moleculer";
import type { WebSocket } from "ws";
import type { Caller } from "../../actors/agent-api";
import type { TrustLevel } from "../../actors/manifest-types";
import { actAsAgent } from "../security/act-as-agent";
import { taskViewerOf } from "../security/task-viewer";
import type { Scope } from "../security/capabilities";
import { ForbiddenScopeError } from "../security/errors";
import { errorJson } from "./error-response";
import type { Session, WsMessage, WsOptions } from "./ws-gateway";

type Payload = Record<string, unknown>;
type Reply = (m: WsMessage) => void;

export type Handler = ((payload: Payload, session: Session, reply: Reply) => Promise<unknown>) & { scope?: Scope };

const scoped = (scope: Scope, handler: Handler): Handler => Object.assign(handler, { scope });

/** Sends one message; one that cannot be serialised goes as an error without the value it echoes (error-response.ts). */
export function send(socket: WebSocket, message: WsMessage): void {
	if (socket.readyState !== socket.OPEN) return;
	let text: string;
	try {
		text = JSON.stringify(message);
	} catch {
		const { type, id } = message;
		const error = message.error ?? { type: "INTERNAL_ERROR", message: `The answer to this ${type} message could not be serialised` };
		text = errorJson(error, { type: "error", id: id ?? null });
	}
	socket.send(text);
}

const clientError = (type: string, message: string, data?: unknown) => new Errors.MoleculerClientError(message, 400, type, data);

export const forbiddenScope = (scope: string) => new ForbiddenScopeError(scope);

/**
 * Task types the node serves itself instead of handing them to the agent: each names the
 * action that serves it, called with the task's fields minus `type`. A type whose action is
 * not installed (yet) answers NOT_AVAILABLE; once its service lands it works as is. The
 * caller needs the scope the action declares (none: admin), as over REST. Any other type —
 * `research_query` included — goes to the agent named by `agentId`.
 */
interface SystemTask {
	action: string;
	/**
	 * Builds the call from the task (without `type`) and the request; default: the task's
	 * fields as params. `asAgent` is the caller speaking for the agent it names (admins only).
	 */
	call?(task: Payload, request: Payload, asAgent: (agentId: string, what: string) => Promise<Caller>): Promise<SystemCall> | SystemCall;
}

interface SystemCall {
	params: Payload;
	caller?: Caller;
}

/** The calling agent's own tools or memory: its `agentId` goes along unless the task names one. */
const forAgent = (task: Payload, request: Payload) => ({ params: { ...defined({ agentId: request.agentId }), ...task } });

export const SYSTEM_TASKS = {
	audit_query: { action: "audit.query" },
	/**
	 * `{targetAgentId, task}`: the target runs `task`, sent as the agent `agentId` — which
	 * only an admin may speak for, and which needs a2a.send, is subject to its sanctions,
	 * and waits for approval when supervised.
	 */
	a2a_task: {
		action: "agents.submitTask",
		call: async (task, request, asAgent) => {
			if (typeof request.agentId !== "string" || !request.agentId) throw clientError("BAD_MESSAGE", "a2a_task needs payload.agentId: the agent that sends it");
			return {
				params: defined({ id: task.targetAgentId, task: task.task, async: request.async, timeoutMs: task.timeoutMs ?? request.timeoutMs }),
				caller: await asAgent(request.agentId, "send an a2a_task")
			};
		}
	},
	invoke_tool: { action: "tools.invoke", call: forAgent },
	store_memory: { action: "memory.store", call: forAgent },
	search_memory: { action: "memory.search", call: forAgent },
	forum_create: { action: "forums.create" },
	forum_list: { action: "forums.list" },
	forum_post: { action: "forums.post" },
	forum_posts: { action: "forums.posts" },
	job_post: { action: "jobs.create" },
	job_list: { action: "jobs.list" },
	job_apply: { action: "jobs.apply" },
	reputation_get: { action: "reputation.get" },
	reputation_list: { action: "reputation.list" },
	reputation_adjust: { action: "reputation.adjust" },
	policy_create: { action: "policies.create" },
	policy_list: { action: "policies.list" },
	policy_set_status: { action: "policies.setStatus" },
	moderation_case_open: { action: "cases.open" },
	moderation_case_list: { action: "cases.list" },
	moderation_case_resolve: { action: "cases.resolve" },
	sanction_apply: { action: "sanctions.apply" },
	sanction_list: { action: "sanctions.list" },
	sanction_lift: { action: "sanctions.lift" },
	appeal_open: { action: "appeals.open" },
	appeal_list: { action: "appeals.list" },
	appeal_resolve: { action: "appeals.resolve" },
	agent_directory: { action: "directory.search" }
} as const satisfies Record<string, SystemTask>;

/** Broker events a connection may subscribe to, and the scope each needs. */
export const RELAYED_EVENTS = {
	"agents.state": "agents:read",
	"approvals.requested": "approvals",
	"approvals.decided": "approvals",
	"audit.recorded": "audit:read",
	"tasks.changed": "tasks",
	"forum.posted": "agents:read",
	"forums.changed": "society:read",
	"jobs.changed": "society:read",
	"policies.changed": "governance:read",
	"cases.changed": "governance:read",
	"sanctions.changed": "governance:read",
	"appeals.changed": "governance:read",
	// The console's lockdown banner shows on every page, to whoever may read agents.
	"governance.lockdown": "agents:read"
} as const satisfies Record<string, Scope>;

type RelayedEvent = keyof typeof RELAYED_EVENTS;

const has = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

function defined(o: Payload): Payload {
	return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/**
 * One service per WebSocket server, `ws-relay-<random>`, that listens to the relayed
 * events (broadcasts reach every service that declares them, on every node) and passes
 * each to the sockets subscribed to it as `{type:"event", payload:{event, data, at}}`.
 */
export interface EventRelay {
	add(session: Session): void;
	remove(session: Session): void;
	close(): Promise<void>;
}

export function createEventRelay(broker: ServiceBroker, options: Pick<WsOptions, "allows" | "seesTask">): EventRelay {
	const sessions = new Set<Session>();
	// Each connection's events in the order they came, though some wait for a check.
	const queues = new WeakMap<Session, Promise<void>>();
	const enqueue = (session: Session, step: () => Promise<void> | void) => {
		const next = (queues.get(session) ?? Promise.resolve()).then(step).catch(() => undefined);
		queues.set(session, next);
	};
	const deliver = (event: RelayedEvent, data: unknown) => {
		const at = new Date().toISOString();
		// A task's change reaches only who may see the task (one check per identity for this event).
		const seen = new Map<string, Promise<boolean>>();
		const sees = (viewer: string) => {
			const taskId = (data as { id?: unknown } | null)?.id;
			if (typeof taskId !== "string") return Promise.resolve(false);
			if (!seen.has(viewer)) seen.set(viewer, options.seesTask(taskId, viewer).catch(() => false));
			return seen.get(viewer)!;
		};
		for (const session of sessions) {
			// Checked again on delivery: the socket may have authenticated since as someone else.
			const user = session.user;
			if (!session.events.has(event) || !user || !options.allows(user, RELAYED_EVENTS[event])) continue;
			const viewer = event === "tasks.changed" ? taskViewerOf({ user }) : null;
			enqueue(session, async () => {
				if (viewer === null || (await sees(viewer))) send(session.socket, { type: "event", payload: { event, data, at } });
			});
		}
	};
	const events = Object.fromEntries(
		(Object.keys(RELAYED_EVENTS) as RelayedEvent[]).map(event => [event, { handler: (ctx: Context) => deliver(event, ctx.params) }])
	);
	let service: Service | undefined = broker.createService({ name: `ws-relay-${crypto.randomUUID().slice(0, 8)}`, events });
	return {
		add: session => void sessions.add(session),
		remove: session => void sessions.delete(session),
		async close() {
			sessions.clear();
			const stopping = service;
			service = undefined;
			if (stopping) await broker.destroyService(stopping).catch(() => undefined);
		}
	};
}

/** Text deltas cut into pieces of at most `size` characters (code points); 0 leaves them whole. */
function recut(text: string, size: number): string[] {
	if (!size || text.length <= size) return [text];
	const chars = Array.from(text);
	const pieces: string[] = [];
	for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(""));
	return pieces;
}

function eventNames(payload: Payload, required: boolean): RelayedEvent[] {
	const { events } = payload;
	if (events === undefined && !required) return Object.keys(RELAYED_EVENTS) as RelayedEvent[];
	const allowed = Object.keys(RELAYED_EVENTS).join(", ");
	if (!Array.isArray(events) || !events.length || !events.every(e => typeof e === "string")) {
		throw clientError("BAD_MESSAGE", `payload.events is a list of event names (allowed: ${allowed})`);
	}
	const unknown = events.filter(e => !has(RELAYED_EVENTS, e));
	if (unknown.length) throw clientError("UNKNOWN_EVENT", `Cannot subscribe to ${unknown.join(", ")}; allowed: ${allowed}`, { unknown, allowed: Object.keys(RELAYED_EVENTS) });
	return events as RelayedEvent[];
}

/**
 * The message types after `auth`, each with the scope it needs (checked before it runs).
 * A map without a prototype: a message's `type` names a key, and `constructor` or
 * `toString` must be unknown types, not Object's own functions.
 */
export function createHandlers(broker: ServiceBroker, options: WsOptions, relay: EventRelay): Record<string, Handler> {
	return Object.assign(Object.create(null) as Record<string, Handler>, handlersOf(broker, options, relay));
}

function handlersOf(broker: ServiceBroker, options: WsOptions, relay: EventRelay): Record<string, Handler> {
	const call = <T = unknown>(action: string, params: unknown, session: Session, caller?: Caller) =>
		broker.call<T, unknown>(action, params, { meta: { user: session.user, ...(caller ? { caller } : {}) } });
	const chunkSize = options.chatStreamChunkSize ?? 0;

	async function systemTask(type: keyof typeof SYSTEM_TASKS, task: Payload, request: Payload, session: Session): Promise<unknown> {
		const spec: SystemTask = SYSTEM_TASKS[type];
		const endpoints = broker.registry.getActionEndpoints(spec.action);
		// Installed but unavailable (its circuit is open): a 503 to retry, not "not installed".
		if (endpoints?.endpoints.length && !endpoints.hasAvailable()) throw new Errors.ServiceNotAvailableError({ action: spec.action, nodeID: broker.nodeID });
		if (!endpoints?.hasAvailable()) {
			const capability = spec.action.split(".")[0];
			throw new Errors.MoleculerError(`The "${capability}" capability is not installed on this node: ${type} needs the action ${spec.action}`, 501, "NOT_AVAILABLE", {
				taskType: type,
				capability,
				action: spec.action
			});
		}
		const scope = endpoints.endpoints.find(e => e.action)?.action.scope ?? "admin";
		if (!options.allows(session.user!, scope)) throw forbiddenScope(scope);
		const { type: _type, ...fields } = task;
		const asAgent = (agentId: string, what: string) =>
			actAsAgent({ user: session.user! }, agentId, what, id => call<{ trustLevel: TrustLevel }>("agents.get", { id }, session), broker.nodeID);
		const { params, caller } = spec.call ? await spec.call(fields, request, asAgent) : { params: fields };
		return call(spec.action, params, session, caller);
	}

	return {
		ping: async () => ({ pong: Date.now() }),
		chat: scoped("llm", (payload, session) => call("mal.chat", payload, session)),
		/** Streams `chat_stream_chunk` messages (text and tool calls), then `chat_stream_end` with the result. */
		chat_stream: scoped("llm", async (payload, session, reply) => {
			const source = (await call("mal.stream", payload, session)) as Readable;
			for await (const chunk of jsonLines<{ type: string; text?: string; result?: unknown; error?: WsMessage["error"] }>(source)) {
				if (chunk.type === "end") reply({ type: "chat_stream_end", payload: chunk.result });
				else if (chunk.type === "error") reply({ type: "error", error: chunk.error });
				else if (chunk.type === "text" && typeof chunk.text === "string") {
					for (const text of recut(chunk.text, chunkSize)) reply({ type: "chat_stream_chunk", payload: { ...chunk, text } });
				} else reply({ type: "chat_stream_chunk", payload: chunk });
			}
			return undefined;
		}),

		/**
		 * `{agentId, message, sessionId?, stream?}`: a chat with an agent. With `stream`,
		 * `agent_chat_event` messages (token, model, tool_call, tool_result, answer) come
		 * as they happen, then `agent_chat_end` with the whole answer.
		 */
		agent_chat: scoped("tasks", async (payload, session, reply) => {
			const params = defined({ id: payload.agentId, message: payload.message, sessionId: payload.sessionId, timeoutMs: payload.timeoutMs });
			if (!payload.stream) return call("chat.send", params, session);
			const source = (await call("chat.stream", params, session)) as Readable;
			for await (const event of jsonLines<{ type: string; result?: Payload; error?: WsMessage["error"] }>(source)) {
				if (event.type === "end") reply({ type: "agent_chat_end", payload: event.result });
				else if (event.type === "error") reply({ type: "error", error: event.error });
				else reply({ type: "agent_chat_event", payload: event });
			}
			return undefined;
		}),

		agent_spawn: scoped("agents:write", (payload, session) => call("agents.spawn", { manifest: payload.manifest }, session)),
		agent_stop: scoped("agents:write", (payload, session) => call("agents.stop", { id: payload.agentId }, session)),
		/** A system task type goes to the action that serves it (SYSTEM_TASKS); any other to the agent. */
		agent_task: scoped("tasks", async (payload, session) => {
			const task = payload.task as Payload | undefined;
			if (!task || typeof task !== "object" || typeof task.type !== "string") throw clientError("BAD_MESSAGE", "payload.task is an object with a string `type`");
			if (has(SYSTEM_TASKS, task.type)) return systemTask(task.type as keyof typeof SYSTEM_TASKS, task, payload, session);
			return call("agents.submitTask", defined({ id: payload.agentId, task, async: payload.async, timeoutMs: payload.timeoutMs }), session);
		}),

		/** Adds to the connection's subscriptions (all or nothing); answers the full list. */
		subscribe: async (payload, session) => {
			const events = eventNames(payload, true);
			const missing = events.map(e => RELAYED_EVENTS[e]).find(scope => !options.allows(session.user!, scope));
			if (missing) throw forbiddenScope(missing);
			for (const event of events) session.events.add(event);
			relay.add(session);
			return { subscribed: [...session.events] };
		},
		/** Removes the named events (no `events`: all of them); answers what is left. */
		unsubscribe: async (payload, session) => {
			for (const event of eventNames(payload, false)) session.events.delete(event);
			if (!session.events.size) relay.remove(session);
			return { subscribed: [...session.events] };
		}
	};
}
