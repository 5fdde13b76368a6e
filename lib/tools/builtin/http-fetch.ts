import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction, type Socket } from "node:net";
import tls from "node:tls";
import { ToolFailedError, ToolRefusedError, ToolTimeoutError } from "../errors";
import type { ToolContext, ToolDefinition, ToolPolicy, ToolResult } from "../tool";
import { checkUrl, type CheckedUrl, type LookupFn } from "./url-guard";
import { raceSignal } from "./race-signal";

const TOOL_ID = "builtin:http_fetch";
const MAX_REDIRECTS = 5;
const USER_AGENT = "AgentOS-http_fetch/0.1";
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Hop-by-hop headers, headers we set ourselves, and ones that would let an agent steer a proxy or the framing. */
const REFUSED_HEADERS = new Set([
	"host",
	"connection",
	"keep-alive",
	"te",
	"trailer",
	"transfer-encoding",
	"upgrade",
	"content-length",
	"expect",
	"accept-encoding"
]);
/** Dropped when a redirect leaves the origin, as browsers do, so they do not leak to another site. */
const CREDENTIAL_HEADERS = ["authorization", "cookie"];
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i;
const TEXT_TYPE = /^(text\/|application\/(json|xml|javascript|ecmascript|x-www-form-urlencoded)\b|application\/[\w.-]+\+(json|xml)\b)/i;
const SAFE_RESPONSE_HEADERS = ["content-type", "content-length", "last-modified"];

interface FetchArgs {
	url: string;
	method: "GET" | "POST";
	headers: Record<string, string>;
	body?: string;
	maxBytes: number;
}

export interface Hop {
	status: number;
	headers: http.IncomingHttpHeaders;
	body: Buffer;
	truncated: boolean;
}

/** The built-in `http_fetch` tool: GET or POST to an allowlisted public URL, every redirect re-checked. */
export function httpFetchTool(policy: ToolPolicy, options: { lookup?: LookupFn } = {}): ToolDefinition {
	return {
		id: TOOL_ID,
		description:
			"Fetch a URL over HTTP(S) (GET or POST) from an allowlisted host; returns status, a few headers and the body (text, or base64 for binary).",
		capability: "network.fetch",
		source: "builtin",
		parameters: {
			type: "object",
			properties: {
				url: { type: "string", description: "An absolute http:// or https:// URL." },
				method: { type: "string", enum: ["GET", "POST"], default: "GET" },
				headers: { type: "object", additionalProperties: { type: "string" } },
				body: { type: "string" },
				maxBytes: { type: "integer", minimum: 1, maximum: policy.maxOutputBytes }
			},
			required: ["url"],
			additionalProperties: false
		},
		run: async (args, ctx) => fetchUrl(parseArgs(args, policy), policy, ctx, options.lookup)
	};
}

function parseArgs(args: Record<string, unknown>, policy: ToolPolicy): FetchArgs {
	const refuse = (reason: string): ToolRefusedError => new ToolRefusedError(TOOL_ID, reason);
	if (typeof args.url !== "string") throw refuse("url must be a string");
	const method = args.method ?? "GET";
	if (method !== "GET" && method !== "POST") throw refuse("method must be GET or POST");
	if (args.body !== undefined && typeof args.body !== "string") throw refuse("body must be a string");
	if (args.body !== undefined && method === "GET") throw refuse("a GET request has no body");
	const headers: Record<string, string> = {};
	if (args.headers !== undefined) {
		if (typeof args.headers !== "object" || args.headers === null || Array.isArray(args.headers)) throw refuse("headers must be an object");
		for (const [name, value] of Object.entries(args.headers)) {
			const lower = name.toLowerCase();
			if (typeof value !== "string") throw refuse(`header ${name} must be a string`);
			if (!TOKEN.test(name)) throw refuse(`${JSON.stringify(name)} is not a valid header name`);
			if (/[\r\n\0]/.test(value)) throw refuse(`header ${name} holds a line break`);
			if (REFUSED_HEADERS.has(lower) || lower.startsWith("proxy-")) throw refuse(`the header ${name} may not be set`);
			headers[lower] = value;
		}
	}
	let maxBytes = policy.maxOutputBytes;
	if (args.maxBytes !== undefined) {
		if (typeof args.maxBytes !== "number" || !Number.isInteger(args.maxBytes) || args.maxBytes < 1) throw refuse("maxBytes must be a positive integer");
		maxBytes = Math.min(args.maxBytes, policy.maxOutputBytes);
	}
	return { url: args.url, method, headers, body: args.body as string | undefined, maxBytes };
}

async function fetchUrl(args: FetchArgs, policy: ToolPolicy, ctx: ToolContext, lookup?: LookupFn): Promise<ToolResult> {
	const proxy = parseProxy(policy.egressProxyUrl);
	const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(policy.timeoutMs)]);
	const timeout = (): ToolTimeoutError => new ToolTimeoutError(TOOL_ID, policy.timeoutMs);
	const redirects: string[] = [];
	let current = args.url;
	let method = args.method;
	let body = args.body;
	const headers = { ...args.headers };
	for (;;) {
		if (signal.aborted) throw timeout();
		const target = await raceSignal(checkUrl(current, policy, ctx.constraints.domains, lookup, TOOL_ID), signal, timeout);
		const hop = await send(target, proxy, { method, headers, body, maxBytes: args.maxBytes }, signal, timeout);
		const location = hop.headers.location;
		if (REDIRECT_STATUSES.has(hop.status) && typeof location === "string") {
			if (redirects.length >= MAX_REDIRECTS) throw new ToolFailedError(TOOL_ID, `more than ${MAX_REDIRECTS} redirects`, { redirects });
			let next: URL;
			try {
				next = new URL(location, target.url);
			} catch {
				throw new ToolFailedError(TOOL_ID, "the redirect location is not a valid URL", { status: hop.status });
			}
			if (next.origin !== target.url.origin) for (const name of CREDENTIAL_HEADERS) delete headers[name];
			if (hop.status === 303 || ((hop.status === 301 || hop.status === 302) && method === "POST")) {
				method = "GET";
				body = undefined;
				delete headers["content-type"];
			}
			redirects.push(next.href);
			current = next.href;
			continue;
		}
		const binary = !TEXT_TYPE.test(String(hop.headers["content-type"] ?? ""));
		const picked: Record<string, string> = {};
		for (const name of SAFE_RESPONSE_HEADERS) {
			const value = hop.headers[name];
			if (typeof value === "string") picked[name] = value;
		}
		const content = {
			url: target.url.href,
			status: hop.status,
			headers: picked,
			body: binary ? hop.body.toString("base64") : decodeText(hop.body, String(hop.headers["content-type"])),
			encoding: binary ? "base64" : "utf8",
			redirects
		};
		return hop.truncated ? { content, truncated: true } : { content };
	}
}

/** One request to the checked address; a redirect's body is not read. */
export interface Outgoing {
	method: string;
	headers: Record<string, string>;
	body: string | undefined;
	maxBytes: number;
}

/** One request to the checked address, direct or through the egress proxy; a redirect's body is not read. */
export async function send(target: CheckedUrl, proxy: Proxy | null, out: Outgoing, signal: AbortSignal, timeout: () => ToolTimeoutError): Promise<Hop> {
	const { url, address, family } = target;
	const hostname = url.hostname.replace(/^\[|\]$/g, "");
	const isHttps = url.protocol === "https:";
	const port = url.port !== "" ? Number(url.port) : isHttps ? 443 : 80;
	// The pin: whatever the name resolves to now, connect to the address checkUrl approved.
	const pinned: LookupFunction = (_name, opts, callback) => {
		if (opts.all === true) callback(null, [{ address, family }]);
		else callback(null, address, family);
	};
	const reqHeaders: http.OutgoingHttpHeaders = { "user-agent": USER_AGENT, "accept-encoding": "identity", ...out.headers };
	if (out.body !== undefined) reqHeaders["content-length"] = Buffer.byteLength(out.body);
	const options: https.RequestOptions = {
		hostname,
		port,
		path: `${url.pathname}${url.search}`,
		method: out.method,
		headers: reqHeaders,
		lookup: pinned,
		agent: false
	};
	// SNI and certificate checks use the name; Host comes from hostname:port.
	if (isHttps && isIP(hostname) === 0) options.servername = hostname;
	if (proxy !== null && isHttps) {
		// CONNECT to the checked address, then TLS to the name inside the tunnel.
		const tunnel = await openTunnel(proxy, address, family, port, signal, timeout);
		delete options.agent; // with an agent, Node would ignore createConnection
		options.createConnection = () => tls.connect({ socket: tunnel, servername: options.servername, host: hostname });
	} else if (proxy !== null) {
		// Absolute-URI request naming the checked address, so the proxy cannot resolve the name
		// differently; Host keeps the name (a proxy that rewrites Host from the URI breaks
		// name-based virtual hosts over plain http — https is unaffected).
		options.hostname = proxy.hostname;
		options.port = proxy.port;
		options.path = `http://${family === 6 ? `[${address}]` : address}:${port}${url.pathname}${url.search}`;
		delete options.lookup;
		reqHeaders.host = url.host;
		if (proxy.authorization !== undefined) reqHeaders["proxy-authorization"] = proxy.authorization;
	}
	return request(isHttps ? https : http, options, url, out, signal, timeout);
}

function request(
	client: typeof http | typeof https,
	options: https.RequestOptions,
	url: URL,
	out: Outgoing,
	signal: AbortSignal,
	timeout: () => ToolTimeoutError
): Promise<Hop> {
	const maxBytes = out.maxBytes;
	return new Promise<Hop>((resolve, reject) => {
		let settled = false;
		const settle = (fn: () => void): void => {
			if (settled) return;
			settled = true;
			signal.removeEventListener("abort", onAbort);
			fn();
		};
		const onAbort = (): void => {
			req.destroy();
			settle(() => reject(timeout()));
		};
		const fail = (err: Error): void => {
			if (signal.aborted) return onAbort();
			const code = (err as NodeJS.ErrnoException).code;
			settle(() => reject(new ToolFailedError(TOOL_ID, `could not fetch ${url.origin}: ${err.message}`, { code })));
		};

		const req = client.request(options, (res) => {
			const status = res.statusCode ?? 0;
			if (REDIRECT_STATUSES.has(status) && typeof res.headers.location === "string") {
				res.destroy();
				req.destroy();
				settle(() => resolve({ status, headers: res.headers, body: Buffer.alloc(0), truncated: false }));
				return;
			}
			const chunks: Buffer[] = [];
			let size = 0;
			const finish = (truncated: boolean): void =>
				settle(() => resolve({ status, headers: res.headers, body: Buffer.concat(chunks), truncated }));
			res.on("data", (chunk: Buffer) => {
				if (settled) return;
				const room = maxBytes - size;
				if (chunk.length > room) {
					chunks.push(chunk.subarray(0, room));
					size = maxBytes;
					// Stop reading: the rest of an oversized body never crosses the wire into memory.
					res.destroy();
					req.destroy();
					finish(true);
					return;
				}
				chunks.push(chunk);
				size += chunk.length;
			});
			res.on("end", () => finish(false));
			res.on("error", fail);
			res.on("close", () => fail(new Error("the connection closed before the response ended")));
		});
		req.on("error", fail);
		signal.addEventListener("abort", onAbort, { once: true });
		if (signal.aborted) return onAbort();
		req.end(out.body);
	});
}

/** Decodes with the declared charset when Node knows it, else UTF-8. */
function decodeText(body: Buffer, contentType: string): string {
	const charset = /charset="?([\w-]+)"?/i.exec(contentType)?.[1];
	try {
		return new TextDecoder(charset ?? "utf-8").decode(body);
	} catch {
		return body.toString("utf8");
	}
}

/**
 * The egress proxy. Covered: an http:// proxy (with optional user:password → Basic
 * Proxy-Authorization); https targets through CONNECT to the checked IP (pinned, TLS and
 * SNI to the name end to end); http targets as an absolute-URI request naming the checked
 * IP. Not covered: an https:// proxy (TLS to the proxy itself), proxy auth schemes other
 * than Basic, and NO_PROXY exceptions. The proxy's own address is trusted configuration
 * and is not run through checkUrl.
 */
export interface Proxy {
	hostname: string;
	port: number;
	authorization?: string;
}

export function parseProxy(raw: string | undefined): Proxy | null {
	if (raw === undefined || raw === "") return null;
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw new ToolFailedError(TOOL_ID, "egressProxyUrl is not a valid URL");
	}
	if (url.protocol !== "http:") throw new ToolFailedError(TOOL_ID, `an egress proxy over ${url.protocol} is not supported yet (use http://)`);
	const proxy: Proxy = { hostname: url.hostname.replace(/^\[|\]$/g, ""), port: url.port !== "" ? Number(url.port) : 80 };
	if (url.username !== "") {
		const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
		proxy.authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
	}
	return proxy;
}

function openTunnel(proxy: Proxy, address: string, family: number, port: number, signal: AbortSignal, timeout: () => ToolTimeoutError): Promise<Socket> {
	const authority = `${family === 6 ? `[${address}]` : address}:${port}`;
	return new Promise<Socket>((resolve, reject) => {
		const headers: http.OutgoingHttpHeaders = { host: authority };
		if (proxy.authorization !== undefined) headers["proxy-authorization"] = proxy.authorization;
		const req = http.request({ hostname: proxy.hostname, port: proxy.port, method: "CONNECT", path: authority, headers, agent: false });
		const onAbort = (): void => {
			req.destroy();
			reject(timeout());
		};
		signal.addEventListener("abort", onAbort, { once: true });
		req.on("connect", (res: http.IncomingMessage, socket: Socket) => {
			signal.removeEventListener("abort", onAbort);
			if (res.statusCode === 200 && !signal.aborted) return resolve(socket);
			socket.destroy();
			if (signal.aborted) return reject(timeout());
			reject(new ToolFailedError(TOOL_ID, `the egress proxy refused the tunnel (${res.statusCode ?? 0})`, { status: res.statusCode }));
		});
		req.on("error", (err: NodeJS.ErrnoException) => {
			signal.removeEventListener("abort", onAbort);
			reject(signal.aborted ? timeout() : new ToolFailedError(TOOL_ID, `could not reach the egress proxy: ${err.message}`, { code: err.code }));
		});
		if (signal.aborted) return onAbort();
		req.end();
	});
}
