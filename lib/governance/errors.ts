import { Errors } from "moleculer";
import type { PolicySyntaxError } from "./policy-dsl";

/** 422 naming `source` and the line and column of the first problem in it. */
export class PolicyInvalidError extends Errors.MoleculerClientError {
	constructor(err: PolicySyntaxError) {
		super(`The policy does not parse: ${err.message}`, 422, "POLICY_SYNTAX", { field: "source", line: err.line, column: err.column, reason: err.reason });
		this.name = "PolicyInvalidError";
	}
}

/** A second lockdown while one is in force: lift it first (its id is in `data`). */
export class LockdownActiveError extends Errors.MoleculerClientError {
	/** Without the lockdown: another node started one at the same moment. */
	constructor(current?: { id: string; createdAt: string }) {
		const what = current ? `A lockdown is in force since ${current.createdAt} (${current.id})` : "Another lockdown was started at the same moment";
		super(`${what}; lift it before starting another`, 409, "LOCKDOWN_ACTIVE", current ? { lockdownId: current.id, since: current.createdAt } : {});
		this.name = "LockdownActiveError";
	}
}

/** Lifting when no lockdown is in force. */
export class NoLockdownError extends Errors.MoleculerClientError {
	constructor() {
		super("No lockdown is in force; there is nothing to lift", 409, "NO_LOCKDOWN");
		this.name = "NoLockdownError";
	}
}
