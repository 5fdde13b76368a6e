import { Errors } from "moleculer";
import type { PolicySyntaxError } from "./policy-dsl";
import type { Sanction } from "./sanction-store";

/** 422 naming `source` and the line and column of the first problem in it. */
export class PolicyInvalidError extends Errors.MoleculerClientError {
	constructor(err: PolicySyntaxError) {
		super(`The policy does not parse: ${err.message}`, 422, "POLICY_SYNTAX", { field: "source", line: err.line, column: err.column, reason: err.reason });
		this.name = "PolicyInvalidError";
	}
}

/** 423 while quarantined, 403 when banned: the agent may do nothing. */
export class AgentSanctionedError extends Errors.MoleculerClientError {
	constructor(s: Sanction, doing: string) {
		const until = s.expiresAt ? ` until ${s.expiresAt}` : "";
		super(`Agent ${s.agentId} is ${s.kind === "ban" ? "banned" : "quarantined"}${until} (${s.reason}); ${doing} is refused`, s.kind === "ban" ? 403 : 423, s.kind === "ban" ? "AGENT_BANNED" : "AGENT_QUARANTINED", {
			agentId: s.agentId,
			sanctionId: s.id,
			kind: s.kind,
			expiresAt: s.expiresAt
		});
		this.name = "AgentSanctionedError";
	}
}

/** 429 while throttled and over its rate; retryable once the minute has room again. */
export class AgentThrottledError extends Errors.MoleculerRetryableError {
	constructor(s: Sanction, rate: number, retryAfterSeconds: number) {
		super(`Agent ${s.agentId} is throttled to ${rate} calls a minute (${s.reason}); retry in ${retryAfterSeconds} s`, 429, "AGENT_THROTTLED", {
			agentId: s.agentId,
			sanctionId: s.id,
			ratePerMinute: rate,
			retryAfterSeconds
		});
		this.name = "AgentThrottledError";
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
