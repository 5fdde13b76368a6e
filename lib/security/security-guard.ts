import type { Context, Middleware } from "moleculer";
import type { Caller } from "../kernel/caller";
import { DatabaseUnavailableError } from "../kernel/errors";
import { isApprovalPending } from "./approval-errors";
import type { ApprovalGate, ApprovalMeta } from "./approval-gate";
import type { AuditLog, AuditParty } from "./audit-log";
import type { GrantConstraints } from "./capabilities";
import { AuditBufferFullError, PermissionDeniedError } from "./errors";
import type { GrantRequests } from "./grant-requests";
import type { GrantStore } from "./grant-store";

export interface SecurityDeps {
	grants: GrantStore;
	audit: AuditLog;
	/** Where a call that needs a person is decided (it tells people of each approval it opens). */
	approvals: ApprovalGate;
	/** Grant requests: a refusal names the request that waits for an admin, if there is one. */
	requests?: Pick<GrantRequests, "pendingFor">;
	/** Sanctions (governance): asked on every call an agent makes, and on calls that put an agent to work. */
	sanctions?: SanctionCheck;
}

/** Refuses (throws) a sanctioned agent's calls; implemented by the governance layer, which the security layer does not know. */
export interface SanctionCheck {
	/** An agent's own call to `action`: refused when the agent is quarantined, banned or over its throttle. */
	checkCaller(agentId: string, action: string): Promise<void>;
	/** A call that names an agent as its target (e.g. agents.submitTask): refused when that agent may not work. */
	checkTarget(agentId: string, action: string): Promise<void>;
}

export interface SecuredMeta extends ApprovalMeta {
	caller?: Caller;
	/** A person: through the gateway with the token's scopes; inside the cluster (REPL, SDK broker client) without. */
	user?: { id: string; kind?: string; scopes?: readonly string[] };
	/** Set for agents: the constraints of the grant that let the call through. */
	grant?: GrantConstraints;
}

/** Who is calling, as the audit log names them. */
export function callerOf(ctx: Context<unknown, SecuredMeta>): Caller {
	if (ctx.meta.caller) return ctx.meta.caller;
	if (ctx.meta.user) return { kind: "user", id: ctx.meta.user.id };
	return { kind: "system", id: ctx.nodeID ?? "local" };
}

/**
 * Whether the caller may grant capabilities, and so act as an agent: the node itself, an
 * operator inside the cluster (the REPL, an SDK broker client — they hold the cluster's
 * keys and could call any action anyway), or a gateway user with the `admin` scope.
 * Never an agent, and never a token without `admin`.
 */
export function mayGrant(meta: SecuredMeta): boolean {
	if (meta.caller?.kind === "agent") return false;
	return meta.user?.scopes ? meta.user.scopes.includes("admin") : true;
}

/**
 * Who authenticated the call, as the audit log names them apart from the actor: the
 * person's token (or the admin) when the call came through the gateway — even when it
 * speaks for an agent — otherwise the agent itself, or the node.
 */
export function principalOf(ctx: Context<unknown, SecuredMeta>): AuditParty {
	if (ctx.meta.user) return { kind: "user", id: ctx.meta.user.id };
	if (ctx.meta.caller) return { kind: ctx.meta.caller.kind, id: ctx.meta.caller.id };
	return { kind: "system", id: ctx.nodeID ?? "local" };
}

/**
 * A durable run's call that waits for a person neither ran nor was refused: audited as
 * `allowed` (so far) with the approval it waits for, not as a denial a policy would count.
 */
function suspensionOf(err: unknown): { reason: "APPROVAL_PENDING"; approvalId: string } | undefined {
	return isApprovalPending(err) ? { reason: "APPROVAL_PENDING", approvalId: err.data.approvalId } : undefined;
}

/** A tool call names its tool in the audit entry, so policies can tell tools apart. */
function toolOf(params: unknown): { tool?: string } {
	const toolId = (params as { toolId?: unknown } | undefined)?.toolId;
	return typeof toolId === "string" ? { tool: toolId.replace(/^builtin:/, "") } : {};
}

/**
 * A refusal (403: no grant, a tool's guard refusing a URL, a path, a command) is `denied`,
 * not `failed`, and names the tool and what it was refused: the URL (without query or
 * credentials, as the guard reports it) or the path.
 */
function refusalOf(err: unknown, params: unknown): Record<string, unknown> | undefined {
	const e = err as { code?: unknown; type?: unknown; data?: Record<string, unknown> };
	if (e?.code !== 403 || typeof e.type !== "string") return undefined;
	const data = e.data ?? {};
	const toolId = typeof data.toolId === "string" ? data.toolId : (params as { toolId?: unknown } | undefined)?.toolId;
	const url = typeof data.url === "string" ? data.url : urlOf(params);
	const detail: Record<string, unknown> = { reason: e.type };
	if (typeof toolId === "string") detail.toolId = toolId;
	if (url) detail.url = url;
	if (typeof data.path === "string") detail.path = data.path;
	if (typeof data.reason === "string") detail.why = data.reason;
	if (typeof data.capability === "string") detail.needs = data.capability;
	return detail;
}

/**
 * Refusals already audited as `denied` where they happened. An audited call further out
 * that fails because of one (a task whose agent was refused a model call, a person's
 * invoke re-sent as the agent) was not itself refused: it is recorded as `failed`.
 */
const refusedBelow = new WeakSet<object>();

function deniedHere<E>(err: E): E {
	if (typeof err === "object" && err !== null) refusedBelow.add(err);
	return err;
}

/** The URL a tool call asked for, shown as the URL guard shows it: no credentials, query or fragment. */
function urlOf(params: unknown): string | undefined {
	const url = (params as { arguments?: { url?: unknown } } | undefined)?.arguments?.url;
	if (typeof url !== "string") return undefined;
	try {
		const u = new URL(url);
		return `${u.protocol}//${u.host}${u.pathname}`;
	} catch {
		return undefined;
	}
}

function targetOf(params: unknown): string | null {
	const p = (params ?? {}) as Record<string, unknown>;
	const value = p.id ?? p.agentId ?? p.toolId ?? p.taskId;
	return typeof value === "string" ? value : null;
}

/**
 * The one middleware that guards privileged actions, on whichever node runs them:
 * - an agent calling an action that declares `permission` needs an active grant of it,
 *   or is refused (403) — and the refusal is audited;
 * - an action with `approval` waits for a person when the agent is supervised (or always) —
 *   a durable run's call is suspended instead (approval-gate.ts);
 * - every privileged call (a `permission`, or `audit: true`) is audited with who, what,
 *   the outcome and the request id; when the audit log cannot take more, privileged
 *   actions are refused rather than run unaudited.
 * Actions that declare none of these pass through untouched.
 */
export class SecurityGuard {
	private deps: SecurityDeps | undefined;

	/** The stores come once the kernel is open; until then privileged calls are refused as unavailable. */
	attach(deps: SecurityDeps): void {
		this.deps = deps;
	}

	middleware(): Middleware {
		const depsOf = () => this.deps;
		return {
			name: "SecurityGuard",
			localAction(next, action) {
				const capability = action.permission;
				const approval = action.approval;
				const name = action.name ?? "unknown";
				const run = next as (this: unknown, c: Context) => Promise<unknown>;
				if (!capability && !action.audit && !approval) {
					// Nothing to check but sanctions, which only agents' calls have.
					return function sanctioned(this: unknown, ctx: Context<unknown, SecuredMeta>) {
						const check = depsOf()?.sanctions;
						if (ctx.meta.caller?.kind !== "agent" || !check) return run.call(this, ctx);
						return check.checkCaller(ctx.meta.caller.id, name).then(() => run.call(this, ctx));
					};
				}
				async function checked(this: unknown, ctx: Context<unknown, SecuredMeta>, deps: SecurityDeps, caller: Caller): Promise<unknown> {
					if (deps.audit.full) throw new AuditBufferFullError();
					const entry = { actor: { kind: caller.kind, id: caller.id }, principal: principalOf(ctx), action: name, target: targetOf(ctx.params), requestId: ctx.requestID ?? null };
					if (deps.sanctions) {
						try {
							if (caller.kind === "agent") await deps.sanctions.checkCaller(caller.id, name);
							if (entry.target) await deps.sanctions.checkTarget(entry.target, name);
						} catch (err) {
							deps.audit.record({ ...entry, outcome: "denied", data: { ...(capability ? { capability } : {}), reason: (err as { type?: string }).type ?? "sanctioned" } });
							throw deniedHere(err);
						}
					}
					if (caller.kind === "agent" && (capability || approval)) {
						const grant = capability ? await deps.grants.find(caller.id, capability) : undefined;
						if (capability && !grant) {
							deps.audit.record({ ...entry, outcome: "denied", data: { capability, reason: "no grant", ...toolOf(ctx.params) } });
							throw deniedHere(new PermissionDeniedError(caller.id, capability, await deps.requests?.pendingFor(caller.id, capability)));
						}
						if (grant) ctx.meta.grant = grant.constraints;
						if (approval === "always" || (approval === "supervised" && caller.trustLevel === "supervised")) {
							try {
								const reason = `${caller.trustLevel ?? "agent"} agent ${caller.id} asks to run ${name}`;
								await deps.approvals.pass({ agentId: caller.id, action: name, params: ctx.params, reason, meta: ctx.meta });
							} catch (err) {
								const suspended = suspensionOf(err);
								if (suspended) deps.audit.record({ ...entry, outcome: "allowed", data: { ...(capability ? { capability } : {}), ...suspended } });
								else deps.audit.record({ ...entry, outcome: "denied", data: { capability, reason: (err as { type?: string }).type ?? "approval" } });
								throw suspended ? err : deniedHere(err);
							}
						}
					}
					try {
						const result = await run.call(this, ctx);
						deps.audit.record({ ...entry, outcome: "succeeded", data: { ...(capability ? { capability } : {}), ...toolOf(ctx.params) } });
						return result;
					} catch (err) {
						const e = err as { type?: string; message?: string };
						const refusal = refusedBelow.has(err as object) ? undefined : refusalOf(err, ctx.params);
						const suspended = suspensionOf(err);
						if (suspended) deps.audit.record({ ...entry, outcome: "allowed", data: { ...(capability ? { capability } : {}), ...toolOf(ctx.params), ...suspended } });
						else if (refusal) {
							deps.audit.record({ ...entry, outcome: "denied", data: { ...(capability ? { capability } : {}), ...toolOf(ctx.params), ...refusal } });
							deniedHere(err);
						} else deps.audit.record({ ...entry, outcome: "failed", data: { ...(capability ? { capability } : {}), error: e.type ?? e.message ?? "error" } });
						throw err;
					}
				}
				// Not async: a call with nothing to check (a person calling an action that is not
				// audited) goes straight through, without an extra promise step on the hot path.
				return function guarded(this: unknown, ctx: Context<unknown, SecuredMeta>) {
					const deps = depsOf();
					if (!deps) return Promise.reject(new DatabaseUnavailableError("the security services are starting"));
					const caller = callerOf(ctx);
					// Capabilities and approvals are about agents; people's calls are audited where the action asks for it.
					if (caller.kind !== "agent" && !action.audit) return run.call(this, ctx);
					return checked.call(this, ctx, deps, caller);
				};
			}
		};
	}
}
