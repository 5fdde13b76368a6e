/**
 * The console's one WebSocket to /ws (lib/gateway/ws-gateway.ts): it authenticates with
 * the session's token, subscribes to the broker events someone listens to (one subscribe
 * message per event, so an event the token may not see does not block the others), and
 * reconnects with backoff. Pages use `subscribe(event, fn)` or the `useLiveEvent` hook.
 */
import { signal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { currentToken } from "./session";

/** Events the gateway relays (RELAYED_EVENTS in lib/gateway/ws-handlers.ts). */
export type LiveEvent =
	| "agents.state"
	| "approvals.requested"
	| "approvals.decided"
	| "audit.recorded"
	| "tasks.changed"
	| "forum.posted"
	| "forums.changed"
	| "jobs.changed"
	| "policies.changed"
	| "cases.changed"
	| "sanctions.changed"
	| "appeals.changed"
	| "governance.lockdown";

export type LiveListener = (data: unknown, at: string) => void;

interface WsMessage {
	type: string;
	id?: string | number | null;
	payload?: unknown;
	error?: { type: string; message: string; data?: unknown };
}

interface Pending {
	resolve(payload: unknown): void;
	reject(error: { type: string; message: string }): void;
	onMessage?: (message: WsMessage) => void;
}

/** "connecting" until authenticated, "open" while events flow, "closed" between attempts. */
export const liveState = signal<"off" | "connecting" | "open" | "closed">("off");

const listeners = new Map<LiveEvent, Set<LiveListener>>();
const pending = new Map<string, Pending>();
let socket: WebSocket | undefined;
let nextId = 1;
let retryMs = 1000;
let retryTimer: number | undefined;
let wanted = false;

function wsUrl(): string {
	return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws`;
}

function sendRaw(message: WsMessage): void {
	if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function subscribeOnServer(event: LiveEvent): void {
	if (liveState.value === "open") sendRaw({ type: "subscribe", id: `sub:${event}`, payload: { events: [event] } });
}

/** Opens the socket (after sign-in); idempotent. */
export function connectLive(): void {
	wanted = true;
	if (socket && socket.readyState <= WebSocket.OPEN) return;
	const token = currentToken();
	if (!token) return;
	liveState.value = "connecting";
	const ws = new WebSocket(wsUrl());
	socket = ws;
	ws.onopen = () => ws.send(JSON.stringify({ type: "auth", id: "auth", payload: { token } }));
	ws.onmessage = e => onMessage(JSON.parse(String(e.data)) as WsMessage);
	ws.onclose = () => {
		if (socket !== ws) return;
		socket = undefined;
		for (const p of pending.values()) p.reject({ type: "DISCONNECTED", message: "The live connection closed" });
		pending.clear();
		liveState.value = wanted ? "closed" : "off";
		if (wanted) retryTimer = window.setTimeout(connectLive, retryMs);
		retryMs = Math.min(retryMs * 2, 15_000);
	};
}

export function disconnectLive(): void {
	wanted = false;
	window.clearTimeout(retryTimer);
	const ws = socket;
	socket = undefined;
	ws?.close(1000, "signed out");
	liveState.value = "off";
}

function onMessage(message: WsMessage): void {
	if (message.id === "auth") {
		if (message.type !== "result") return disconnectLive();
		liveState.value = "open";
		retryMs = 1000;
		for (const event of listeners.keys()) subscribeOnServer(event);
		return;
	}
	if (message.type === "event") {
		const { event, data, at } = message.payload as { event: LiveEvent; data: unknown; at: string };
		for (const fn of listeners.get(event) ?? []) fn(data, at);
		return;
	}
	const waiting = typeof message.id === "string" ? pending.get(message.id) : undefined;
	if (!waiting) return;
	if (message.type === "error") {
		pending.delete(message.id as string);
		waiting.reject(message.error ?? { type: "ERROR", message: "The request failed" });
	} else if (message.type === "result" || message.type.endsWith("_end")) {
		pending.delete(message.id as string);
		waiting.resolve(message.payload);
	} else waiting.onMessage?.(message);
}

/** Calls `fn(data, at)` for each `event` the gateway relays; returns the unsubscribe function. */
export function subscribe(event: LiveEvent, fn: LiveListener): () => void {
	let set = listeners.get(event);
	if (!set) {
		listeners.set(event, (set = new Set()));
		subscribeOnServer(event);
	}
	set.add(fn);
	return () => {
		set.delete(fn);
		if (set.size || listeners.get(event) !== set) return;
		listeners.delete(event);
		if (liveState.value === "open") sendRaw({ type: "unsubscribe", id: `unsub:${event}`, payload: { events: [event] } });
	};
}

/** A request over the socket (`{type, payload}`); resolves with its result (or `*_end` payload); other messages under its id go to `onMessage`. */
export function wsRequest<T>(type: string, payload: unknown, onMessage?: (message: WsMessage) => void): Promise<T> {
	const id = `r${nextId++}`;
	return new Promise<T>((resolve, reject) => {
		if (liveState.value !== "open") return reject({ type: "DISCONNECTED", message: "The live connection is not open" });
		pending.set(id, { resolve: p => resolve(p as T), reject, onMessage });
		sendRaw({ type, id, payload });
	});
}

/** Hook: calls the latest `fn` for each `event` while the component is mounted. */
export function useLiveEvent(event: LiveEvent, fn: LiveListener): void {
	const latest = useRef(fn);
	latest.current = fn;
	useEffect(() => subscribe(event, (data, at) => latest.current(data, at)), [event]);
}
