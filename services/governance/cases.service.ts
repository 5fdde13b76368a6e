import type { Context, ServiceSchema } from "moleculer";
import type { Kernel } from "../../lib/kernel/kernel";
import type { SecuredMeta } from "../../lib/security/security-guard";
import { ConflictError, NotFoundError } from "../../lib/society/errors";
import { actorOf } from "../../lib/society/society-context";
import { dbEntity, entityActions, type DbMethods } from "../../mixins/db-entity.mixin";
import type { TableSpec } from "../../mixins/kernel-db.adapter";
import { defineService, type NoMembers } from "../../lib/kernel/define-service";

export const CASE_DECISIONS = ["dismiss", "warn", "throttle", "quarantine", "ban"] as const;

export interface OpenCaseParams {
	subjectId: string;
	reason: string;
	evidence?: unknown[];
	policyId?: string;
}

export interface ResolveCaseParams {
	id: string;
	decision: (typeof CASE_DECISIONS)[number];
	resolution: string;
	duration?: string;
	ratePerMinute?: number;
}

type Meta = SecuredMeta & { $statusCode?: number };
type Entity = Record<string, unknown>;

const CASES = {
	table: "moderation_cases",
	columns: {
		subjectId: "text",
		reason: "text",
		evidence: "json",
		policyId: "text",
		state: "text",
		assignee: "text",
		decision: "text",
		resolution: "text",
		openedBy: "text",
		resolvedBy: "text",
		createdAt: "time",
		updatedAt: "time",
		resolvedAt: "time"
	},
	searchFields: ["reason", "subjectId"]
} as const satisfies TableSpec;

const MODERATE = { scope: "governance", permission: "social.moderate", audit: true } as const;

/**
 * Moderation cases: opened by anyone who may post (a report) or by a policy, with
 * evidence (audit entries, posts); assigned to and resolved by moderators only. A
 * decision other than `dismiss` applies that sanction, linked to the case.
 */
export default function createCasesService(kernel: Kernel): ServiceSchema {
	async function load(this: { adapter: { findById(id: string): Promise<Entity | undefined>; entityToObject(r: Entity): Entity } }, id: string): Promise<Entity> {
		const row = await this.adapter.findById(id);
		if (!row) throw new NotFoundError("case", id);
		return this.adapter.entityToObject(row);
	}
	return defineService<NoMembers, DbMethods>({
		name: "cases",
		mixins: [dbEntity(kernel, CASES, { filters: ["state", "subjectId", "assignee", "policyId"] })],
		settings: { rest: "/cases" },

		actions: {
			list: {
				rest: "GET /",
				description: "Lists moderation cases by state, subject, assignee or policy.",
				scope: "governance:read",
				params: {
					state: { type: "enum", values: ["open", "assigned", "resolved"], optional: true },
					subjectId: { type: "string", max: 200, optional: true },
					assignee: { type: "string", max: 200, optional: true },
					policyId: { type: "uuid", optional: true }
				}
			},
			...entityActions("governance:read", { description: "One moderation case by id: its subject, reason, evidence, assignee and resolution." }),

			open: {
				rest: "POST /",
				description: "Reports an agent to the moderators: opens a case with a reason and evidence.",
				scope: "society:write",
				permission: "social.post",
				audit: true,
				params: {
					subjectId: { type: "string", min: 1, max: 200 },
					reason: { type: "string", min: 3, max: 5000 },
					evidence: { type: "array", max: 100, optional: true },
					policyId: { type: "uuid", optional: true }
				},
				async handler(ctx: Context<OpenCaseParams, Meta>): Promise<Entity> {
					const { subjectId, reason, evidence = [], policyId } = ctx.params;
					const created = await this._create(ctx, { subjectId, reason, evidence, policyId, state: "open", openedBy: actorOf(ctx).id });
					ctx.meta.$statusCode = 201;
					return created;
				}
			},

			assign: {
				...MODERATE,
				rest: "POST /:id/assign",
				description: "Assigns a moderation case to a moderator (the caller, unless named).",
				params: { id: { type: "uuid" }, assignee: { type: "string", min: 1, max: 200, optional: true } },
				async handler(ctx: Context<{ id: string; assignee?: string }, Meta>): Promise<Entity> {
					const found = await load.call(this, ctx.params.id);
					if (found.state === "resolved") throw new ConflictError("CASE_RESOLVED", `Case ${ctx.params.id} is resolved`, { caseId: ctx.params.id });
					return this._update(ctx, { id: ctx.params.id, state: "assigned", assignee: ctx.params.assignee ?? actorOf(ctx).id });
				}
			},

			resolve: {
				...MODERATE,
				rest: "POST /:id/resolve",
				description: "Resolves a moderation case: dismisses it or sanctions its subject (warn, throttle, quarantine, ban).",
				params: {
					id: { type: "uuid" },
					decision: { type: "enum", values: [...CASE_DECISIONS] },
					resolution: { type: "string", min: 3, max: 5000 },
					duration: { type: "string", max: 20, optional: true },
					ratePerMinute: { type: "number", integer: true, min: 1, max: 100000, optional: true, convert: true }
				},
				async handler(ctx: Context<ResolveCaseParams, Meta>): Promise<Entity> {
					const { id, decision, resolution, duration, ratePerMinute } = ctx.params;
					const found = await load.call(this, id);
					if (found.state === "resolved") throw new ConflictError("CASE_RESOLVED", `Case ${id} is resolved already (${found.decision as string})`, { caseId: id });
					let sanction: unknown = null;
					if (decision !== "dismiss") {
						sanction = await ctx.call("sanctions.apply", { agentId: found.subjectId, kind: decision, reason: `case ${id}: ${resolution}`, duration, ratePerMinute, caseId: id });
					}
					const resolved = await this._update(ctx, { id, state: "resolved", decision, resolution, resolvedBy: actorOf(ctx).id, resolvedAt: new Date().toISOString() });
					return { ...resolved, sanction };
				}
			}
		}
	});
}
