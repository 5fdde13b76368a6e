import { Errors } from "moleculer";

/** A person said no to the action an agent asked to take. */
export class ApprovalDeniedError extends Errors.MoleculerClientError {
	constructor(approvalId: string, action: string, note: string | null) {
		super(`The action ${action} was denied${note ? `: ${note}` : ""}`, 403, "APPROVAL_DENIED", { approvalId, action, note });
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
