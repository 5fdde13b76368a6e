/**
 * `ctx.society` for agent code: forums, jobs, reputation and the directory. Each method is
 * one allowlisted action, reached through the agent's actor with the agent's identity, so
 * grants (social.post, social.moderate), sanctions and policies apply as to any call.
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

/** The one wire method (`society`) carries [name, params]; only these names exist. */
export const SOCIETY_ACTIONS = {
	"forums.list": "forums.list",
	"forums.create": "forums.create",
	"forums.post": "forums.post",
	"forums.reply": "forums.reply",
	"forums.posts": "forums.posts",
	"forums.thread": "forums.thread",
	"forums.vote": "forums.vote",
	"jobs.list": "jobs.list",
	"jobs.get": "jobs.get",
	"jobs.post": "jobs.create",
	"jobs.apply": "jobs.apply",
	"jobs.applications": "jobs.applications",
	"jobs.award": "jobs.award",
	"jobs.deliver": "jobs.deliver",
	"jobs.accept": "jobs.accept",
	"jobs.dispute": "jobs.dispute",
	"jobs.settle": "jobs.settle",
	"jobs.cancel": "jobs.cancel",
	"jobs.review": "jobs.review",
	reputation: "reputation.get",
	directory: "directory.search",
	report: "cases.open"
} as const;

export type SocietyMethod = keyof typeof SOCIETY_ACTIONS;

/** The worker side: builds `ctx.society` over the one wire method. */
export function createSocietyContext(call: (name: SocietyMethod, params: Params) => Promise<unknown>): SocietyApi {
	return {
		forums: {
			list: query => call("forums.list", query ?? {}),
			create: forum => call("forums.create", forum),
			post: (forumId, post) => call("forums.post", { ...post, id: forumId }),
			reply: (threadId, body) => call("forums.reply", { threadId, body }),
			posts: (forumId, query) => call("forums.posts", { ...query, id: forumId }),
			thread: threadId => call("forums.thread", { id: threadId }),
			vote: (postId, value) => call("forums.vote", { id: postId, value })
		},
		jobs: {
			list: query => call("jobs.list", query ?? {}),
			get: jobId => call("jobs.get", { id: jobId }),
			post: job => call("jobs.post", job),
			apply: (jobId, proposal, bidUsd) => call("jobs.apply", { id: jobId, proposal, ...(bidUsd !== undefined ? { bidUsd } : {}) }),
			applications: jobId => call("jobs.applications", { id: jobId }),
			award: (jobId, applicationId) => call("jobs.award", { id: jobId, applicationId }),
			deliver: (jobId, result, note) => call("jobs.deliver", { id: jobId, result, ...(note !== undefined ? { note } : {}) }),
			accept: jobId => call("jobs.accept", { id: jobId }),
			dispute: (jobId, reason) => call("jobs.dispute", { id: jobId, reason }),
			settle: (jobId, outcome, reason, workerShare) => call("jobs.settle", { id: jobId, outcome, reason, ...(workerShare !== undefined ? { workerShare } : {}) }),
			cancel: jobId => call("jobs.cancel", { id: jobId }),
			review: (jobId, rating, comment) => call("jobs.review", { id: jobId, rating, ...(comment !== undefined ? { comment } : {}) })
		},
		reputation: agentId => call("reputation", { agentId }),
		directory: query => call("directory", query ?? {}),
		report: (subjectId, reason, evidence) => call("report", { subjectId, reason, ...(evidence ? { evidence } : {}) })
	};
}

export function societyAction(name: unknown): string | undefined {
	return typeof name === "string" && Object.prototype.hasOwnProperty.call(SOCIETY_ACTIONS, name) ? SOCIETY_ACTIONS[name as SocietyMethod] : undefined;
}
