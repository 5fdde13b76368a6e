import type { Errors } from "moleculer";
import { ForbiddenKeyError, InputTooDeepError, InvalidTextError } from "./errors";

/**
 * The rules every input obeys, wherever it enters (a REST body, a WebSocket message, a
 * broker call from an SDK client or an agent): at most MAX_JSON_DEPTH levels of nested
 * objects and arrays; no text PostgreSQL cannot store (a NUL character) or Unicode does
 * not allow (a lone surrogate), in values or in field names; and no `__proto__` field,
 * which would reach an object's prototype instead of a field. A violation is a 400 that
 * names the field, never a 500 or a request left without an answer.
 */
export const MAX_JSON_DEPTH = 64;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Longest field path an error names; deep paths are cut (the depth error says where it starts). */
const MAX_PATH_CHARS = 200;

type ClientError = Errors.MoleculerClientError;

/** Whether raw JSON text nests deeper than `maxDepth`, found without parsing it (so without building it). */
export function jsonTooDeep(raw: string | Uint8Array, maxDepth = MAX_JSON_DEPTH): boolean {
	const code = typeof raw === "string" ? (i: number) => raw.charCodeAt(i) : (i: number) => raw[i];
	let depth = 0;
	let inString = false;
	for (let i = 0; i < raw.length; i++) {
		const c = code(i);
		if (inString) {
			if (c === 0x5c) i++;
			else if (c === 0x22) inString = false;
		} else if (c === 0x22) inString = true;
		else if (c === 0x7b || c === 0x5b) {
			if (++depth > maxDepth) return true;
		} else if (c === 0x7d || c === 0x5d) depth--;
	}
	return false;
}

/** JSON text from a client, parsed once its depth is checked (BODY_TOO_DEEP); SyntaxError when it is no JSON. */
export function parseShallowJson(raw: string, maxDepth = MAX_JSON_DEPTH): unknown {
	if (jsonTooDeep(raw, maxDepth)) throw new InputTooDeepError("", maxDepth);
	return JSON.parse(raw);
}

/** JSON text from a client, parsed after its depth is checked and then held to the input rules. */
export function parseJsonInput(raw: string, maxDepth = MAX_JSON_DEPTH): unknown {
	const value = parseShallowJson(raw, maxDepth);
	const problem = inputProblem(value, maxDepth);
	if (problem) throw problem;
	return value;
}

/** The first text in `s` that cannot be stored, or undefined. */
function textProblem(s: string, field: string): ClientError | undefined {
	const nul = s.indexOf("\u0000");
	if (nul >= 0) return new InvalidTextError(field, "nul", nul);
	const lone = LONE_SURROGATE.exec(s);
	return lone ? new InvalidTextError(field, "lone-surrogate", lone.index) : undefined;
}

/**
 * Text the node itself must keep but did not get from a client (an agent's error message):
 * NUL characters and lone surrogates written out as `\u0000`-style escapes, so it can be
 * stored and shown; everything else as it is.
 */
export function storableText(s: string): string {
	const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
	return s.replaceAll("\u0000", escape).replace(new RegExp(LONE_SURROGATE.source, "g"), escape);
}

/** An object whose prototype is a data object (what `{"__proto__": {...}}` makes when merged with Object.assign). */
function hasInjectedPrototype(o: object): boolean {
	const proto: unknown = Object.getPrototypeOf(o);
	if (proto === null || proto === Object.prototype || proto === Array.prototype) return false;
	const ctor = (proto as { constructor?: unknown }).constructor;
	return !(typeof ctor === "function" && ctor.prototype === proto);
}

/** A data object: no prototype, or an Object.prototype (of this realm or another, e.g. a vm context's). */
function isPlain(o: object): boolean {
	const proto: unknown = Object.getPrototypeOf(o);
	return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
}

function fieldPath(parent: string, key: string | number): string {
	const path = typeof key === "number" ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;
	return path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS)}…` : path;
}

/**
 * The first way `value` breaks the input rules, as the 400 to answer, or undefined. It
 * walks with a stack of its own, so no nesting can overflow it. Class instances (Buffers,
 * Dates, streams) that the node's own code passes are not walked.
 */
export function inputProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): ClientError | undefined {
	const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: "", depth: 0 }];
	while (stack.length) {
		const { value: v, path, depth } = stack.pop()!;
		if (typeof v === "string") {
			const problem = textProblem(v, path || "(the input)");
			if (problem) return problem;
			continue;
		}
		if (v === null || typeof v !== "object") continue;
		if (hasInjectedPrototype(v)) return new ForbiddenKeyError(fieldPath(path, "__proto__"));
		const array = Array.isArray(v);
		if (!array && !isPlain(v)) continue;
		if (depth + 1 > maxDepth) return new InputTooDeepError(path, maxDepth);
		if (array) {
			for (let i = v.length - 1; i >= 0; i--) {
				const item: unknown = v[i];
				// Numbers, booleans and null (most of a vector) need no walk and no path.
				if (item !== null && (typeof item === "object" || typeof item === "string")) stack.push({ value: item, path: fieldPath(path, i), depth: depth + 1 });
			}
			continue;
		}
		const keys = Object.keys(v);
		for (let i = keys.length - 1; i >= 0; i--) {
			const key = keys[i];
			const at = fieldPath(path, key);
			if (key === "__proto__") return new ForbiddenKeyError(at);
			const problem = textProblem(key, `${at} (a field name)`);
			if (problem) return problem;
			stack.push({ value: (v as Record<string, unknown>)[key], path: at, depth: depth + 1 });
		}
	}
	return undefined;
}
