import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";

/**
 * The scripting model shared by the fake vendor servers (openai-server.ts,
 * anthropic-server.ts): a test queues Steps, each request takes the next one, and
 * the vendor module renders it in its own wire format. Transport-level steps
 * (error, hang, reset, delay) are played out here so both vendors behave alike.
 */

export type Usage = { input: number; output: number };

export type ScriptedToolCall = { id?: string; name: string; arguments: Record<string, unknown> };

export type Step =
	/** `finish: "length"` models a reply cut off by max tokens. */
	| { kind: "text"; text: string; usage?: Usage; model?: string; finish?: "stop" | "length" }
	| { kind: "tool_calls"; calls: ScriptedToolCall[]; text?: string; usage?: Usage; model?: string }
	| { kind: "error"; status: number; message?: string; retryAfterSeconds?: number }
	/** Never answers; the request ends when the client aborts (or the server stops). */
	| { kind: "hang" }
	/** Destroys the socket before any response byte. */
	| { kind: "reset" }
	| { kind: "delay"; ms: number; then: Step };

/** The steps a vendor module renders; everything else is handled by the harness. */
export type Reply = Extract<Step, { kind: "text" | "tool_calls" }>;

/** A step, or a function that picks one from the request (the echo default is one). */
export type Scripted = Step | ((request: RecordedRequest) => Step);

export interface RecordedRequest {
	method: string;
	/** Path without the query string, e.g. `/v1/chat/completions`. */
	path: string;
	/** Node's lower-cased headers: `authorization`, `x-api-key`, `anthropic-version`, … */
	headers: IncomingHttpHeaders;
	/** The parsed JSON body; `{}` when there was none. */
	body: Record<string, unknown>;
}

export interface WireServer {
	url: string;
	/** Appends steps to the queue; each chat/messages request takes one. */
	script(...steps: Scripted[]): void;
	/** What a request gets when the queue is empty (initially `echo`). */
	setDefault(step: Scripted): void;
	/** Drops steps not yet taken, so one test's leftovers cannot leak into the next. */
	clearScript(): void;
	requests: RecordedRequest[];
	stop(): Promise<void>;
}

export interface WireServerOptions {
	/** When set, requests without this key are answered 401 (and take no step). */
	apiKey?: string;
	default?: Scripted;
}

type Part = { type?: unknown; text?: unknown };
type Message = { role?: unknown; content?: unknown };

/** Text of the last user message; both vendors use `messages[]` with string or `{type:"text"}` parts. */
export function lastUserText(body: Record<string, unknown>): string {
	const messages = Array.isArray(body.messages) ? (body.messages as Message[]) : [];
	const last = [...messages].reverse().find((m) => m.role === "user");
	if (!last) return "";
	if (typeof last.content === "string") return last.content;
	if (!Array.isArray(last.content)) return "";
	return (last.content as Part[])
		.filter((p) => p.type === "text" && typeof p.text === "string")
		.map((p) => p.text)
		.join("");
}

export const echo: Scripted = (request) => ({ kind: "text", text: `echo: ${lastUserText(request.body)}` });

/** A rough, deterministic token count (≈4 characters a token) for unscripted usage. */
export function estimateTokens(value: unknown): number {
	const text = typeof value === "string" ? value : JSON.stringify(value ?? "");
	return Math.max(1, Math.ceil(text.length / 4));
}

/** Splits text into `count` non-empty pieces (fewer when it is shorter), so streams have several deltas. */
export function splitPieces(text: string, count: number): string[] {
	const chars = Array.from(text); // by code point, so no piece splits a surrogate pair
	const size = Math.max(1, Math.ceil(chars.length / count));
	const pieces: string[] = [];
	for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(""));
	return pieces;
}

/** A deterministic unit vector derived from SHA-256 of the text; float32-exact so base64 and JSON agree. */
export function fakeEmbedding(text: string, dimensions = 8): number[] {
	const values: number[] = [];
	for (let block = 0; values.length < dimensions; block++) {
		const digest = createHash("sha256").update(`${block}:${text}`).digest();
		for (const byte of digest) if (values.length < dimensions) values.push(byte / 127.5 - 1);
	}
	const norm = Math.hypot(...values) || 1;
	return values.map((v) => Math.fround(v / norm));
}

export class StepQueue {
	private readonly steps: Scripted[] = [];
	constructor(private fallback: Scripted) {}

	push(...steps: Scripted[]): void {
		this.steps.push(...steps);
	}

	setDefault(step: Scripted): void {
		this.fallback = step;
	}

	clear(): void {
		this.steps.length = 0;
	}

	next(request: RecordedRequest): Step {
		const scripted = this.steps.shift() ?? this.fallback;
		return typeof scripted === "function" ? scripted(request) : scripted;
	}
}

export interface Exchange {
	request: RecordedRequest;
	res: ServerResponse;
	/**
	 * Takes the next step (of `queue`, by default the main one) and plays out error,
	 * hang, reset and delay; resolves to the reply to render, or undefined when the
	 * response is already dealt with (or the client has gone).
	 */
	play(queue?: StepQueue): Promise<Reply | undefined>;
}

/** What a vendor module gives the harness. */
export interface Dialect {
	/** Appended to `http://127.0.0.1:<port>` to form the handle's `url`. */
	urlSuffix: string;
	authorized(headers: IncomingHttpHeaders): boolean;
	writeError(res: ServerResponse, status: number, message?: string, retryAfterSeconds?: number): void;
	route(exchange: Exchange): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	const text = Buffer.concat(chunks).toString("utf8");
	if (text === "") return {};
	try {
		const parsed: unknown = JSON.parse(text);
		return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
	} catch {
		return undefined;
	}
}

/** Starts an HTTP server on 127.0.0.1 and a kernel-chosen port that speaks `dialect`. */
export async function startWireServer(dialect: Dialect, options: WireServerOptions = {}): Promise<WireServer> {
	const main = new StepQueue(options.default ?? echo);
	const requests: RecordedRequest[] = [];
	const timers = new Set<NodeJS.Timeout>();

	// Resolves after `ms`, or early (false) when the client goes away or the server stops.
	const wait = (ms: number, res: ServerResponse): Promise<boolean> =>
		new Promise((resolve) => {
			const timer = setTimeout(() => done(true), ms);
			timers.add(timer);
			const done = (elapsed: boolean): void => {
				clearTimeout(timer);
				timers.delete(timer);
				res.off("close", onClose);
				resolve(elapsed);
			};
			const onClose = (): void => done(false);
			res.once("close", onClose);
		});

	const playStep = async (step: Step, res: ServerResponse): Promise<Reply | undefined> => {
		if (res.destroyed || res.writableEnded) return undefined;
		switch (step.kind) {
			case "text":
			case "tool_calls":
				return step;
			case "error":
				dialect.writeError(res, step.status, step.message, step.retryAfterSeconds);
				return undefined;
			case "reset":
				res.socket?.destroy();
				return undefined;
			case "hang":
				await new Promise<void>((resolve) => res.once("close", () => resolve()));
				return undefined;
			case "delay":
				return (await wait(step.ms, res)) ? playStep(step.then, res) : undefined;
		}
	};

	const server = createServer((req, res) => {
		void (async () => {
			const url = new URL(req.url ?? "/", "http://127.0.0.1");
			const body = await readJson(req);
			const request: RecordedRequest = { method: req.method ?? "GET", path: url.pathname, headers: req.headers, body: body ?? {} };
			requests.push(request);
			if (!dialect.authorized(req.headers)) return dialect.writeError(res, 401, "Invalid API key");
			if (body === undefined) return dialect.writeError(res, 400, "Request body is not a JSON object");
			await dialect.route({ request, res, play: (queue = main) => playStep(queue.next(request), res) });
		})().catch((err: unknown) => {
			// A bug in a fake server should fail the test loudly, not hang it.
			if (!res.headersSent) dialect.writeError(res, 500, `fake server error: ${String(err)}`);
			else res.destroy();
		});
	});

	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => resolve());
	});
	const address = server.address();
	if (address === null || typeof address === "string") throw new Error("llm-wire: could not read the listening port");

	let stopped: Promise<void> | undefined;
	return {
		url: `http://127.0.0.1:${address.port}${dialect.urlSuffix}`,
		script: (...steps) => main.push(...steps),
		setDefault: (step) => main.setDefault(step),
		clearScript: () => main.clear(),
		requests,
		stop: () => {
			stopped ??= new Promise<void>((resolve, reject) => {
				for (const timer of timers) clearTimeout(timer);
				server.close((err) => (err ? reject(err) : resolve()));
				// Hanging requests and keep-alive sockets would otherwise hold close() open.
				server.closeAllConnections();
			});
			return stopped;
		}
	};
}

/** Writes one JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const text = JSON.stringify(body);
	res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
	res.end(text);
}

/** Starts a `text/event-stream` response and returns a writer that yields between events, so the client sees several reads. */
export function startEventStream(res: ServerResponse, headers: Record<string, string> = {}): (frame: string) => Promise<void> {
	res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", ...headers });
	return async (frame) => {
		if (res.destroyed) return;
		res.write(frame);
		await new Promise((resolve) => setImmediate(resolve));
	};
}

/**
 * `fetch` for SDK clients under jest. Node's fetch rejects with errors of the outer
 * realm (a DOMException "AbortError" when the SDK's timeout fires); inside jest's VM
 * context the SDKs' castToError does not recognise them and a timeout surfaces as a
 * plain APIConnectionError. Re-throwing a same-named Error of this realm keeps
 * APIConnectionTimeoutError. Outside jest, plain fetch behaves correctly.
 */
export const realmSafeFetch: typeof fetch = async (input, init) => {
	try {
		return await fetch(input, init);
	} catch (err) {
		const { name, message, cause } = err as { name?: unknown; message?: unknown; cause?: unknown };
		throw Object.assign(new Error(String(message ?? err), { cause }), { name: String(name ?? "Error") });
	}
};
