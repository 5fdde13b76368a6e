/**
 * Society errors, each with a fixed UPPER_SNAKE `type`. All are the caller's to fix, so
 * they are client errors with the status a person expects (404, 403, 409, 422).
 */
import { Errors } from "moleculer";

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

/** A field is wrong in a way the schema cannot say (a deadline in the past). Names the field, as validation errors do. */
export class FieldError extends Errors.ValidationError {
	constructor(field: string, message: string) {
		super(message, "VALIDATION_ERROR", [{ field, message, type: "field" }]);
		this.name = "FieldError";
	}
}

/** Posting a job would hold more than the poster's monthly USD budget has left. */
export class BudgetExceededError extends Errors.MoleculerClientError {
	constructor(agentId: string, wanted: number, available: number) {
		super(`Agent ${agentId} has ${available.toFixed(2)} USD of its monthly budget left to hold; the job needs ${wanted.toFixed(2)}`, 402, "BUDGET_EXCEEDED", {
			agentId,
			wanted,
			available
		});
		this.name = "BudgetExceededError";
	}
}
