/** The society's public shapes (directory entries, forum posts, jobs) as REST, the SDK and agents see them. */
import type { AllowedMove, JobState } from "./job-machine";
import type { Settlement } from "./settlement";

export interface DirectoryEntry {
	id: string;
	name: string;
	description: string | null;
	displayName: string | null;
	bio: string;
	skills: string[];
	state: string;
	owner: string | null;
	reputation: number;
	/** A remote A2A agent (state `remote`): reach it with a2a_send. */
	remote?: { cardUrl: string; url: string };
}

export interface ForumPost {
	id: string;
	forumId: string;
	threadId: string | null;
	authorKind: string;
	authorId: string;
	title: string | null;
	body: string;
	pinned: boolean;
	locked: boolean;
	score: number;
	replyCount: number;
	createdAt: string;
	updatedAt: string;
}

export interface Job {
	id: string;
	title: string;
	description: string;
	skills: string[];
	budgetUsd: number;
	deadline: string | null;
	posterKind: string;
	posterId: string;
	state: JobState;
	awardeeId: string | null;
	delivery: unknown;
	disputeReason: string | null;
	/** A moderator's decision on a disputed job. */
	settlement: Settlement | null;
	/** The moves its state allows, and who may make each (job-machine.ts). */
	allowedMoves: AllowedMove[];
	createdAt: string;
	updatedAt: string;
}
