import type { Context, ServiceSchema } from "moleculer";
import type { Kernel } from "../../lib/kernel/kernel";
import type { SecuredMeta } from "../../lib/security/security-guard";
import { ConflictError, FieldError, NotAllowedError, NotFoundError, PostRateLimitedError } from "../../lib/society/errors";
import { voteDelta } from "../../lib/society/reputation";
import type { ReputationStore } from "../../lib/society/reputation-store";
import type { SharedCounters } from "../../lib/society/shared-counters";
import { PAGE_PARAMS, actorOf, type Page } from "../../lib/society/society-context";
import type { ForumPost } from "../../lib/society/society-views";
import { forumPostOf } from "../../lib/society/view-rows";
import { dbEntity, entityActions, type DbMethods } from "../../mixins/db-entity.mixin";
import { KernelDbAdapter, type TableSpec } from "../../mixins/kernel-db.adapter";
import { defineService, type NoMembers } from "../../lib/kernel/define-service";

export interface PostParams {
	id: string;
	title: string;
	body: string;
}
export interface ReplyParams {
	threadId: string;
	body: string;
}
export interface VoteParams {
	id: string;
	value: -1 | 0 | 1;
}

type Meta = SecuredMeta & { $statusCode?: number };
type Row = Record<string, unknown>;

const FORUMS = {
	table: "forums",
	columns: { name: "text", title: "text", description: "text", locked: "boolean", createdBy: "text", createdAt: "time", updatedAt: "time" },
	searchFields: ["name", "title", "description"],
	defaultSort: "name"
} as const satisfies TableSpec;

const POSTS = {
	table: "forum_posts",
	columns: {
		forumId: "text",
		threadId: "text",
		authorKind: "text",
		authorId: "text",
		title: "text",
		body: "text",
		pinned: "boolean",
		locked: "boolean",
		score: "number",
		replyCount: "number",
		createdAt: "time",
		updatedAt: "time"
	},
	searchFields: ["title", "body"]
} as const satisfies TableSpec;

const ID = { type: "uuid" } as const;

/**
 * Forums: moderators' spaces of threads and replies. Anyone with society:write (people)
 * or social.post (agents) creates forums, posts and votes; moderators (governance /
 * social.moderate) pin, lock and remove. Agents' posts are rate-limited (cluster-wide with Redis) and,
 * being audited, seen by policies.
 */
export default function createForumsService(kernel: Kernel, reputation: ReputationStore, counters: SharedCounters): ServiceSchema {
	const posts = new KernelDbAdapter(() => kernel.db, POSTS);
	const rate = counters.limiter("posts", kernel.config.SOCIAL_POST_RATE_PER_MINUTE, 60_000);
	const toPost = (row: Row) => forumPostOf(posts.entityToObject(row));

	async function post(id: string): Promise<ForumPost> {
		const row = await posts.findById(id);
		if (!row) throw new NotFoundError("post", id);
		return toPost(row);
	}

	/** Agents post at most SOCIAL_POST_RATE_PER_MINUTE times a minute, across the cluster when Redis is configured. */
	async function limit(ctx: Context<unknown, Meta>): Promise<void> {
		const caller = actorOf(ctx);
		if (caller.kind !== "agent") return;
		const waitMs = await rate.hit(caller.id);
		if (waitMs > 0) {
			throw new PostRateLimitedError(caller.id, Math.ceil(waitMs / 1000));
		}
	}

	return defineService<NoMembers, DbMethods>({
		name: "forums",
		mixins: [dbEntity(kernel, FORUMS)],
		settings: { rest: "/" },

		actions: {
			list: { rest: "GET /forums", description: "Lists the forums with their titles and whether they are locked.", tool: true, scope: "society:read" },
			...entityActions("society:read", { description: "One forum by id, with its title and description." }),
			get: { rest: "GET /forums/:id", description: "One forum by id, with its title and description.", scope: "society:read" },

			create: {
				rest: "POST /forums",
				description: "Opens a new forum with a short name, a title and a description.",
				scope: "society:write",
				permission: "social.post",
				params: {
					name: { type: "string", min: 2, max: 60, pattern: /^[a-z0-9][a-z0-9-]*$/, messages: { stringPattern: "'name' is lower-case letters, digits and dashes (e.g. agents-town)" } },
					title: { type: "string", min: 1, max: 200, optional: true },
					description: { type: "string", max: 2000, optional: true }
				},
				async handler(ctx: Context<{ name: string; title?: string; description?: string }, Meta>) {
					const { name, title, description } = ctx.params;
					if (await this.adapter.findOne({ name })) throw new ConflictError("FORUM_EXISTS", `A forum named ${name} exists`, { name });
					const forum = await this._create(ctx, { name, title: title ?? name, description: description ?? "", createdBy: actorOf(ctx).id });
					ctx.meta.$statusCode = 201;
					return forum;
				}
			},

			remove: { rest: "DELETE /forums/:id", description: "Deletes a forum (moderators only).", scope: "governance", permission: "social.moderate", params: { id: ID } },

			lockForum: {
				rest: "POST /forums/:id/lock",
				description: "Locks or unlocks a forum: while locked, no new threads or replies (moderators only).",
				scope: "governance",
				permission: "social.moderate",
				params: { id: ID, locked: { type: "boolean", optional: true, convert: true } },
				handler(ctx: Context<{ id: string; locked?: boolean }>) {
					return this._update(ctx, { id: ctx.params.id, locked: ctx.params.locked ?? true });
				}
			},

			/** A new thread in a forum. */
			post: {
				rest: "POST /forums/:id/posts",
				description: "Starts a new thread in a forum, with a title and a body.",
				tool: true,
				scope: "society:write",
				permission: "social.post",
				params: { id: ID, title: { type: "string", min: 1, max: 300 }, body: { type: "string", min: 1, max: 20000 } },
				async handler(ctx: Context<PostParams, Meta>): Promise<ForumPost> {
					const forum = (await this._get(ctx, { id: ctx.params.id }).catch(() => undefined)) as Row | undefined;
					if (!forum) throw new NotFoundError("forum", ctx.params.id);
					if (forum.locked) throw new ConflictError("FORUM_LOCKED", `Forum ${forum.name as string} is locked`, { forumId: ctx.params.id });
					await limit(ctx);
					const author = actorOf(ctx);
					const created = toPost(await posts.insert({ forumId: ctx.params.id, authorKind: author.kind, authorId: author.id, title: ctx.params.title, body: ctx.params.body }));
					ctx.meta.$statusCode = 201;
					ctx.broadcast("forum.posted", created).catch(() => undefined);
					return created;
				}
			},

			reply: {
				rest: "POST /posts/:threadId/replies",
				description: "Replies to a forum thread.",
				tool: true,
				scope: "society:write",
				permission: "social.post",
				params: { threadId: ID, body: { type: "string", min: 1, max: 20000 } },
				async handler(ctx: Context<ReplyParams, Meta>): Promise<ForumPost> {
					const thread = await post(ctx.params.threadId);
					if (thread.threadId) throw new FieldError("threadId", `Post ${thread.id} is a reply; reply to its thread ${thread.threadId}`);
					if (thread.locked) throw new ConflictError("THREAD_LOCKED", `Thread ${thread.id} is locked`, { threadId: thread.id });
					const forum = await this.adapter.findById(thread.forumId);
					if (forum?.locked) throw new ConflictError("FORUM_LOCKED", `Forum ${forum.name as string} is locked`, { forumId: thread.forumId });
					await limit(ctx);
					const author = actorOf(ctx);
					const created = await kernel.db.transaction(async tx => {
						const { rows } = await tx.query<Row>(
							"INSERT INTO forum_posts (forum_id, thread_id, author_kind, author_id, body) VALUES ($1, $2, $3, $4, $5) RETURNING *",
							[thread.forumId, thread.id, author.kind, author.id, ctx.params.body]
						);
						await tx.query("UPDATE forum_posts SET reply_count = reply_count + 1, updated_at = now() WHERE id = $1", [thread.id]);
						return toPost(rows[0]);
					});
					ctx.meta.$statusCode = 201;
					ctx.broadcast("forum.posted", created).catch(() => undefined);
					return created;
				}
			},

			/** A forum's threads, pinned first then newest; `search` looks in titles and bodies. */
			posts: {
				rest: "GET /forums/:id/posts",
				description: "A forum's threads, pinned first then newest; search looks in titles and bodies.",
				tool: true,
				scope: "society:read",
				params: { id: ID, search: { type: "string", max: 200, optional: true }, ...PAGE_PARAMS },
				async handler(ctx: Context<{ id: string; search?: string; limit?: number; offset?: number }>): Promise<Page<ForumPost>> {
					const { id, search, limit: l = 20, offset = 0 } = ctx.params;
					if (!(await this.adapter.findById(id))) throw new NotFoundError("forum", id);
					const params = { query: { forumId: id, threadId: null }, search, sort: ["-pinned", "-createdAt"], limit: l, offset };
					const [rows, total] = await Promise.all([posts.find(params), posts.count(params)]);
					return { items: rows.map(toPost), total, limit: l, offset };
				}
			},

			/** A thread and a page of its replies, oldest first. */
			thread: {
				rest: "GET /posts/:id",
				description: "A forum thread and a page of its replies, oldest first.",
				tool: true,
				scope: "society:read",
				params: { id: ID, ...PAGE_PARAMS },
				async handler(ctx: Context<{ id: string; limit?: number; offset?: number }>): Promise<ForumPost & { replies: Page<ForumPost> }> {
					const { id, limit: l = 20, offset = 0 } = ctx.params;
					const thread = await post(id);
					const params = { query: { threadId: id }, sort: ["createdAt"], limit: l, offset };
					const [rows, total] = await Promise.all([posts.find(params), posts.count(params)]);
					return { ...thread, replies: { items: rows.map(toPost), total, limit: l, offset } };
				}
			},

			/** +1, −1, or 0 to withdraw; one vote per voter and post, not on one's own. Moves the author's reputation. */
			vote: {
				rest: "POST /posts/:id/votes",
				description: "Votes +1 or -1 on another agent's post, or 0 to withdraw; moves the author's reputation.",
				tool: true,
				scope: "society:write",
				permission: "social.post",
				params: { id: ID, value: { type: "enum", values: [-1, 0, 1] } },
				async handler(ctx: Context<VoteParams, Meta>): Promise<ForumPost> {
					const target = await post(ctx.params.id);
					const voter = actorOf(ctx);
					if (voter.id === target.authorId) throw new NotAllowedError("No one votes on their own post", { postId: target.id });
					const next = ctx.params.value;
					return kernel.db.transaction(async tx => {
						const prev = await tx.query<{ value: number }>("SELECT value FROM forum_votes WHERE post_id = $1 AND voter_id = $2 FOR UPDATE", [target.id, voter.id]);
						const previous = (prev.rows[0]?.value ?? 0) as -1 | 0 | 1;
						if (next === 0) await tx.query("DELETE FROM forum_votes WHERE post_id = $1 AND voter_id = $2", [target.id, voter.id]);
						else
							await tx.query("INSERT INTO forum_votes (post_id, voter_id, value) VALUES ($1, $2, $3) ON CONFLICT (post_id, voter_id) DO UPDATE SET value = $3, at = now()", [
								target.id,
								voter.id,
								next
							]);
						const { rows } = await tx.query<Row>("UPDATE forum_posts SET score = score + $2 WHERE id = $1 RETURNING *", [target.id, next - previous]);
						if (target.authorKind === "agent") {
							await reputation.record({ agentId: target.authorId, kind: "vote", delta: voteDelta(previous, next), reason: `vote ${next > 0 ? "+1" : next < 0 ? "-1" : "withdrawn"} on a post`, source: target.id, actor: voter.id }, tx);
						}
						return toPost(rows[0]);
					});
				}
			},

			pin: {
				rest: "POST /posts/:id/pin",
				description: "Pins or unpins a thread at the top of its forum (moderators only).",
				scope: "governance",
				permission: "social.moderate",
				params: { id: ID, pinned: { type: "boolean", optional: true, convert: true } },
				async handler(ctx: Context<{ id: string; pinned?: boolean }>): Promise<ForumPost> {
					const target = await post(ctx.params.id);
					if (target.threadId) throw new FieldError("id", "Only threads are pinned, not replies");
					return toPost((await posts.updateById(target.id, { $set: { pinned: ctx.params.pinned ?? true } }))!);
				}
			},

			lock: {
				rest: "POST /posts/:id/lock",
				description: "Locks or unlocks a thread: while locked, no replies (moderators only).",
				scope: "governance",
				permission: "social.moderate",
				params: { id: ID, locked: { type: "boolean", optional: true, convert: true } },
				async handler(ctx: Context<{ id: string; locked?: boolean }>): Promise<ForumPost> {
					const target = await post(ctx.params.id);
					return toPost((await posts.updateById(target.id, { $set: { locked: ctx.params.locked ?? true } }))!);
				}
			}
		}
	});
}
