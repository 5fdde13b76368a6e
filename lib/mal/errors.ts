import { Errors } from "moleculer";

/**
 * Why a provider call failed, in the terms the router acts on: `retryable` errors
 * (5xx, 429, timeouts, refused connections) are retried and then failed over; the rest
 * (a bad request, a bad key) go straight back to the caller.
 */
export class ProviderError extends Errors.MoleculerError {
	constructor(
		readonly provider: string,
		message: string,
		readonly status: number | undefined,
		retryable: boolean,
		/** Seconds the provider asked us to wait (429 retry-after). */
		readonly retryAfterSeconds?: number
	) {
		super(
			`${provider}: ${message}`,
			retryable ? 503 : status && status >= 400 && status < 500 ? 422 : 502,
			retryable ? "PROVIDER_UNAVAILABLE" : "PROVIDER_REJECTED",
			{ provider, status, retryAfterSeconds }
		);
		this.retryable = retryable;
		this.name = "ProviderError";
	}
}

/** The request names a model no configured provider serves. */
export class UnknownModelError extends Errors.MoleculerClientError {
	constructor(model: string, known: string[]) {
		super(`Unknown model "${model}"; known models and aliases: ${known.join(", ")}`, 422, "UNKNOWN_MODEL", { model, known });
	}
}

/**
 * The agent's budget for the period is spent: by its model calls (the model layer), or,
 * when `wantedUsd` is given, a job would hold more of the monthly USD budget than is left
 * (the society's job holds). One type, one data shape for both.
 */
export class BudgetExceededError extends Errors.MoleculerClientError {
	/** `heldUsd`: what the agent's open jobs hold of the monthly budget, counted as spent. */
	constructor(agentId: string, period: "day" | "month", limit: { tokens?: number; usd?: number }, used: { tokens?: number; usd: number }, heldUsd = 0, wantedUsd?: number) {
		const availableUsd = Math.max(0, (limit.usd ?? 0) - used.usd - heldUsd);
		const held = heldUsd > 0 ? `, and $${heldUsd.toFixed(4)} is held by its open jobs` : "";
		const tokens = used.tokens === undefined ? "" : `${used.tokens} tokens, `;
		super(
			wantedUsd === undefined
				? `Agent ${agentId} has used its ${period === "day" ? "daily" : "monthly"} LLM budget (${describe(limit)}; used ${tokens}$${used.usd.toFixed(4)}${held})`
				: `Agent ${agentId} has ${availableUsd.toFixed(2)} USD of its monthly budget left to hold; the job needs ${wantedUsd.toFixed(2)}`,
			402,
			"BUDGET_EXCEEDED",
			{ agentId, period, limit, used, ...(heldUsd > 0 ? { heldUsd } : {}), ...(wantedUsd === undefined ? {} : { wantedUsd, availableUsd }) }
		);
		this.name = "BudgetExceededError";
	}
}

/** One provider's failure in a failover: what it said, and how long it asked us to wait. */
export interface FailoverAttempt {
	provider: string;
	error: string;
	retryAfterSeconds?: number;
}

/**
 * Every provider in the chain failed. When each of them asked to be left alone for a
 * while (429/503 with retry-after), `retryAfterSeconds` is the soonest of those waits,
 * so a caller that tries again (a durable run) does not try before any could answer.
 */
export class AllProvidersFailedError extends Errors.MoleculerRetryableError {
	constructor(attempts: FailoverAttempt[]) {
		const asked = attempts.map(a => a.retryAfterSeconds);
		const retryAfterSeconds = asked.length > 0 && asked.every(s => s !== undefined) ? Math.min(...(asked as number[])) : undefined;
		super(`No provider could answer: ${attempts.map(a => `${a.provider}: ${a.error}`).join("; ")}`, 503, "ALL_PROVIDERS_FAILED", {
			attempts,
			...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds })
		});
		this.name = "AllProvidersFailedError";
	}
}

function describe(limit: { tokens?: number; usd?: number }): string {
	return [limit.tokens !== undefined ? `${limit.tokens} tokens` : "", limit.usd !== undefined ? `$${limit.usd}` : ""].filter(Boolean).join(", ");
}

/** A model stream (mal.stream) that closed before its final result line: the turn may be tried again. */
export class ModelStreamIncompleteError extends Errors.MoleculerRetryableError {
	constructor() {
		super("The model stream ended without a result; try the turn again", 502, "MODEL_STREAM_INCOMPLETE");
		this.name = "ModelStreamIncompleteError";
	}
}

/**
 * A model stream (mal.stream) that failed after it began, as its error line says: the
 * turn's answer is lost. `data` keeps the failure's own type and message (PROVIDER_ERROR,
 * a circuit that opened…), which the line carries without a status.
 */
export class ModelStreamFailedError extends Errors.MoleculerError {
	constructor(failure: { type?: string; message?: string }) {
		const cause = `${failure.type ?? "ERROR"}: ${failure.message ?? "no reason given"}`;
		super(`The model stream failed after it began (${cause}); try the turn again`, 502, "MODEL_STREAM_FAILED", { failure: { type: failure.type, message: failure.message } });
		this.name = "ModelStreamFailedError";
	}
}

/** The prompt is longer than LLM_MAX_PROMPT_CHARS allows. */
export class PromptTooLargeError extends Errors.MoleculerClientError {
	constructor(size: number, limit: number) {
		super(`The prompt has ${size} characters; the limit is ${limit} (LLM_MAX_PROMPT_CHARS)`, 413, "PROMPT_TOO_LARGE", { size, limit });
		this.name = "PromptTooLargeError";
	}
}

/** An agent asked for a model its manifest's grant does not list. */
export class ModelNotGrantedError extends Errors.MoleculerClientError {
	constructor(agentId: string | undefined, model: string, allowed: readonly string[]) {
		super(`Agent ${agentId} may only use the models ${allowed.join(", ")}`, 403, "MODEL_NOT_GRANTED", { model, allowed });
		this.name = "ModelNotGrantedError";
	}
}
