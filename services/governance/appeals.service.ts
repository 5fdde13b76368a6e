import type { Context, ServiceSchema } from "moleculer";
import type { Kernel } from "../../lib/kernel/kernel";
import type { SanctionStore } from "../../lib/governance/sanction-store";
import type { SecuredMeta } from "../../lib/security/security-guard";
import { ConflictError, NotAllowedError, NotFoundError } from "../../lib/society/errors";
import { actorOf } from "../../lib/society/society-context";
import { dbEntity, entityActions, type DbMethods } from "../../mixins/db-entity.mixin";
import type { TableSpec } from "../../mixins/kernel-db.adapter";
import { defineService, type NoMembers } from "../../lib/kernel/define-service";

type Meta = SecuredMeta & { $statusCode?: number; user?: { id: string; scopes?: string[] } };
type Entity = Record<string, unknown>;

const APPEALS = {
	table: "appeals",
	columns: {
		sanctionId: "text",
		agentId: "text",
		appellant: "text",
		statement: "text",
		state: "text",
		decidedBy: "text",
		decisionNote: "text",
		createdAt: "time",
		decidedAt: "time"
	}
} as const satisfies TableSpec;

/**
 * Appeals: a sanctioned agent's owner (or an admin) appeals a sanction in force with a
 * statement; a moderator upholds it or lifts the sanction. One open appeal a sanction.
 */
export default function createAppealsService(kernel: Kernel, sanctions: SanctionStore): ServiceSchema {
	return defineService<NoMembers, DbMethods>({
		name: "appeals",
		mixins: [dbEntity(kernel, APPEALS, { filters: ["state", "agentId", "sanctionId"] })],
		settings: { rest: "/appeals" },

		actions: {
			list: {
				rest: "GET /",
				description: "Lists appeals against sanctions, by state, agent or sanction.",
				scope: "governance:read",
				params: { state: { type: "enum", values: ["open", "upheld", "lifted"], optional: true }, agentId: { type: "string", max: 200, optional: true }, sanctionId: { type: "uuid", optional: true } }
			},
			...entityActions("governance:read", { description: "One appeal against a sanction by id, with its statement and decision." }),

			open: {
				rest: "POST /",
				description: "Appeals a sanction with a statement; a moderator upholds or lifts it.",
				scope: "appeals",
				audit: true,
				params: { sanctionId: { type: "uuid" }, statement: { type: "string", min: 10, max: 10000 } },
				async handler(ctx: Context<{ sanctionId: string; statement: string }, Meta>): Promise<Entity> {
					const sanction = await sanctions.get(ctx.params.sanctionId);
					if (!sanction) throw new NotFoundError("sanction", ctx.params.sanctionId);
					const caller = actorOf(ctx);
					const { rows } = await kernel.db.query<{ owner: string | null }>("SELECT owner FROM agents WHERE id = $1", [sanction.agentId]);
					const admin = ctx.meta.user?.scopes?.includes("admin") ?? false;
					if (caller.kind !== "system" && !admin && (caller.kind !== "user" || caller.id !== rows[0]?.owner)) {
						throw new NotAllowedError(`Only the owner of agent ${sanction.agentId} (or an admin) appeals its sanctions`, { agentId: sanction.agentId });
					}
					if (sanction.liftedAt || (sanction.expiresAt && Date.parse(sanction.expiresAt) <= Date.now())) {
						throw new ConflictError("SANCTION_NOT_ACTIVE", `Sanction ${sanction.id} is no longer in force`, { sanctionId: sanction.id });
					}
					if (await this.adapter.findOne({ sanctionId: sanction.id, state: "open" })) {
						throw new ConflictError("APPEAL_OPEN", `Sanction ${sanction.id} has an open appeal already`, { sanctionId: sanction.id });
					}
					const created = await this._create(ctx, { sanctionId: sanction.id, agentId: sanction.agentId, appellant: caller.id, statement: ctx.params.statement, state: "open" });
					ctx.meta.$statusCode = 201;
					return created;
				}
			},

			resolve: {
				rest: "POST /:id/resolve",
				description: "Decides an appeal: upholds the sanction or lifts it, with a note (moderators only).",
				scope: "governance",
				permission: "social.moderate",
				audit: true,
				params: { id: { type: "uuid" }, decision: { type: "enum", values: ["uphold", "lift"] }, note: { type: "string", min: 3, max: 5000 } },
				async handler(ctx: Context<{ id: string; decision: "uphold" | "lift"; note: string }, Meta>): Promise<Entity> {
					const row = await this.adapter.findById(ctx.params.id);
					if (!row) throw new NotFoundError("appeal", ctx.params.id);
					const appeal = this.adapter.entityToObject(row);
					if (appeal.state !== "open") throw new ConflictError("APPEAL_DECIDED", `Appeal ${ctx.params.id} was decided already (${appeal.state as string})`, { appealId: ctx.params.id });
					const lifting = ctx.params.decision === "lift";
					if (lifting) await ctx.call("sanctions.lift", { id: appeal.sanctionId, reason: `appeal ${ctx.params.id}: ${ctx.params.note}` });
					return this._update(ctx, { id: ctx.params.id, state: lifting ? "lifted" : "upheld", decidedBy: actorOf(ctx).id, decisionNote: ctx.params.note, decidedAt: new Date().toISOString() });
				}
			}
		}
	});
}
