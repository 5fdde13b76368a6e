import { ToolFailedError, ToolTimeoutError } from "../errors";
import type { ToolPolicy } from "../tool";
import { parseProxy, send } from "../builtin/http-fetch";
import { raceSignal } from "../builtin/race-signal";
import { checkUrl, type LookupFn } from "../builtin/url-guard";
import { A2aUnreachableError } from "./a2a-errors";

export interface GuardedFetchOptions {
	toolId: string;
	/** The grant's narrowed domains, when the caller is an agent with some. */
	narrowed?: string[];
	/** Sent as `Authorization: Bearer …`, only to `tokenOrigin`, never to another host a card points at. */
	token?: string;
	tokenOrigin?: string;
	/** Largest answer read; a larger one is an error rather than a cut JSON document. */
	maxBytes: number;
	signal: AbortSignal;
	timeoutMs: number;
	lookup?: LookupFn;
}

const REDIRECT = new Set([301, 302, 303, 307, 308]);
const DROPPED = new Set(["host", "connection", "content-length", "accept-encoding", "transfer-encoding"]);

/**
 * A `fetch` for the A2A SDK that goes where http_fetch goes and nowhere else: every URL
 * (the card, then the endpoint the card names) through the same SSRF guard, allowlist and
 * egress proxy, the connection pinned to the checked address; redirects are not followed.
 */
export function guardedFetch(policy: ToolPolicy, o: GuardedFetchOptions): typeof fetch {
	const proxy = parseProxy(policy.egressProxyUrl);
	const timeout = (): ToolTimeoutError => new ToolTimeoutError(o.toolId, o.timeoutMs);
	return async (input, init) => {
		const url = input instanceof Request ? input.url : String(input);
		const signal = init?.signal ? AbortSignal.any([o.signal, init.signal]) : o.signal;
		const headers: Record<string, string> = {};
		new Headers(init?.headers).forEach((value, name) => {
			if (!DROPPED.has(name)) headers[name] = value;
		});
		const target = await raceSignal(checkUrl(url, policy, o.narrowed, o.lookup, o.toolId), signal, timeout);
		if (o.token !== undefined && target.url.origin === o.tokenOrigin) headers.authorization = `Bearer ${o.token}`;
		else delete headers.authorization;
		const body = typeof init?.body === "string" ? init.body : undefined;
		let hop;
		try {
			hop = await send(target, proxy, { method: init?.method ?? "GET", headers, body, maxBytes: o.maxBytes }, signal, timeout);
		} catch (err) {
			if (err instanceof ToolFailedError) throw new A2aUnreachableError(o.toolId, target.url.origin, String((err.data as { code?: string }).code ?? err.message));
			throw err;
		}
		if (REDIRECT.has(hop.status)) throw new ToolFailedError(o.toolId, `${target.url.origin} answered with a redirect, which is not followed; use the final URL`, { status: hop.status });
		if (hop.truncated) throw new ToolFailedError(o.toolId, `the answer of ${target.url.origin} is larger than ${o.maxBytes} bytes`, { maxBytes: o.maxBytes });
		const out = new Headers();
		for (const [name, value] of Object.entries(hop.headers)) if (typeof value === "string") out.set(name, value);
		const status = hop.status >= 200 && hop.status <= 599 ? hop.status : 502;
		return new Response(status === 204 || status === 304 ? null : hop.body, { status, headers: out });
	};
}
