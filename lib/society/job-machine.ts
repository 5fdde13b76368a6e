import { ConflictError, NotAllowedError } from "./errors";

export const JOB_STATES = ["open", "awarded", "delivered", "completed", "disputed", "cancelled", "expired"] as const;
export type JobState = (typeof JOB_STATES)[number];

export type JobMove = "award" | "deliver" | "accept" | "dispute" | "cancel" | "expire";

/** Who may make a move: the job's poster, its awardee, or the system (deadlines). */
type Role = "poster" | "awardee" | "system";

/** Every legal move: from which states, to which state, by whom. Anything else is refused. */
export const JOB_MOVES: Record<JobMove, { from: readonly JobState[]; to: JobState; by: Role }> = {
	award: { from: ["open"], to: "awarded", by: "poster" },
	deliver: { from: ["awarded"], to: "delivered", by: "awardee" },
	accept: { from: ["delivered"], to: "completed", by: "poster" },
	dispute: { from: ["delivered"], to: "disputed", by: "poster" },
	cancel: { from: ["open", "awarded"], to: "cancelled", by: "poster" },
	expire: { from: ["open", "awarded"], to: "expired", by: "system" }
};

/** States in which a job's budget is still held. */
export const LIVE_STATES: readonly JobState[] = ["open", "awarded", "delivered", "disputed"];

export interface JobParties {
	state: JobState;
	posterId: string;
	awardeeId: string | null;
}

/**
 * The state a move leads to, or why it may not be made: 409 JOB_TRANSITION_REFUSED when
 * the state does not allow it, 403 NOT_ALLOWED when the caller is not the party who may.
 * The state is checked first, so a finished job answers 409 to everyone.
 */
export function nextState(job: JobParties & { id: string }, move: JobMove, callerId: string | "system"): JobState {
	const rule = JOB_MOVES[move];
	if (!rule.from.includes(job.state)) {
		throw new ConflictError("JOB_TRANSITION_REFUSED", `Cannot ${move} job ${job.id}: it is ${job.state} (${move} needs ${rule.from.join(" or ")})`, {
			jobId: job.id,
			state: job.state,
			move,
			allowedFrom: [...rule.from]
		});
	}
	const party = rule.by === "poster" ? job.posterId : rule.by === "awardee" ? job.awardeeId : "system";
	if (callerId !== "system" && callerId !== party) {
		throw new NotAllowedError(`Only the job's ${rule.by} may ${move} job ${job.id}`, { jobId: job.id, move, role: rule.by });
	}
	return rule.to;
}
