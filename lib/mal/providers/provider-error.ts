import { ProviderError } from "../errors";

/** HTTP statuses worth another try: timeouts, conflicts of state, rate limits, server faults. */
const RETRYABLE_STATUS = new Set([408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529]);

/**
 * Turns whatever an SDK threw into a ProviderError. Both official SDKs throw an
 * `APIError` with `status` and `headers` for HTTP answers, and connection errors (no
 * status) for refused connections and timeouts; the same rules fit both.
 */
export function toProviderError(provider: string, err: unknown, signal?: AbortSignal): ProviderError {
	if (err instanceof ProviderError) return err;
	const e = err as { status?: number; headers?: Headers | Record<string, string>; message?: string; name?: string };
	if (typeof e.status === "number") {
		// The SDKs start their message with the status again ("404 model … not found").
		const message = cleanMessage(e.message).replace(new RegExp(`^${e.status}\\s+`), "");
		return new ProviderError(provider, `HTTP ${e.status}: ${message}`, e.status, RETRYABLE_STATUS.has(e.status), retryAfter(e.headers));
	}
	if (signal?.aborted) return new ProviderError(provider, "timed out", undefined, true);
	// No status: the request never got an answer (refused, reset, timed out, DNS).
	return new ProviderError(provider, `no answer: ${cleanMessage(e.message) || e.name || "connection failed"}`, undefined, true);
}

function retryAfter(headers: Headers | Record<string, string> | undefined): number | undefined {
	const raw = headers instanceof Headers ? headers.get("retry-after") : headers?.["retry-after"];
	if (!raw) return undefined;
	const seconds = Number(raw);
	if (Number.isFinite(seconds)) return Math.max(0, seconds);
	const date = Date.parse(raw);
	return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

function cleanMessage(message: string | undefined): string {
	return (message ?? "").replace(/\s+/g, " ").trim().slice(0, 300);
}
