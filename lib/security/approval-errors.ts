import { Errors } from "moleculer";

/** A person said no to the action an agent asked to take. */
export class ApprovalDeniedError extends Errors.MoleculerClientError {
	constructor(approvalId: string, action: string, note: string | null) {
		super(`A person denied ${action}${note ? `: ${note}` : ""}; it did not run`, 403, "APPROVAL_DENIED", { approvalId, action, note });
	}
}

/** Nobody decided in time; the action did not run. */
export class ApprovalExpiredError extends Errors.MoleculerClientError {
	constructor(approvalId: string, action: string, timeoutMs: number) {
		super(`Nobody approved ${action} within ${timeoutMs} ms; it did not run`, 408, "APPROVAL_EXPIRED", { approvalId, action, timeoutMs });
	}
}

/** The approval was already decided (or expired), or does not exist. */
export class ApprovalNotPendingError extends Errors.MoleculerClientError {
	constructor(approvalId: string, status: string | null) {
		super(status ? `Approval ${approvalId} is already ${status}` : `No approval ${approvalId}`, status ? 409 : 404, status ? "APPROVAL_NOT_PENDING" : "APPROVAL_NOT_FOUND", { approvalId, status });
	}
}

/** Whether an error (here or from another node, where only its type survives) is a durable run's call waiting for a person. */
export function isApprovalPending(err: unknown): err is { type: "APPROVAL_PENDING"; data: { approvalId: string } } {
	return (err as { type?: unknown } | null)?.type === "APPROVAL_PENDING";
}

/**
 * A durable run's call needs a person: the approval is open and nothing waits for it. Not a
 * failure — the run is suspended until the decision (or `expiresAt`), then the same call is
 * made again with `meta.approvalId`.
 */
export class ApprovalPendingError extends Errors.MoleculerClientError {
	constructor(approvalId: string, action: string, reason: string, expiresAt: string) {
		super(`${action} waits for a person's approval (${approvalId}) until ${expiresAt}`, 202, "APPROVAL_PENDING", { approvalId, action, reason, expiresAt });
	}
}

/** Only an agent asks a person through approvals.waitFor: the approval is the agent's. */
export class AgentCallerRequiredError extends Errors.MoleculerClientError {
	constructor(action: string) {
		super(`${action} is for agents (ctx.waitFor); call it as an agent`, 400, "AGENT_CALLER_REQUIRED", { action });
	}
}
