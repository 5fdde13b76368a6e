import { isCtxMethodName } from "../ctx-registry";
import type { WireError, WorkerMessage } from "./protocol";

type Level = (WorkerMessage & { t: "log" })["level"];
const LEVELS: readonly Level[] = ["debug", "info", "warn", "error"];

const isLevel = (v: unknown): v is Level => (LEVELS as readonly unknown[]).includes(v);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function wireError(v: unknown): WireError | undefined {
	if (!isObject(v) || typeof v.name !== "string" || typeof v.message !== "string") return undefined;
	return {
		name: v.name,
		message: v.message,
		...(typeof v.type === "string" ? { type: v.type } : {}),
		...(typeof v.code === "number" ? { code: v.code } : {}),
		...(v.data !== undefined ? { data: v.data } : {}),
		...(typeof v.retryable === "boolean" ? { retryable: v.retryable } : {}),
		...(typeof v.ref === "number" ? { ref: v.ref } : {})
	};
}

/**
 * A message from a worker as the protocol defines it, or undefined. The worker runs the
 * agent's code, which can send anything down the channel (`process.send(...)`, a line on
 * a container's stdout): a message of another shape must be dropped here, where it enters
 * the node, not reach the actor's handlers — where one with an unknown log level or no
 * error object threw out of an event listener and stopped the whole node.
 */
export function asWorkerMessage(raw: unknown): WorkerMessage | undefined {
	if (!isObject(raw) || typeof raw.t !== "string") return undefined;
	switch (raw.t) {
		case "ready":
			return typeof raw.v === "number" ? { t: "ready", v: raw.v } : undefined;
		case "result": {
			if (typeof raw.id !== "string") return undefined;
			if (raw.ok === true) return { t: "result", id: raw.id, ok: true, value: raw.value };
			const error = wireError(raw.error);
			return raw.ok === false && error ? { t: "result", id: raw.id, ok: false, error } : undefined;
		}
		case "call":
			if (typeof raw.id !== "number" || !isCtxMethodName(raw.method) || !Array.isArray(raw.args)) return undefined;
			return { t: "call", id: raw.id, method: raw.method, args: raw.args, ...(typeof raw.task === "string" ? { task: raw.task } : {}) };
		case "pong":
			return typeof raw.n === "number" ? { t: "pong", n: raw.n } : undefined;
		case "log":
			return isLevel(raw.level) && typeof raw.msg === "string" ? { t: "log", level: raw.level, msg: raw.msg } : undefined;
		case "stopped":
			return { t: "stopped" };
		case "fatal": {
			const error = wireError(raw.error);
			return error ? { t: "fatal", error } : undefined;
		}
		default:
			return undefined;
	}
}

/** What a dropped message becomes in the agent's output, so its logs show it. */
export function droppedMessageNote(raw: unknown): Buffer {
	let text: string;
	try {
		text = JSON.stringify(raw) ?? String(raw);
	} catch {
		text = String(raw);
	}
	return Buffer.from(`(not a protocol message, ignored: ${text.slice(0, 200)})\n`);
}
