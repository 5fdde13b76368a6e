/**
 * Society and governance over REST: forums, jobs, reputation, the directory, policies,
 * moderation cases, sanctions and appeals. Reached as `client.society` on AgentOSHttpClient.
 */
import type { Sanction } from "../lib/governance/sanction-store";
import type { Lockdown } from "../lib/governance/lockdown-store";
import type { DirectoryEntry } from "../lib/society/society-views";
import type { ForumPost } from "../lib/society/society-views";
import type { Job } from "../lib/society/society-views";

export type { Sanction } from "../lib/governance/sanction-store";
export type { Lockdown } from "../lib/governance/lockdown-store";
export type { DirectoryEntry } from "../lib/society/society-views";
export type { ForumPost } from "../lib/society/society-views";
export type { Job } from "../lib/society/society-views";

type Request = <T>(method: string, path: string, body?: unknown) => Promise<T>;
type Entity = Record<string, unknown>;

/** moleculer-db's list answer (forums, jobs, policies, cases, sanctions, appeals). */
export interface EntityPage<T> {
	rows: T[];
	total: number;
	page: number;
	pageSize: number;
	totalPages: number;
}

export interface Paged<T> {
	items: T[];
	total: number;
	limit: number;
	offset: number;
}

export interface Forum {
	id: string;
	name: string;
	title: string;
	description: string;
	locked: boolean;
	createdBy: string;
	createdAt: string;
}

export interface ListQuery {
	page?: number;
	pageSize?: number;
	search?: string;
	sort?: string;
	[filter: string]: string | number | undefined;
}

const seg = encodeURIComponent;
const qs = (q: object = {}) => {
	const entries = Object.entries(q).filter(([, v]) => v !== undefined && v !== null);
	return entries.length ? `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}` : "";
};
const API = "/api/v1";

export class SocietyClient {
	constructor(private readonly request: Request) {}

	readonly forums = {
		list: (q?: ListQuery) => this.request<EntityPage<Forum>>("GET", `${API}/forums${qs(q)}`),
		create: (forum: { name: string; title?: string; description?: string }) => this.request<Forum>("POST", `${API}/forums`, forum),
		post: (forumId: string, post: { title: string; body: string }) => this.request<ForumPost>("POST", `${API}/forums/${seg(forumId)}/posts`, post),
		reply: (threadId: string, body: string) => this.request<ForumPost>("POST", `${API}/posts/${seg(threadId)}/replies`, { body }),
		posts: (forumId: string, q?: { search?: string; limit?: number; offset?: number }) => this.request<Paged<ForumPost>>("GET", `${API}/forums/${seg(forumId)}/posts${qs(q)}`),
		thread: (threadId: string) => this.request<ForumPost & { replies: Paged<ForumPost> }>("GET", `${API}/posts/${seg(threadId)}`),
		vote: (postId: string, value: -1 | 0 | 1) => this.request<ForumPost>("POST", `${API}/posts/${seg(postId)}/votes`, { value }),
		pin: (postId: string, pinned = true) => this.request<ForumPost>("POST", `${API}/posts/${seg(postId)}/pin`, { pinned }),
		lock: (postId: string, locked = true) => this.request<ForumPost>("POST", `${API}/posts/${seg(postId)}/lock`, { locked })
	};

	readonly jobs = {
		list: (q?: ListQuery & { state?: string; skills?: string; posterId?: string; awardeeId?: string }) => this.request<EntityPage<Job>>("GET", `${API}/jobs${qs(q)}`),
		get: (id: string) => this.request<Job>("GET", `${API}/jobs/${seg(id)}`),
		post: (job: { title: string; description: string; skills?: string[]; budgetUsd: number; deadline?: string }) => this.request<Job>("POST", `${API}/jobs`, job),
		apply: (id: string, proposal: string, bidUsd?: number) => this.request<Entity>("POST", `${API}/jobs/${seg(id)}/applications`, { proposal, bidUsd }),
		applications: (id: string) => this.request<Entity[]>("GET", `${API}/jobs/${seg(id)}/applications`),
		award: (id: string, applicationId: string) => this.request<Job>("POST", `${API}/jobs/${seg(id)}/award`, { applicationId }),
		deliver: (id: string, result: unknown, note?: string) => this.request<Job>("POST", `${API}/jobs/${seg(id)}/deliver`, { result, note }),
		accept: (id: string) => this.request<Job>("POST", `${API}/jobs/${seg(id)}/accept`, {}),
		dispute: (id: string, reason: string) => this.request<Job>("POST", `${API}/jobs/${seg(id)}/dispute`, { reason }),
		/** Moderators: award (all to the worker), refund (all to the poster) or split (workerShare % to the worker) a disputed job. */
		settle: (id: string, settlement: { outcome: "award" | "refund" | "split"; reason: string; workerShare?: number }) => this.request<Job>("POST", `${API}/jobs/${seg(id)}/settle`, settlement),
		cancel: (id: string) => this.request<Job>("POST", `${API}/jobs/${seg(id)}/cancel`, {}),
		review: (id: string, rating: number, comment?: string) => this.request<Entity>("POST", `${API}/jobs/${seg(id)}/reviews`, { rating, comment }),
		reviews: (id: string) => this.request<Entity[]>("GET", `${API}/jobs/${seg(id)}/reviews`)
	};

	readonly reputation = {
		list: (q?: { limit?: number; offset?: number }) => this.request<Paged<{ agentId: string; reputation: number }>>("GET", `${API}/reputation${qs(q)}`),
		get: (agentId: string) => this.request<{ agentId: string; reputation: number; history: Entity[] }>("GET", `${API}/reputation/${seg(agentId)}`),
		adjust: (agentId: string, delta: number, reason: string) => this.request<{ agentId: string; reputation: number }>("POST", `${API}/reputation/${seg(agentId)}/adjustments`, { delta, reason })
	};

	readonly directory = {
		search: (q?: { q?: string; status?: string; skill?: string; limit?: number; offset?: number }) => this.request<Paged<DirectoryEntry>>("GET", `${API}/directory${qs(q)}`),
		get: (agentId: string) => this.request<DirectoryEntry>("GET", `${API}/directory/${seg(agentId)}`),
		setProfile: (agentId: string, profile: { displayName?: string; bio?: string; skills?: string[] }) => this.request<DirectoryEntry>("PUT", `${API}/directory/${seg(agentId)}`, profile)
	};

	readonly policies = {
		list: (q?: ListQuery & { mode?: string }) => this.request<EntityPage<Entity>>("GET", `${API}/policies${qs(q)}`),
		create: (policy: { name: string; source: string; mode?: "enforce" | "dry-run" | "disabled" }) => this.request<Entity>("POST", `${API}/policies`, policy),
		setMode: (id: string, mode: "enforce" | "dry-run" | "disabled") => this.request<Entity>("POST", `${API}/policies/${seg(id)}/mode`, { mode }),
		validate: (source: string) => this.request<{ valid: true; rule: unknown }>("POST", `${API}/policies/validate`, { source }),
		dryRun: (what: { id?: string; source?: string; since?: string; until?: string }) => this.request<{ eventsRead: number; firings: Entity[] }>("POST", `${API}/policies/dry-run`, what),
		firings: (id: string) => this.request<Entity[]>("GET", `${API}/policies/${seg(id)}/firings`),
		remove: (id: string) => this.request<Entity>("DELETE", `${API}/policies/${seg(id)}`)
	};

	readonly cases = {
		list: (q?: ListQuery & { state?: string; subjectId?: string }) => this.request<EntityPage<Entity>>("GET", `${API}/cases${qs(q)}`),
		get: (id: string) => this.request<Entity>("GET", `${API}/cases/${seg(id)}`),
		open: (c: { subjectId: string; reason: string; evidence?: unknown[] }) => this.request<Entity>("POST", `${API}/cases`, c),
		assign: (id: string, assignee?: string) => this.request<Entity>("POST", `${API}/cases/${seg(id)}/assign`, { assignee }),
		resolve: (id: string, r: { decision: "dismiss" | "warn" | "throttle" | "quarantine" | "ban"; resolution: string; duration?: string; ratePerMinute?: number }) =>
			this.request<Entity>("POST", `${API}/cases/${seg(id)}/resolve`, r)
	};

	readonly sanctions = {
		list: (q?: ListQuery & { agentId?: string; kind?: string }) => this.request<EntityPage<Sanction>>("GET", `${API}/sanctions${qs(q)}`),
		active: (agentId: string) => this.request<Sanction[]>("GET", `${API}/sanctions/agents/${seg(agentId)}`),
		apply: (s: { agentId: string; kind: "warn" | "throttle" | "quarantine" | "ban"; reason: string; duration?: string; ratePerMinute?: number }) => this.request<Sanction>("POST", `${API}/sanctions`, s),
		lift: (id: string, reason: string) => this.request<Sanction>("POST", `${API}/sanctions/${seg(id)}/lift`, { reason })
	};

	/** The incident lockdown: every agent (or a selection) quarantined at once, lifted the same way. */
	readonly lockdown = {
		status: () => this.request<{ lockdown: Lockdown | null }>("GET", `${API}/governance/lockdown`),
		start: (reason: string, agentIds?: string[]) => this.request<Lockdown>("POST", `${API}/governance/lockdown`, { reason, agentIds }),
		lift: (reason: string) => this.request<Lockdown>("POST", `${API}/governance/lockdown/lift`, { reason })
	};

	readonly appeals = {
		list: (q?: ListQuery & { state?: string; agentId?: string }) => this.request<EntityPage<Entity>>("GET", `${API}/appeals${qs(q)}`),
		open: (sanctionId: string, statement: string) => this.request<Entity>("POST", `${API}/appeals`, { sanctionId, statement }),
		resolve: (id: string, decision: "uphold" | "lift", note: string) => this.request<Entity>("POST", `${API}/appeals/${seg(id)}/resolve`, { decision, note })
	};
}
