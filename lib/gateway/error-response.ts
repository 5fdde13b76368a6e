import crypto from "node:crypto";
import { Errors, type Logger } from "moleculer";

/** What every error answer carries, over REST (the body) and the WebSocket (`error`). */
export interface PublicError {
	type: string;
	message: string;
	data?: unknown;
}

export interface ErrorAnswer {
	status: number;
	error: PublicError;
	/** Seconds to wait before retrying (Retry-After), when the service is briefly unavailable. */
	retryAfterSeconds?: number;
}

export interface ErrorContext {
	/** Names the failure in the log and in the answer (the request id, or a fresh id). */
	requestId?: string;
	/** What failed, for the log: e.g. "GET /api/v1/jobs" or "WebSocket agent_task". */
	what: string;
	/** How long an open circuit stays open (the circuit breaker's halfOpenTime), in ms. */
	circuitHalfOpenMs: number;
	logger: Logger;
}

type ErrorLike = Error & { code?: unknown; type?: unknown; data?: unknown; status?: unknown };

/** JavaScript's own errors: their text describes the code, not the request, and stays in the log. */
const NATIVE = new Set(["Error", "TypeError", "RangeError", "ReferenceError", "SyntaxError", "EvalError", "URIError", "AggregateError"]);
const UPPER_SNAKE = /^[A-Z][A-Z0-9_]*$/;

/**
 * The answer to an error, the same for REST and the WebSocket. Only errors the code
 * threw on purpose — a fixed UPPER_SNAKE `type` and a 4xx/5xx `code`, as Moleculer's
 * errors and ours have, also when they come from another node — are shown as they are.
 * Anything else is a bug: a 500 INTERNAL_ERROR naming an id, the error and its stack
 * logged under that id. An open circuit (SERVICE_NOT_AVAILABLE, which Moleculer gives
 * 404) is a 503 with the seconds until it is tried again.
 */
export function errorAnswer(err: unknown, ctx: ErrorContext): ErrorAnswer {
	const e = (err ?? {}) as ErrorLike;
	const code = typeof e.code === "number" && Number.isInteger(e.code) && e.code >= 400 && e.code < 600 ? e.code : undefined;
	const type = typeof e.type === "string" && UPPER_SNAKE.test(e.type) ? e.type : undefined;
	if (type === "SERVICE_NOT_AVAILABLE") {
		const retryAfterSeconds = Math.max(1, Math.ceil(ctx.circuitHalfOpenMs / 1000));
		const action = (e.data as { action?: unknown } | undefined)?.action;
		ctx.logger.warn({ err, requestId: ctx.requestId }, `${ctx.what}: ${e.message}`);
		return {
			status: 503,
			retryAfterSeconds,
			error: {
				type,
				message: `${typeof action === "string" ? action : "The service"} is unavailable right now (it failed repeatedly, or its node is gone); retry in ${retryAfterSeconds} s`,
				data: { ...(typeof action === "string" ? { action } : {}), retryAfterSeconds }
			}
		};
	}
	// A Moleculer error without a type (moleculer-db's EntityNotFoundError) is named by its class: ENTITY_NOT_FOUND.
	const named = type ?? (err instanceof Errors.MoleculerError ? upperSnake(e.name) : undefined);
	if (code === undefined || named === undefined || NATIVE.has(e.name)) {
		const requestId = ctx.requestId ?? crypto.randomUUID();
		ctx.logger.error({ err, requestId }, `${ctx.what} failed with an internal error (request id ${requestId})`);
		return { status: 500, error: { type: "INTERNAL_ERROR", message: `Internal error; see the node's log for request id ${requestId}`, data: { requestId } } };
	}
	if (code >= 500) ctx.logger.warn({ err, requestId: ctx.requestId }, `${ctx.what} failed: ${e.message}`);
	// Validation errors name every bad field in the message, not only in `data`.
	const message =
		named === "VALIDATION_ERROR" && Array.isArray(e.data) && e.data.length ? e.data.map((d: { message?: unknown }) => String(d?.message)).join("; ") : String(e.message);
	return { status: code, error: e.data === undefined ? { type: named, message } : { type: named, message, data: e.data } };
}

function upperSnake(name: string): string {
	return name.replace(/Error$/, "").replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase() || "ERROR";
}

/**
 * JSON for an answer whatever it holds: an error's `data` may echo a value that cannot be
 * serialised (too deep, circular, a BigInt); then it goes without `data` rather than
 * leaving the request unanswered.
 */
export function errorJson(error: PublicError, extra: Record<string, unknown> = {}, key = "error"): string {
	try {
		return JSON.stringify({ ...extra, [key]: error });
	} catch {
		return JSON.stringify({ ...extra, [key]: { type: error.type, message: error.message } });
	}
}
