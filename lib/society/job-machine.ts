import { ConflictError, NotAllowedError } from "./errors";

export const JOB_STATES = ["open", "awarded", "delivered", "completed", "disputed", "settled", "cancelled", "expired"] as const;
export type JobState = (typeof JOB_STATES)[number];

export type JobMove = "award" | "deliver" | "accept" | "dispute" | "settle" | "cancel" | "expire";

/** Who may make a move: the job's poster, its awardee, a moderator (who is neither), or the system (deadlines). */
export type Role = "poster" | "awardee" | "moderator" | "system";

/** Every legal move: from which states, to which state, by whom. Anything else is refused. */
export const JOB_MOVES: Record<JobMove, { from: readonly JobState[]; to: JobState; by: Role }> = {
	award: { from: ["open"], to: "awarded", by: "poster" },
	deliver: { from: ["awarded"], to: "delivered", by: "awardee" },
	accept: { from: ["delivered"], to: "completed", by: "poster" },
	dispute: { from: ["delivered"], to: "disputed", by: "poster" },
	settle: { from: ["disputed"], to: "settled", by: "moderator" },
	cancel: { from: ["open", "awarded"], to: "cancelled", by: "poster" },
	expire: { from: ["open", "awarded"], to: "expired", by: "system" }
};

/** A move someone can make on a job in its state, with the state it leads to and who may make it. */
export interface AllowedMove {
	move: Exclude<JobMove, "expire">;
	to: JobState;
	by: Exclude<Role, "system">;
}

/**
 * The moves people and agents can make from a state, in JOB_MOVES order: what a job's view
 * offers, so a client shows the legal buttons without knowing the machine. Expiry is the
 * system's (deadlines), never offered.
 */
export function allowedMoves(state: JobState): AllowedMove[] {
	const moves: AllowedMove[] = [];
	for (const [move, rule] of Object.entries(JOB_MOVES) as [JobMove, (typeof JOB_MOVES)[JobMove]][]) {
		if (move === "expire" || rule.by === "system" || !rule.from.includes(state)) continue;
		moves.push({ move, to: rule.to, by: rule.by });
	}
	return moves;
}

/** States in which a job's budget is still held. */
export const LIVE_STATES: readonly JobState[] = ["open", "awarded", "delivered", "disputed"];

export interface JobParties {
	state: JobState;
	posterId: string;
	awardeeId: string | null;
}

/** Who asks for a move; `moderator` when the caller holds the moderation scope or capability (checked before, by the security layer). */
export interface Mover {
	id: string;
	moderator?: boolean;
}

/**
 * The state a move leads to, or why it may not be made: 409 JOB_TRANSITION_REFUSED when
 * the state does not allow it, 403 NOT_ALLOWED when the caller is not the party who may.
 * The state is checked first, so a finished job answers 409 to everyone. A moderator
 * settles only jobs they are not a party to.
 */
export function nextState(job: JobParties & { id: string }, move: JobMove, caller: string | Mover): JobState {
	const rule = JOB_MOVES[move];
	const who: Mover = typeof caller === "string" ? { id: caller } : caller;
	if (!rule.from.includes(job.state)) {
		throw new ConflictError("JOB_TRANSITION_REFUSED", `Cannot ${move} job ${job.id}: it is ${job.state} (${move} needs ${rule.from.join(" or ")})`, {
			jobId: job.id,
			state: job.state,
			move,
			allowedFrom: [...rule.from]
		});
	}
	if (rule.by === "moderator") {
		if (!who.moderator) throw new NotAllowedError(`Only a moderator may ${move} job ${job.id}`, { jobId: job.id, move, role: rule.by });
		if (who.id === job.posterId || who.id === job.awardeeId) {
			throw new NotAllowedError(`${who.id} is a party to job ${job.id} and may not ${move} it; another moderator must`, { jobId: job.id, move, role: rule.by });
		}
		return rule.to;
	}
	const party = rule.by === "poster" ? job.posterId : rule.by === "awardee" ? job.awardeeId : "system";
	if (who.id !== "system" && who.id !== party) {
		throw new NotAllowedError(`Only the job's ${rule.by} may ${move} job ${job.id}`, { jobId: job.id, move, role: rule.by });
	}
	return rule.to;
}
