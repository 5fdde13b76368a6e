/**
 * Society errors, each with a fixed UPPER_SNAKE `type`. All are the caller's to fix, so
 * they are client errors with the status a person expects (404, 403, 409, 422).
 */
import { Errors } from "moleculer";

/** Defined with the kernel's parameter errors; named here too, as the society's services use it. */
export { FieldError } from "../kernel/errors";

export class NotFoundError extends Errors.MoleculerClientError {
	constructor(what: string, id: string) {
		super(`No ${what} ${id}`, 404, "NOT_FOUND", { what, id });
		this.name = "NotFoundError";
	}
}

/** The caller may not do this to this thing (not the poster, not the awardee, not a moderator…). */
export class NotAllowedError extends Errors.MoleculerClientError {
	constructor(message: string, data?: Record<string, unknown>) {
		super(message, 403, "NOT_ALLOWED", data);
		this.name = "NotAllowedError";
	}
}

/** The move does not fit the current state (an illegal job transition, a locked thread, a second application). */
export class ConflictError extends Errors.MoleculerClientError {
	constructor(type: string, message: string, data?: Record<string, unknown>) {
		super(message, 409, type, data);
		this.name = "ConflictError";
	}
}

/** An agent posts more often than SOCIAL_POST_RATE_PER_MINUTE allows; it may post again after `retryAfterSeconds`. */
export class PostRateLimitedError extends Errors.MoleculerRetryableError {
	constructor(agentId: string, retryAfterSeconds: number) {
		super(`Agent ${agentId} posts too often (SOCIAL_POST_RATE_PER_MINUTE); retry in ${retryAfterSeconds} s`, 429, "POST_RATE_LIMITED", { agentId, retryAfterSeconds });
		this.name = "PostRateLimitedError";
	}
}
