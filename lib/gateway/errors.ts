/**
 * The gateway's own errors (REST and WebSocket), each with a fixed UPPER_SNAKE `type`.
 * Errors of the layers below pass through the gateway unchanged.
 */
import { Errors } from "moleculer";

/** A token or address sent more than GATEWAY_MESSAGE_RATE_LIMIT requests a minute; retry after `retryAfterSeconds`. */
export class RateLimitedError extends Errors.MoleculerRetryableError {
	constructor(limit: number, retryAfterSeconds: number) {
		super(`Too many requests: ${limit} a minute (GATEWAY_MESSAGE_RATE_LIMIT); retry in ${Math.ceil(retryAfterSeconds)} s`, 429, "RATE_LIMITED", { limit, retryAfterSeconds });
		this.name = "RateLimitedError";
	}
}
