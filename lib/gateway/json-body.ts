import type { IncomingMessage, ServerResponse } from "node:http";
import { Errors } from "moleculer";
import { InputTooDeepError } from "../kernel/errors";
import { inputProblem, jsonTooDeep, MAX_JSON_DEPTH } from "../kernel/input-guard";
import type { ErrorAnswer } from "./error-response";

/**
 * body-parser's JSON options for the REST routes: bodies up to `limit` bytes, and no
 * deeper than MAX_JSON_DEPTH — checked on the raw bytes, before JSON.parse builds them.
 */
export function jsonBodyParser(limit: number) {
	return {
		limit,
		verify(_req: IncomingMessage, _res: ServerResponse, raw: Buffer) {
			if (jsonTooDeep(raw)) throw new InputTooDeepError("", MAX_JSON_DEPTH);
		}
	};
}

/** A route middleware after the body parser: the parsed body meets the input rules (input-guard.ts), or the request is a 400. */
export function checkBody(req: IncomingMessage & { body?: unknown }, _res: ServerResponse, next: (err?: unknown) => void): void {
	next(inputProblem(req.body));
}

/** body-parser's own errors (its `type` is lower-case dotted), as answers; undefined for any other error. */
export function bodyParseError(err: unknown, maxPayloadBytes: number): ErrorAnswer | undefined {
	const e = err as { type?: unknown; status?: unknown; message?: string };
	if (typeof e?.type !== "string" || !/^[a-z]+(\.[a-z]+)+$/.test(e.type)) return undefined;
	if (e.type === "entity.too.large") {
		return { status: 413, error: { type: "PAYLOAD_TOO_LARGE", message: `The request body is over ${maxPayloadBytes} bytes (GATEWAY_MAX_PAYLOAD_BYTES)` } };
	}
	if (e.type === "entity.parse.failed") return { status: 400, error: { type: "INVALID_JSON", message: `The body is not valid JSON: ${e.message}` } };
	if (e.type === "encoding.unsupported" || e.type === "charset.unsupported") return { status: 415, error: { type: "UNSUPPORTED_ENCODING", message: String(e.message) } };
	const status = typeof e.status === "number" && e.status >= 400 && e.status < 500 ? e.status : 400;
	return { status, error: { type: "BAD_REQUEST", message: `The request body could not be read (${e.type})` } };
}

/**
 * A route's error middleware after the body parser: every error reading the body that is
 * the client's — http-errors marks those with a 4xx `status` — becomes a client error with
 * its status, here where the parser's error is still whole. moleculer-web would rebuild it
 * as a plain MoleculerError whose code is the parser's (a gzip body that is no gzip:
 * "Z_DATA_ERROR"), which answered 500.
 */
export function bodyReadErrors(maxPayloadBytes: number) {
	return function bodyReadError(err: unknown, _req: IncomingMessage, _res: ServerResponse, next: (err?: unknown) => void): void {
		if (err instanceof Errors.MoleculerError) return next(err);
		const e = err as { status?: unknown; message?: unknown };
		const answer =
			bodyParseError(err, maxPayloadBytes) ??
			(typeof e?.status === "number" && e.status >= 400 && e.status < 500
				? { status: e.status, error: { type: "BAD_REQUEST", message: `The request body could not be read: ${String(e.message)}` } }
				: undefined);
		next(answer ? new Errors.MoleculerClientError(answer.error.message, answer.status, answer.error.type) : err);
	};
}

