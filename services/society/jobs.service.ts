import type { Context, ServiceSchema } from "moleculer";
import type { Queryable } from "../../lib/kernel/database";
import type { Kernel } from "../../lib/kernel/kernel";
import type { SecuredMeta } from "../../lib/security/security-guard";
import { BudgetHolds } from "../../lib/society/budget-holds";
import { ConflictError, FieldError, NotAllowedError, NotFoundError } from "../../lib/society/errors";
import { allowedMoves, JOB_STATES, LIVE_STATES, nextState, type JobMove, type JobState, type Mover } from "../../lib/society/job-machine";
import { DELIVERY_BONUS, reviewDelta } from "../../lib/society/reputation";
import { SETTLEMENT_OUTCOMES, settle, type SettlementOutcome } from "../../lib/society/settlement";
import type { ReputationStore } from "../../lib/society/reputation-store";
import { actorOf } from "../../lib/society/society-context";
import type { Job } from "../../lib/society/society-views";
import { jobOf } from "../../lib/society/view-rows";
import { defineService } from "../../lib/kernel/define-service";
import { dbEntity, entityActions, type DbMethods } from "../../mixins/db-entity.mixin";
import { KernelDbAdapter, type TableSpec } from "../../mixins/kernel-db.adapter";

export interface SettleJobParams {
	id: string;
	outcome: SettlementOutcome;
	/** The worker's percentage of the budget, for a split only. */
	workerShare?: number;
	reason: string;
}

export interface CreateJobParams {
	title: string;
	description: string;
	skills?: string[];
	budgetUsd: number;
	deadline?: Date;
}

type Meta = SecuredMeta & { $statusCode?: number };

/** What the jobs service's own `methods` put on `this`. */
interface JobsMethods {
	expireOverdue(): Promise<number>;
}
type Row = Record<string, unknown>;

const JOBS = {
	table: "jobs",
	columns: {
		title: "text",
		description: "text",
		skills: "text[]",
		budgetUsd: "number",
		deadline: "time",
		posterKind: "text",
		posterId: "text",
		state: "text",
		awardeeId: "text",
		delivery: "json",
		disputeReason: "text",
		settlement: "json",
		createdAt: "time",
		updatedAt: "time"
	},
	searchFields: ["title", "description"]
} as const satisfies TableSpec;

const APPLICATIONS = {
	table: "job_applications",
	columns: { jobId: "text", applicantId: "text", proposal: "text", bidUsd: "number", state: "text", createdAt: "time" },
	defaultSort: "createdAt"
} as const satisfies TableSpec;

const REVIEWS = {
	table: "job_reviews",
	columns: { jobId: "text", reviewerId: "text", subjectId: "text", rating: "number", comment: "text", createdAt: "time" },
	defaultSort: "createdAt"
} as const satisfies TableSpec;

const ID = { type: "uuid" } as const;
const WRITE = { scope: "society:write", permission: "social.post" } as const;
const EXPIRY_SWEEP_MS = 30_000;

/** A job as the API shows it: with the moves its state allows. */
function withMoves(job: Row): Row {
	return typeof job.state === "string" ? { ...job, allowedMoves: allowedMoves(job.state as JobState) } : job;
}

/** After the mixin's `list` and `get` (one job, or several by ids): each job with its moves. */
function addMoves(_ctx: Context, answer: unknown): unknown {
	if (Array.isArray(answer)) return answer.map(j => withMoves(j as Row));
	const page = answer as { rows?: Row[] } | null;
	if (page && Array.isArray(page.rows)) return { ...page, rows: page.rows.map(withMoves) };
	return page && typeof page === "object" ? withMoves(page as Row) : answer;
}

/**
 * The jobs marketplace. A job moves open → awarded → delivered → completed | disputed
 * (→ settled by a moderator), or to cancelled / expired (lib/society/job-machine.ts says who may make which move);
 * an illegal move is a 409, a move by the wrong party a 403. An agent's job holds its
 * budget against the agent's monthly USD budget until the job completes or ends.
 */
export default function createJobsService(kernel: Kernel, reputation: ReputationStore): ServiceSchema {
	const applications = new KernelDbAdapter(() => kernel.db, APPLICATIONS);
	const reviews = new KernelDbAdapter(() => kernel.db, REVIEWS);
	const jobs = new KernelDbAdapter(() => kernel.db, JOBS);
	const holds = new BudgetHolds();
	const toJob = (row: Row) => jobOf(jobs.entityToObject(row));
	let sweeper: NodeJS.Timeout | undefined;

	/**
	 * One move, under a row lock so two moves on one job are decided one after the other.
	 * `sets` is what the move changes; `then` writes more in the same transaction.
	 */
	async function applyMove(id: string, name: JobMove, mover: Mover | "system", sets: Row | ((before: Job) => Row), then?: (tx: Queryable, job: Job) => Promise<void>): Promise<Job> {
		return kernel.db.transaction(async tx => {
			const { rows } = await tx.query<Row>("SELECT * FROM jobs WHERE id = $1 FOR UPDATE", [id]);
			if (!rows[0]) throw new NotFoundError("job", id);
			const before = toJob(rows[0]);
			const to = nextState(before, name, mover);
			const values: Row = { ...(typeof sets === "function" ? sets(before) : sets), state: to };
			const params = [before.id, ...Object.values(values).map(v => (v !== null && typeof v === "object" ? JSON.stringify(v) : v))] as (string | number | null)[];
			const assignments = Object.keys(values).map((f, i) => `${f.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`)} = $${i + 2}`);
			const updated = await tx.query<Row>(`UPDATE jobs SET ${assignments.join(", ")}, updated_at = now() WHERE id = $1 RETURNING *`, params);
			const after = toJob(updated.rows[0]);
			if (!LIVE_STATES.includes(after.state)) await holds.release(tx, after.id, after.state);
			await then?.(tx, after);
			return after;
		});
	}

	/** A caller's move on the job `ctx.params.id`; the job as it is after is broadcast as `jobs.changed`. */
	async function move(ctx: Context<{ id: string }, Meta>, name: JobMove, sets: Row | ((before: Job) => Row), then?: (tx: Queryable, job: Job) => Promise<void>): Promise<Job> {
		// Only moderators reach `settle` (its scope and capability say so); they are no party to the job.
		const job = await applyMove(ctx.params.id, name, { id: actorOf(ctx).id, moderator: name === "settle" }, sets, then);
		ctx.broadcast("jobs.changed", { change: "updated", entity: job, move: name }).catch(() => undefined);
		return job;
	}

	async function load(id: string): Promise<Job> {
		const row = await jobs.findById(id);
		if (!row) throw new NotFoundError("job", id);
		return toJob(row);
	}

	return defineService<JobsMethods, DbMethods>({
		name: "jobs",
		mixins: [dbEntity(kernel, JOBS, { filters: ["state", "skills", "posterId", "awardeeId"] })],
		settings: { rest: "/jobs" },
		hooks: { after: { list: addMoves, get: addMoves } },

		actions: {
			list: {
				rest: "GET /",
				description: "Lists jobs in the marketplace, filtered by state, skill, poster or awardee.",
				tool: true,
				scope: "society:read",
				params: {
					state: { type: "enum", values: [...JOB_STATES], optional: true },
					skills: { type: "string", max: 100, optional: true },
					posterId: { type: "string", max: 200, optional: true },
					awardeeId: { type: "string", max: 200, optional: true }
				}
			},
			...entityActions("society:read", { description: "One job by id: its description, budget, state, awardee and delivery.", tool: true }),

			create: {
				...WRITE,
				rest: "POST /",
				description: "Posts a job in the marketplace with a description, the skills it needs and a budget.",
				tool: true,
				params: {
					title: { type: "string", min: 3, max: 200 },
					description: { type: "string", min: 1, max: 20000 },
					skills: { type: "array", items: { type: "string", min: 1, max: 60 }, max: 20, optional: true },
					budgetUsd: { type: "number", min: 0, max: 1_000_000, convert: true },
					deadline: { type: "date", convert: true, optional: true }
				},
				async handler(ctx: Context<CreateJobParams, Meta>): Promise<Job> {
					const { title, description, skills = [], budgetUsd, deadline } = ctx.params;
					if (deadline && deadline.getTime() <= Date.now()) throw new FieldError("deadline", "The deadline must be in the future");
					const poster = actorOf(ctx);
					const job = await kernel.db.transaction(async tx => {
						const { rows } = await tx.query<Row>(
							"INSERT INTO jobs (title, description, skills, budget_usd, deadline, poster_kind, poster_id, state) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open') RETURNING *",
							[title, description, skills.map(s => s.toLowerCase()), budgetUsd, deadline ?? null, poster.kind, poster.id]
						);
						const created = toJob(rows[0]);
						if (poster.kind === "agent" && budgetUsd > 0) await holds.hold(tx, created.id, poster.id, budgetUsd);
						return created;
					});
					ctx.meta.$statusCode = 201;
					ctx.broadcast("jobs.changed", { change: "created", entity: job }).catch(() => undefined);
					return job;
				}
			},

			apply: {
				...WRITE,
				rest: "POST /:id/applications",
				description: "Applies to an open job with a proposal and an optional bid.",
				tool: true,
				params: { id: ID, proposal: { type: "string", min: 1, max: 10000 }, bidUsd: { type: "number", min: 0, max: 1_000_000, optional: true, convert: true } },
				async handler(ctx: Context<{ id: string; proposal: string; bidUsd?: number }, Meta>) {
					const job = await load(ctx.params.id);
					const applicant = actorOf(ctx);
					if (job.state !== "open") throw new ConflictError("JOB_NOT_OPEN", `Job ${job.id} is ${job.state}; only open jobs take applications`, { jobId: job.id, state: job.state });
					if (applicant.id === job.posterId) throw new NotAllowedError("The poster cannot apply to their own job", { jobId: job.id });
					if (await applications.findOne({ jobId: job.id, applicantId: applicant.id })) {
						throw new ConflictError("ALREADY_APPLIED", `${applicant.id} has applied to job ${job.id} already`, { jobId: job.id });
					}
					const created = applications.entityToObject(await applications.insert({ jobId: job.id, applicantId: applicant.id, proposal: ctx.params.proposal, bidUsd: ctx.params.bidUsd }));
					ctx.meta.$statusCode = 201;
					ctx.broadcast("jobs.changed", { change: "applied", entity: job, application: created }).catch(() => undefined);
					return created;
				}
			},

			applications: {
				rest: "GET /:id/applications",
				description: "The applications to a job, with their proposals and bids.",
				tool: true,
				scope: "society:read",
				params: { id: ID },
				async handler(ctx: Context<{ id: string }>) {
					await load(ctx.params.id);
					return (await applications.find({ query: { jobId: ctx.params.id }, limit: 1000 })).map(r => applications.entityToObject(r));
				}
			},

			award: {
				...WRITE,
				rest: "POST /:id/award",
				description: "The poster awards a job to one of its applicants, who then works on it.",
				params: { id: ID, applicationId: { type: "uuid", optional: true }, agentId: { type: "string", min: 1, max: 200, optional: true } },
				async handler(ctx: Context<{ id: string; applicationId?: string; agentId?: string }, Meta>): Promise<Job> {
					const { applicationId, agentId } = ctx.params;
					if (!applicationId && !agentId) throw new FieldError("applicationId", "Name the application to award: applicationId (or the applicant's agentId)");
					const query = applicationId ? { id: applicationId, jobId: ctx.params.id } : { applicantId: agentId, jobId: ctx.params.id };
					const chosen = await applications.findOne(query);
					// The job's own checks come first: a finished job answers 409 whatever is named.
					const job = await load(ctx.params.id);
					if (job.state === "open" && !chosen) throw new NotFoundError("application", applicationId ?? `from ${agentId}`);
					return move(ctx, "award", { awardeeId: (chosen?.applicant_id as string | undefined) ?? null }, async tx => {
						await tx.query("UPDATE job_applications SET state = CASE WHEN id = $2 THEN 'awarded' ELSE 'rejected' END WHERE job_id = $1", [job.id, chosen!.id as string]);
					});
				}
			},

			deliver: {
				...WRITE,
				rest: "POST /:id/deliver",
				description: "The awardee delivers a job's result to its poster.",
				tool: true,
				params: { id: ID, result: { type: "any" }, note: { type: "string", max: 5000, optional: true } },
				handler(ctx: Context<{ id: string; result: unknown; note?: string }, Meta>): Promise<Job> {
					return move(ctx, "deliver", { delivery: { result: ctx.params.result, note: ctx.params.note ?? null, at: new Date().toISOString() } });
				}
			},

			accept: {
				...WRITE,
				rest: "POST /:id/accept",
				description: "The poster accepts a job's delivery; the worker gains reputation.",
				params: { id: ID },
				handler(ctx: Context<{ id: string }, Meta>): Promise<Job> {
					return move(ctx, "accept", {}, (tx, job) =>
						reputation.record({ agentId: job.awardeeId!, kind: "delivery", delta: DELIVERY_BONUS, reason: `delivery accepted: ${job.title}`, source: job.id, actor: job.posterId }, tx)
					);
				}
			},

			dispute: {
				...WRITE,
				rest: "POST /:id/dispute",
				description: "The poster disputes a job's delivery with a reason; a moderator settles it.",
				params: { id: ID, reason: { type: "string", min: 1, max: 5000 } },
				handler(ctx: Context<{ id: string; reason: string }, Meta>): Promise<Job> {
					return move(ctx, "dispute", { disputeReason: ctx.params.reason });
				}
			},

			/**
			 * A moderator settles a disputed job: the budget to the worker (award), back to the
			 * poster (refund) or split by `workerShare` percent; the hold is released and both
			 * parties' reputation moves as lib/society/reputation.ts says.
			 */
			settle: {
				rest: "POST /:id/settle",
				description: "Settles a disputed job and shares reputation out between the parties (moderators only).",
				scope: "governance",
				permission: "social.moderate",
				audit: true,
				params: {
					id: ID,
					outcome: { type: "enum", values: [...SETTLEMENT_OUTCOMES] },
					workerShare: { type: "number", min: 0, max: 100, optional: true, convert: true },
					reason: { type: "string", min: 3, max: 5000 }
				},
				handler(ctx: Context<SettleJobParams, Meta>): Promise<Job> {
					const { outcome, workerShare, reason } = ctx.params;
					const by = actorOf(ctx).id;
					return move(
						ctx,
						"settle",
						before => ({ settlement: settle(before.budgetUsd, outcome, workerShare, reason, by) }),
						async (tx, job) => {
							const { reputation: deltas, workerShare: share } = job.settlement!;
							const why = `dispute settled (${outcome}, ${share} % to the worker): ${job.title}`;
							await reputation.record({ agentId: job.awardeeId!, kind: "settlement", delta: deltas.worker, reason: why, source: job.id, actor: by }, tx);
							await reputation.record({ agentId: job.posterId, kind: "settlement", delta: deltas.poster, reason: why, source: job.id, actor: by }, tx);
						}
					);
				}
			},

			cancel: {
				...WRITE,
				rest: "POST /:id/cancel",
				description: "The poster cancels a job that has not been delivered.",
				params: { id: ID },
				handler(ctx: Context<{ id: string }, Meta>): Promise<Job> {
					return move(ctx, "cancel", {});
				}
			},

			/** After a job completes (or is disputed or settled), its poster and awardee may each review the other once. */
			review: {
				...WRITE,
				rest: "POST /:id/reviews",
				description: "Rates the other party of a finished job from 1 to 5 stars, with a comment.",
				params: { id: ID, rating: { type: "number", integer: true, min: 1, max: 5, convert: true }, comment: { type: "string", max: 5000, optional: true } },
				async handler(ctx: Context<{ id: string; rating: number; comment?: string }, Meta>) {
					const job = await load(ctx.params.id);
					const reviewer = actorOf(ctx);
					if (job.state !== "completed" && job.state !== "disputed" && job.state !== "settled") {
						throw new ConflictError("JOB_NOT_FINISHED", `Job ${job.id} is ${job.state}; it is reviewed once completed, disputed or settled`, { jobId: job.id, state: job.state });
					}
					const subject = reviewer.id === job.posterId ? job.awardeeId : reviewer.id === job.awardeeId ? job.posterId : undefined;
					if (!subject) throw new NotAllowedError(`Only the poster and the awardee review job ${job.id}`, { jobId: job.id });
					const review = await kernel.db.transaction(async tx => {
						const { rows } = await tx.query<Row>(
							"INSERT INTO job_reviews (job_id, reviewer_id, subject_id, rating, comment) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job_id, reviewer_id) DO NOTHING RETURNING *",
							[job.id, reviewer.id, subject, ctx.params.rating, ctx.params.comment ?? ""]
						);
						if (!rows[0]) throw new ConflictError("ALREADY_REVIEWED", `${reviewer.id} has reviewed job ${job.id} already`, { jobId: job.id });
						await reputation.record(
							{ agentId: subject, kind: "review", delta: reviewDelta(ctx.params.rating), reason: `${ctx.params.rating}-star review: ${job.title}`, source: job.id, actor: reviewer.id },
							tx
						);
						return reviews.entityToObject(rows[0]);
					});
					ctx.meta.$statusCode = 201;
					return review;
				}
			},

			reviews: {
				rest: "GET /:id/reviews",
				description: "The reviews of a job, with their ratings and comments.",
				scope: "society:read",
				params: { id: ID },
				async handler(ctx: Context<{ id: string }>) {
					await load(ctx.params.id);
					return (await reviews.find({ query: { jobId: ctx.params.id }, limit: 1000 })).map(r => reviews.entityToObject(r));
				}
			}
		},

		methods: {
			/** Open and awarded jobs past their deadline expire (and release their holds). */
			async expireOverdue(): Promise<number> {
				const { rows } = await kernel.db.query<{ id: string }>("SELECT id FROM jobs WHERE state IN ('open', 'awarded') AND deadline IS NOT NULL AND deadline <= now()");
				let n = 0;
				for (const { id } of rows) {
					// Another node's sweep or a party's move may have got there first: that job is skipped.
					const job = await applyMove(id, "expire", "system", {}).catch(() => undefined);
					if (!job) continue;
					n++;
					this.broker.broadcast("jobs.changed", { change: "updated", entity: job, move: "expire" }).catch(() => undefined);
				}
				return n;
			}
		},

		started() {
			sweeper = setInterval(() => {
				if (kernel.databaseStatus().state === "ready") void this.expireOverdue().catch((err: Error) => this.logger.warn(`Job expiry failed: ${err.message}`));
			}, EXPIRY_SWEEP_MS);
			sweeper.unref();
		},

		stopped() {
			clearInterval(sweeper);
		}
	});
}
