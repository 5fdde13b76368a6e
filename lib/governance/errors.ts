import { Errors } from "moleculer";
import type { PolicySyntaxError } from "./policy-dsl";

/** 422 naming `source` and the line and column of the first problem in it. */
export class PolicyInvalidError extends Errors.MoleculerClientError {
	constructor(err: PolicySyntaxError) {
		super(`The policy does not parse: ${err.message}`, 422, "POLICY_SYNTAX", { field: "source", line: err.line, column: err.column, reason: err.reason });
		this.name = "PolicyInvalidError";
	}
}
