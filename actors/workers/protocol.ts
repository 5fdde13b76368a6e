/**
 * The messages between an actor (host) and its worker, over Node IPC for process
 * workers and JSON lines over stdio for containers. Versioned: a worker that speaks
 * another version is refused at `ready` rather than misread later.
 */

/** 2: `init` names the ctx methods, and each is called by its own name with the agent's arguments. */
export const PROTOCOL_VERSION = 2;

export interface WireError {
	name: string;
	message: string;
	/** A Moleculer error's type and code, when the error came from the cluster. */
	type?: string;
	code?: number;
	data?: unknown;
	retryable?: boolean;
	/**
	 * The ctx call whose failure this is, when agent code let a cluster error through
	 * unchanged: the host answers the task with the error it kept for that call.
	 */
	ref?: number;
}

/** Host → worker. */
export type HostMessage =
	/** `methods`: the ctx methods the node's layers registered, beyond the runtime's own. */
	| { t: "init"; v: number; agentId: string; entryPoint: string; heartbeatMs: number; methods: readonly string[] }
	| { t: "task"; id: string; task: unknown; caller: unknown }
	| { t: "message"; id: string; message: unknown; caller: unknown }
	| { t: "reply"; id: number; ok: true; value: unknown }
	| { t: "reply"; id: number; ok: false; error: WireError }
	| { t: "ping"; n: number }
	| { t: "stop" };

/** Worker → host. */
export type WorkerMessage =
	| { t: "ready"; v: number }
	| { t: "result"; id: string; ok: true; value: unknown }
	| { t: "result"; id: string; ok: false; error: WireError }
	/** A ctx call, answered by a `reply` (a name the node does not know is refused there); `task` is the task it runs for (none in onStart/onStop). */
	| { t: "call"; id: number; method: string; args: unknown[]; task?: string }
	| { t: "pong"; n: number }
	| { t: "log"; level: "debug" | "info" | "warn" | "error"; msg: string }
	| { t: "stopped" }
	| { t: "fatal"; error: WireError };

export function toWireError(err: unknown): WireError {
	if (err instanceof Error) {
		const e = err as Error & { type?: string; code?: unknown; data?: unknown; retryable?: unknown; ref?: unknown };
		return {
			name: e.name,
			message: e.message,
			...(e.type ? { type: e.type } : {}),
			...(typeof e.code === "number" ? { code: e.code } : {}),
			...(e.data !== undefined ? { data: e.data } : {}),
			...(typeof e.retryable === "boolean" ? { retryable: e.retryable } : {}),
			...(typeof e.ref === "number" ? { ref: e.ref } : {})
		};
	}
	return { name: "Error", message: String(err) };
}
