/**
 * The console's REST client: the project's own SDK (sdk/http-client.ts), same origin,
 * with the signed-in token. Every failure is an AgentOSApiError `{status, type, message,
 * data}` — the API's own error, or UNREACHABLE when the node does not answer.
 */
import { AgentOSApiError, AgentOSHttpClient } from "../sdk/http-client";
import { queryString } from "../sdk/query-string";

export { AgentOSApiError } from "../sdk/http-client";
export type { AgentView, Approval, AuditRecord, Grant, Page, PendingGrant, Scope } from "../sdk/http-client";

/** What the error banner shows. */
export interface ShownError {
	type: string;
	message: string;
	status?: number;
	data?: unknown;
}

let client: AgentOSHttpClient | undefined;
let onRefused: (() => void) | undefined;

/** Called by session.ts when the token changes (undefined: signed out). */
export function useToken(token: string | undefined): void {
	// The browser's fetch must be called unbound from the client object ("Illegal invocation").
	const send = async (input: RequestInfo | URL, init?: RequestInit) => {
		const res = await fetch(input, init);
		if (res.status === 401) onRefused?.();
		return res;
	};
	client = token === undefined ? undefined : new AgentOSHttpClient({ url: "", token, fetch: send });
}

/** `fn` runs when the node answers 401 (the token was revoked or has expired). */
export function whenTokenRefused(fn: () => void): void {
	onRefused = fn;
}

/** The SDK client for the signed-in token; throws NOT_SIGNED_IN before sign-in. */
export function sdk(): AgentOSHttpClient {
	if (!client) throw new AgentOSApiError(401, "NOT_SIGNED_IN", "Sign in with an API token first");
	return client;
}

type Query = Record<string, string | number | boolean | undefined>;

/** Any REST route under /api/v1 the SDK has no method for: `api.get("/cluster")`. */
export const api = {
	get: <T>(path: string, query: Query = {}): Promise<T> => sdk().request<T>("GET", `/api/v1${path}${queryString(query)}`),
	post: <T>(path: string, body: unknown = {}): Promise<T> => sdk().request<T>("POST", `/api/v1${path}`, body),
	put: <T>(path: string, body: unknown = {}): Promise<T> => sdk().request<T>("PUT", `/api/v1${path}`, body),
	patch: <T>(path: string, body: unknown = {}): Promise<T> => sdk().request<T>("PATCH", `/api/v1${path}`, body),
	del: <T>(path: string, body?: unknown): Promise<T> => sdk().request<T>("DELETE", `/api/v1${path}`, body)
};

/** Any thrown value as `{type, message}` for the error banner. */
export function shown(err: unknown): ShownError {
	if (err instanceof AgentOSApiError) return { type: err.type, message: err.message, status: err.status, data: err.data };
	if (err instanceof Error) return { type: "ERROR", message: err.message };
	return { type: "ERROR", message: String(err) };
}
