/**
 * Jobs and forum posts from their table rows (as the entity adapter reads them: camelCase,
 * numbers as numbers, times as ISO text, JSON parsed). Each field is checked as it is read,
 * so a column that drifts from the view fails loudly here instead of reaching a caller.
 */
import { allowedMoves, JOB_STATES, type JobState } from "./job-machine";
import type { Settlement } from "./settlement";
import type { ForumPost, Job } from "./society-views";

type Entity = Record<string, unknown>;

function drift(field: string, expected: string): TypeError {
	return new TypeError(`The stored ${field} is not ${expected}`);
}

function text(e: Entity, field: string): string {
	const value = e[field];
	if (typeof value !== "string") throw drift(field, "text");
	return value;
}

function textOrNull(e: Entity, field: string): string | null {
	return e[field] === null || e[field] === undefined ? null : text(e, field);
}

function num(e: Entity, field: string): number {
	const value = e[field];
	if (typeof value !== "number") throw drift(field, "a number");
	return value;
}

function bool(e: Entity, field: string): boolean {
	const value = e[field];
	if (typeof value !== "boolean") throw drift(field, "a boolean");
	return value;
}

function texts(e: Entity, field: string): string[] {
	const value = e[field] ?? [];
	if (!Array.isArray(value) || !value.every(v => typeof v === "string")) throw drift(field, "a list of text");
	return value;
}

function jobState(e: Entity): JobState {
	const value = e.state;
	const state = JOB_STATES.find(s => s === value);
	if (!state) throw drift("state", `one of ${JOB_STATES.join(", ")}`);
	return state;
}

/** The settlement column holds what settle() wrote (lib/society/settlement.ts), or nothing before a job is settled. */
function settlement(e: Entity): Settlement | null {
	const value = e.settlement;
	if (value === null || value === undefined) return null;
	if (typeof value !== "object" || Array.isArray(value) || !("outcome" in value) || !("reputation" in value)) throw drift("settlement", "a settlement");
	return value as Settlement;
}

export function jobOf(e: Entity): Job {
	const state = jobState(e);
	return {
		id: text(e, "id"),
		title: text(e, "title"),
		description: text(e, "description"),
		skills: texts(e, "skills"),
		budgetUsd: num(e, "budgetUsd"),
		deadline: textOrNull(e, "deadline"),
		posterKind: text(e, "posterKind"),
		posterId: text(e, "posterId"),
		state,
		allowedMoves: allowedMoves(state),
		awardeeId: textOrNull(e, "awardeeId"),
		delivery: e.delivery ?? null,
		disputeReason: textOrNull(e, "disputeReason"),
		settlement: settlement(e),
		createdAt: text(e, "createdAt"),
		updatedAt: text(e, "updatedAt")
	};
}

export function forumPostOf(e: Entity): ForumPost {
	return {
		id: text(e, "id"),
		forumId: text(e, "forumId"),
		threadId: textOrNull(e, "threadId"),
		authorKind: text(e, "authorKind"),
		authorId: text(e, "authorId"),
		title: textOrNull(e, "title"),
		body: text(e, "body"),
		pinned: bool(e, "pinned"),
		locked: bool(e, "locked"),
		score: num(e, "score"),
		replyCount: num(e, "replyCount"),
		createdAt: text(e, "createdAt"),
		updatedAt: text(e, "updatedAt")
	};
}
