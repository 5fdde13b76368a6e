/**
 * Security errors, each with a fixed UPPER_SNAKE `type`. Errors that reach callers extend
 * Moleculer's errors: transient ones are retryable, so clients know to try again later.
 */
import { Errors } from "moleculer";

/**
 * The audit buffer is full because the database has been unreachable for a while.
 * Privileged actions are refused rather than run unaudited; they work again as soon as
 * the buffered entries are written.
 */
export class AuditBufferFullError extends Errors.MoleculerRetryableError {
	constructor(buffered?: number) {
		super(
			"The audit log cannot be written right now; privileged actions are refused until it can",
			503,
			"AUDIT_UNAVAILABLE",
			buffered === undefined ? undefined : { buffered }
		);
		this.name = "AuditBufferFullError";
	}
}
