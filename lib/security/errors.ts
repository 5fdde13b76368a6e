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

/** A valid token without the scope an action or route needs; `scopes` lists what the token holds. */
export class ForbiddenScopeError extends Errors.MoleculerClientError {
	constructor(scope: string, scopes?: readonly string[], message = `This token lacks the scope "${scope}"`) {
		super(message, 403, "FORBIDDEN_SCOPE", { scope, ...(scopes ? { scopes } : {}) });
		this.name = "ForbiddenScopeError";
	}
}

/**
 * Granting capabilities — and acting as an agent, under its grants — is for admins: a
 * token with `agents:write`, `tasks` or `approvals` alone must not hand an agent more
 * than the safe defaults. The gateway's scope refusal, for the scope "admin".
 */
export class AdminRequiredError extends ForbiddenScopeError {
	constructor(what: string, scopes?: readonly string[]) {
		super("admin", scopes, `Only a token with the scope "admin" may ${what}`);
		this.name = "AdminRequiredError";
	}
}

/** Thrown when an agent uses a capability it has no grant of (with the grant request that waits for an admin, if there is one). */
export class PermissionDeniedError extends Errors.MoleculerClientError {
	constructor(agentId: string, capability: string, pendingApprovalId?: string) {
		super(
			`Agent ${agentId} lacks the permission ${capability}${pendingApprovalId ? ` (requested; it waits for an admin: POST /api/v1/approvals/${pendingApprovalId}/approve)` : ""}`,
			403,
			"PERMISSION_DENIED",
			{ agentId, capability, ...(pendingApprovalId ? { pendingApprovalId } : {}) }
		);
		this.name = "PermissionDeniedError";
	}
}

/** No API token with this id (never created, or already revoked and removed). */
export class TokenNotFoundError extends Errors.MoleculerClientError {
	constructor(id: string) {
		super(`No token ${id}`, 404, "TOKEN_NOT_FOUND", { id });
		this.name = "TokenNotFoundError";
	}
}
