/** What the router needs to know of a failed call (it may have crossed the wire as a plain object). */
export interface FailedCall {
	message?: string;
	type?: string;
	retryable?: boolean;
	data?: { retryAfterSeconds?: number };
}

export interface RetryPolicy {
	maxRetries: number;
	baseMs: number;
	maxMs: number;
}

/** An open circuit or a missing provider service: trying the same provider again now cannot help. */
export function isUnreachable(err: FailedCall): boolean {
	return err.type === "SERVICE_NOT_AVAILABLE" || err.type === "SERVICE_NOT_FOUND" || err.type === "CIRCUIT_BREAKER_OPEN";
}

/**
 * Calls `fn` until it succeeds, a non-retryable error comes, or the retries are spent.
 * Waits grow exponentially with full jitter, so clients that failed together do not
 * retry together; a provider's retry-after is honoured when it is within `maxMs`, and
 * when it is longer the error is thrown at once (better to fail over than to wait).
 */
export async function withRetries<T>(fn: () => Promise<T>, policy: RetryPolicy, onRetry?: (err: FailedCall, delayMs: number) => void): Promise<{ value: T; retries: number }> {
	for (let attempt = 0; ; attempt++) {
		try {
			return { value: await fn(), retries: attempt };
		} catch (raw) {
			const err = raw as FailedCall;
			if (!err.retryable || isUnreachable(err) || attempt >= policy.maxRetries) throw Object.assign(raw as object, { retries: attempt });
			const backoff = Math.min(policy.baseMs * 2 ** attempt, policy.maxMs) * (0.5 + Math.random());
			const asked = (err.data?.retryAfterSeconds ?? 0) * 1000;
			if (asked > policy.maxMs) throw Object.assign(raw as object, { retries: attempt });
			const delay = Math.max(backoff, asked);
			onRetry?.(err, delay);
			await new Promise(resolve => setTimeout(resolve, delay));
		}
	}
}
