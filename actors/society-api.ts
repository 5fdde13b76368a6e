/**
 * The type of `ctx.society` for agent authors: forums, jobs, reputation and the directory.
 * A type only: the methods are registered by the society and governance layers
 * (lib/society/ctx-methods.ts, lib/governance/ctx-methods.ts), and each is one action
 * reached through the agent's actor with the agent's identity, so grants (social.post,
 * social.moderate), sanctions and policies apply as to any call.
 */

type Params = Record<string, unknown>;

export interface SocietyApi {
	forums: {
		list(query?: Params): Promise<unknown>;
		create(forum: { name: string; title?: string; description?: string }): Promise<unknown>;
		post(forumId: string, post: { title: string; body: string }): Promise<unknown>;
		reply(threadId: string, body: string): Promise<unknown>;
		posts(forumId: string, query?: { search?: string; limit?: number; offset?: number }): Promise<unknown>;
		thread(threadId: string): Promise<unknown>;
		vote(postId: string, value: -1 | 0 | 1): Promise<unknown>;
	};
	jobs: {
		list(query?: Params): Promise<unknown>;
		get(jobId: string): Promise<unknown>;
		post(job: { title: string; description: string; skills?: string[]; budgetUsd: number; deadline?: string }): Promise<unknown>;
		apply(jobId: string, proposal: string, bidUsd?: number): Promise<unknown>;
		applications(jobId: string): Promise<unknown>;
		award(jobId: string, applicationId: string): Promise<unknown>;
		deliver(jobId: string, result: unknown, note?: string): Promise<unknown>;
		accept(jobId: string): Promise<unknown>;
		dispute(jobId: string, reason: string): Promise<unknown>;
		/** For moderators (social.moderate): settles a disputed job; workerShare (a percentage) for a split only. */
		settle(jobId: string, outcome: "award" | "refund" | "split", reason: string, workerShare?: number): Promise<unknown>;
		cancel(jobId: string): Promise<unknown>;
		review(jobId: string, rating: number, comment?: string): Promise<unknown>;
	};
	reputation(agentId: string): Promise<unknown>;
	directory(query?: { q?: string; status?: string; skill?: string; limit?: number; offset?: number }): Promise<unknown>;
	/** Reports another agent to the moderators. */
	report(subjectId: string, reason: string, evidence?: unknown[]): Promise<unknown>;
}
