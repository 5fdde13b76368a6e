import type { Context, ServiceSchema } from "moleculer";
import type { Kernel } from "../../lib/kernel/kernel";
import { PolicyInvalidError } from "../../lib/governance/errors";
import { parsePolicy, PolicySyntaxError, type PolicyRule } from "../../lib/governance/policy-dsl";
import { dryRun, type CompiledPolicy, type Firing, type ObservedEvent } from "../../lib/governance/policy-evaluator";
import { SharedPolicyEvaluator } from "../../lib/governance/shared-policy-evaluator";
import type { AuditHashedFields, AuditLog, AuditRecord } from "../../lib/security/audit-log";
import type { SecuredMeta } from "../../lib/security/security-guard";
import { ConflictError, NotFoundError } from "../../lib/society/errors";
import type { SharedCounters } from "../../lib/society/shared-counters";
import { actorOf } from "../../lib/society/society-context";
import { dbEntity, entityActions, type DbMethods } from "../../mixins/db-entity.mixin";
import type { TableSpec } from "../../mixins/kernel-db.adapter";
import { defineService } from "../../lib/kernel/define-service";

export const POLICY_MODES = ["enforce", "dry-run", "disabled"] as const;
export type PolicyMode = (typeof POLICY_MODES)[number];

type Meta = SecuredMeta & { $statusCode?: number };
type Entity = Record<string, unknown>;

const POLICIES = {
	table: "policies",
	columns: { name: "text", source: "text", mode: "text", createdBy: "text", createdAt: "time", updatedAt: "time" },
	searchFields: ["name", "source"],
	defaultSort: "name"
} as const satisfies TableSpec;

/** The most past audit entries a dry run reads. */
const DRY_RUN_MAX_EVENTS = 100_000;

function compile(source: string): PolicyRule {
	try {
		return parsePolicy(source);
	} catch (err) {
		if (err instanceof PolicySyntaxError) throw new PolicyInvalidError(err);
		throw err;
	}
}

const observed = (e: AuditHashedFields): ObservedEvent => ({
	at: e.at,
	actor: { kind: e.actorKind, id: e.actorId },
	action: e.action,
	target: e.target,
	outcome: e.outcome,
	node: e.node,
	requestId: e.requestId,
	data: e.data
});

const fromRecord = (r: AuditRecord): ObservedEvent => ({ ...r, actor: { kind: r.actor.kind, id: r.actor.id } });

/** What the policies service's own `methods` put on `this`. */
interface PoliciesMethods {
	loadPolicies(): Promise<void>;
	reloadInBackground(attempt?: number): void;
	act(firing: Firing): Promise<void>;
}

/**
 * Policies in the DSL (lib/governance/policy-dsl.ts), created as `{name, source, mode}`.
 * Each node evaluates the enforce and dry-run policies on its own audit stream as entries
 * are recorded, counting `count … within` windows with every node (shared counters): an enforced firing opens a case with the evidence and applies the
 * policy's sanctions; a dry-run firing is only recorded. `dryRun` replays past entries.
 */
export default function createPoliciesService(kernel: Kernel, audit: AuditLog, counters: SharedCounters): ServiceSchema {
	const evaluator = new SharedPolicyEvaluator([], windowMs => counters.tally("policy", windowMs));
	const modes = new Map<string, PolicyMode>();
	let unsubscribe: (() => void) | undefined;
	let reloadTimer: NodeJS.Timeout | undefined;
	let stopped = false;

	return defineService<PoliciesMethods, DbMethods>({
		name: "policies",
		mixins: [dbEntity(kernel, POLICIES, { filters: ["mode"] })],
		settings: { rest: "/policies" },

		actions: {
			list: { rest: "GET /", description: "Lists the governance policies, optionally by mode (enforce, dry-run, disabled).", scope: "governance:read", params: { mode: { type: "enum", values: [...POLICY_MODES], optional: true } } },
			...entityActions("governance:read", { description: "One governance policy by id, with its rule source and mode." }),
			remove: { rest: "DELETE /:id", description: "Deletes a governance policy (moderators only).", scope: "governance", permission: "social.moderate", audit: true },

			create: {
				rest: "POST /",
				description: "Creates a governance policy from its rule source, to enforce, dry-run or keep disabled.",
				scope: "governance",
				permission: "social.moderate",
				audit: true,
				params: {
					name: { type: "string", min: 1, max: 100 },
					source: { type: "string", min: 1, max: 10000 },
					mode: { type: "enum", values: [...POLICY_MODES], optional: true }
				},
				async handler(ctx: Context<{ name: string; source: string; mode?: PolicyMode }, Meta>): Promise<Entity> {
					const { name, source, mode = "enforce" } = ctx.params;
					const rule = compile(source);
					if (await this.adapter.findOne({ name })) throw new ConflictError("POLICY_EXISTS", `A policy named ${name} exists`, { name });
					const created = await this._create(ctx, { name, source, mode, createdBy: actorOf(ctx).id });
					// In force here at once; other nodes reload on `policies.changed`.
					await this.loadPolicies();
					ctx.meta.$statusCode = 201;
					return { ...created, rule };
				}
			},

			/** Changes the source (parsed first) and/or the mode. */
			edit: {
				rest: "PATCH /:id",
				description: "Changes a governance policy's rule source (checked first) or its mode.",
				scope: "governance",
				permission: "social.moderate",
				audit: true,
				params: { id: { type: "uuid" }, source: { type: "string", min: 1, max: 10000, optional: true }, mode: { type: "enum", values: [...POLICY_MODES], optional: true } },
				async handler(ctx: Context<{ id: string; source?: string; mode?: PolicyMode }>): Promise<Entity> {
					if (ctx.params.source !== undefined) compile(ctx.params.source);
					if (!(await this.adapter.findById(ctx.params.id))) throw new NotFoundError("policy", ctx.params.id);
					const updated = await this._update(ctx, { id: ctx.params.id, source: ctx.params.source, mode: ctx.params.mode });
					await this.loadPolicies();
					return updated;
				}
			},

			setStatus: {
				rest: "POST /:id/mode",
				description: "Sets a governance policy's mode: enforce, dry-run or disabled.",
				scope: "governance",
				permission: "social.moderate",
				audit: true,
				params: { id: { type: "uuid" }, mode: { type: "enum", values: [...POLICY_MODES] } },
				async handler(ctx: Context<{ id: string; mode: PolicyMode }>): Promise<Entity> {
					if (!(await this.adapter.findById(ctx.params.id))) throw new NotFoundError("policy", ctx.params.id);
					const updated = await this._update(ctx, { id: ctx.params.id, mode: ctx.params.mode });
					await this.loadPolicies();
					return updated;
				}
			},

			/** Parses a source without saving it: the rule, or 422 with the line and column. */
			validate: {
				rest: "POST /validate",
				description: "Parses a policy rule without saving it: the rule, or the line and column of the error.",
				scope: "governance:read",
				params: { source: { type: "string", min: 1, max: 10000 } },
				handler(ctx: Context<{ source: string }>): { valid: true; rule: PolicyRule } {
					return { valid: true, rule: compile(ctx.params.source) };
				}
			},

			/** What a policy (saved, by id, or a `source`) would have done over the audit log between `since` and `until`. */
			dryRun: {
				rest: "POST /dry-run",
				description: "What a policy would have done over the audit log in a time window, without doing it.",
				scope: "governance:read",
				params: {
					id: { type: "uuid", optional: true },
					source: { type: "string", min: 1, max: 10000, optional: true },
					since: { type: "date", convert: true, optional: true },
					until: { type: "date", convert: true, optional: true }
				},
				async handler(ctx: Context<{ id?: string; source?: string; since?: Date; until?: Date }>) {
					let policy: CompiledPolicy;
					if (ctx.params.id) {
						const row = await this.adapter.findById(ctx.params.id);
						if (!row) throw new NotFoundError("policy", ctx.params.id);
						policy = { id: ctx.params.id, name: row.name as string, rule: compile(row.source as string) };
					} else if (ctx.params.source) policy = { id: "dry-run", name: "dry-run", rule: compile(ctx.params.source) };
					else throw new PolicyInvalidError(new PolicySyntaxError("send a policy id or a source", 1, 1));
					await audit.flush().catch(() => undefined);
					const events: ObservedEvent[] = [];
					for await (const line of audit.exportLines({ since: ctx.params.since, until: ctx.params.until })) {
						events.push(fromRecord(JSON.parse(line) as AuditRecord));
						if (events.length >= DRY_RUN_MAX_EVENTS) break;
					}
					const firings = dryRun(policy, events);
					return { policy: { id: policy.id, name: policy.name }, eventsRead: events.length, firings };
				}
			},

			firings: {
				rest: "GET /:id/firings",
				description: "The times a policy fired, with the subject, its actions and the evidence, newest first.",
				scope: "governance:read",
				params: { id: { type: "uuid" }, limit: { type: "number", integer: true, min: 1, max: 1000, optional: true, convert: true } },
				async handler(ctx: Context<{ id: string; limit?: number }>) {
					const { rows } = await kernel.db.query(
						"SELECT id::int, policy_id AS \"policyId\", subject_id AS \"subjectId\", mode, actions, evidence, case_id AS \"caseId\", node, at FROM policy_firings WHERE policy_id = $1 ORDER BY id DESC LIMIT $2",
						[ctx.params.id, ctx.params.limit ?? 100]
					);
					return rows;
				}
			}
		},

		events: {
			"policies.changed"() {
				this.reloadInBackground();
			}
		},

		methods: {
			async loadPolicies(): Promise<void> {
				const { rows } = await kernel.db.query<{ id: string; name: string; source: string; mode: PolicyMode }>("SELECT id, name, source, mode FROM policies WHERE mode <> 'disabled'");
				const compiled: CompiledPolicy[] = [];
				modes.clear();
				for (const row of rows) {
					try {
						compiled.push({ id: row.id, name: row.name, rule: parsePolicy(row.source) });
						modes.set(row.id, row.mode);
					} catch (err) {
						this.logger.warn(`Policy ${row.name} does not parse and is skipped: ${(err as Error).message}`);
					}
				}
				evaluator.setPolicies(compiled);
			},

			/**
			 * Loads the policies without a caller to answer: while the database is away the
			 * load is retried (the last policies loaded stay in force meanwhile), so a node that
			 * loses its database never runs without the policies it is told about.
			 */
			reloadInBackground(attempt = 0): void {
				clearTimeout(reloadTimer);
				this.loadPolicies().catch((err: Error) => {
					if (stopped) return;
					const delay = Math.min(30_000, 500 * 2 ** attempt);
					this.logger.warn(`Policies could not be loaded (${err.message}); retrying in ${delay} ms`);
					reloadTimer = setTimeout(() => this.reloadInBackground(attempt + 1), delay);
				});
			},

			/** An enforced firing opens a case with the evidence, then applies each sanction the policy names, linked to it. */
			async act(firing: Firing): Promise<void> {
				const mode = modes.get(firing.policyId) ?? "dry-run";
				let caseId: string | null = null;
				if (mode === "enforce") {
					const reason = firing.actions.find(a => a.kind === "open_case" && a.reason)?.kind === "open_case" ? (firing.actions.find(a => a.kind === "open_case") as { reason?: string }).reason : undefined;
					const opened = (await this.broker.call("cases.open", {
						subjectId: firing.subjectId,
						reason: reason ?? `policy ${firing.policyName} fired`,
						evidence: firing.evidence,
						policyId: firing.policyId
					})) as { id: string };
					caseId = opened.id;
					for (const action of firing.actions) {
						if (action.kind === "open_case") continue;
						const duration = "durationMs" in action && action.durationMs ? `${Math.round(action.durationMs / 1000)}s` : undefined;
						const rate = action.kind === "throttle" ? action.ratePerMinute : undefined;
						await this.broker.call("sanctions.apply", { agentId: firing.subjectId, kind: action.kind, reason: `policy ${firing.policyName}`, duration, ratePerMinute: rate, caseId });
					}
				}
				await kernel.db.query("INSERT INTO policy_firings (policy_id, subject_id, mode, actions, evidence, case_id, node) VALUES ($1, $2, $3, $4, $5, $6, $7)", [
					firing.policyId,
					firing.subjectId,
					mode,
					JSON.stringify(firing.actions),
					JSON.stringify(firing.evidence),
					caseId,
					this.broker.nodeID
				]);
			}
		},

		started() {
			if (!kernel.config.POLICY_EVALUATION) return;
			// Firings are handled one after another, in the order the entries were recorded.
			let chain: Promise<void> = Promise.resolve();
			unsubscribe = audit.onRecord(entry => {
				const event = observed(entry);
				chain = chain
					.then(() => evaluator.observe(event))
					.then(async firings => {
						for (const firing of firings) await this.act(firing).catch((err: Error) => this.logger.warn(`Policy ${firing.policyName} fired but could not act: ${err.message}`));
					})
					.catch((err: Error) => this.logger.warn(`Policies could not count ${event.action}: ${err.message}`));
			});
			kernel.start().then(
				() => this.reloadInBackground(),
				() => undefined
			);
		},

		stopped() {
			stopped = true;
			clearTimeout(reloadTimer);
			unsubscribe?.();
		}
	});
}
