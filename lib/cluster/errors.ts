/**
 * The cluster's errors, each with a fixed UPPER_SNAKE `type`: a caller's mistake is a
 * client error (4xx); a condition that passes on its own (no leader during an election,
 * an agent between nodes) is retryable.
 */
import { Errors } from "moleculer";

/** A bad schedule; `data.field` names the field. */
export class ScheduleInvalidError extends Errors.MoleculerClientError {
	constructor(field: string, message: string) {
		super(message, 422, "SCHEDULE_INVALID", { field });
		this.name = "ScheduleInvalidError";
	}
}

export class ScheduleNotFoundError extends Errors.MoleculerClientError {
	constructor(id: string) {
		super(`No schedule ${id}`, 404, "SCHEDULE_NOT_FOUND", { id });
		this.name = "ScheduleNotFoundError";
	}
}

/** The caller may not schedule this target (an action call needs the admin scope). */
export class ScheduleForbiddenError extends Errors.MoleculerClientError {
	constructor(message: string) {
		super(message, 403, "SCHEDULE_FORBIDDEN");
		this.name = "ScheduleForbiddenError";
	}
}

/** No node holds the leadership right now (an election is under way). */
export class NoLeaderError extends Errors.MoleculerRetryableError {
	constructor() {
		super("The cluster has no leader right now (an election is under way); retry in a few seconds", 503, "NO_LEADER");
		this.name = "NoLeaderError";
	}
}

/** The agent's node went away, or it is being moved: the task was not (or maybe not) run. */
export class AgentUnavailableError extends Errors.MoleculerRetryableError {
	constructor(agentId: string, reason: string) {
		super(`Agent ${agentId} is unavailable: ${reason}; retry once it runs again (see GET /api/v1/agents/${agentId})`, 503, "AGENT_UNAVAILABLE", { agentId, reason });
		this.name = "AgentUnavailableError";
	}
}
