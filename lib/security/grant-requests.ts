import type { Caller } from "../kernel/caller";
import type { Approval, ApprovalStore } from "./approval-store";
import type { AuditLog } from "./audit-log";
import { CAPABILITIES, isCapability, isSafeCapability, type Capability } from "./capabilities";
import type { Grant, GrantStore } from "./grant-store";

/** The approvals' `action` of a grant request; its params are `{capability, requestedBy}`. */
export const GRANT_REQUEST = "permissions.grant";

/** A capability a manifest asked for that waits for an admin's decision. */
export interface PendingGrant {
	capability: Capability;
	/** Approve or deny it at /api/v1/approvals/:approvalId/approve|deny (admin). */
	approvalId: string;
	requestedBy: string;
	requestedAt: string;
	expiresAt: string;
}

/** Who asks, and whether they may grant (see mayGrant), for the record. */
export interface Requester {
	caller: Caller;
	mayGrant: boolean;
	requestId: string | null;
}

const capabilityOf = (approval: Approval): Capability | undefined => {
	const value = (approval.params as { capability?: unknown } | null)?.capability;
	return typeof value === "string" && isCapability(value) ? value : undefined;
};

const ORDER = Object.keys(CAPABILITIES);

const actorOf = (c: Caller) => ({ kind: c.kind, id: c.id });

/**
 * Capabilities that a manifest asks for and its spawner may not grant. They become
 * approvals of the action GRANT_REQUEST, which an admin approves (granted, audited) or
 * denies (audited) through the approvals API; meanwhile the agent runs without them.
 */
export class GrantRequests {
	constructor(
		private readonly grants: GrantStore,
		private readonly approvals: ApprovalStore,
		private readonly audit: AuditLog,
		private readonly timeoutMs: number
	) {}

	/**
	 * What a spawn asks for: granted when the spawner may grant it or it is safe
	 * (SAFE_CAPABILITIES), else opened as a grant request. Returns the requests opened.
	 */
	async spawned(agentId: string, capabilities: Iterable<Capability>, by: Requester): Promise<Approval[]> {
		const opened: Approval[] = [];
		for (const capability of new Set(capabilities)) {
			if (by.mayGrant || isSafeCapability(capability)) {
				await this.grants.grant(agentId, capability, by.caller.id);
				continue;
			}
			const approval = await this.approvals.open(
				agentId,
				GRANT_REQUEST,
				{ capability, requestedBy: by.caller.id },
				`${by.caller.id} spawned ${agentId}, whose manifest asks for ${capability}; only an admin may grant it`,
				this.timeoutMs
			);
			this.audit.record({
				actor: actorOf(by.caller),
				action: "permissions.request",
				target: agentId,
				outcome: "succeeded",
				requestId: by.requestId,
				data: { capability, approvalId: approval.id }
			});
			opened.push(approval);
		}
		return opened;
	}

	/** The open grant requests of these agents, by agent, in the order of CAPABILITIES (requests made together have no order of their own). */
	async pending(agentIds: string[]): Promise<Map<string, PendingGrant[]>> {
		const byAgent = new Map<string, PendingGrant[]>(agentIds.map(id => [id, []]));
		for (const approval of await this.approvals.pending(GRANT_REQUEST, agentIds)) {
			const capability = capabilityOf(approval);
			if (!capability) continue;
			const requestedBy = (approval.params as { requestedBy?: unknown }).requestedBy;
			byAgent.get(approval.agentId)?.push({
				capability,
				approvalId: approval.id,
				requestedBy: typeof requestedBy === "string" ? requestedBy : "unknown",
				requestedAt: approval.requestedAt,
				expiresAt: approval.expiresAt
			});
		}
		for (const list of byAgent.values()) list.sort((a, b) => ORDER.indexOf(a.capability) - ORDER.indexOf(b.capability));
		return byAgent;
	}

	/** The id of the open request for this capability of the agent, if there is one (for the refusal's message). */
	async pendingFor(agentId: string, capability: string): Promise<string | undefined> {
		return (await this.pending([agentId])).get(agentId)?.find(p => p.capability === capability)?.approvalId;
	}

	/** Whether an approval is a grant request (only an admin may decide it). */
	static isRequest(approval: Pick<Approval, "action">): boolean {
		return approval.action === GRANT_REQUEST;
	}

	/** A grant request was decided: approved, the capability is granted by the person who approved it; either way, audited. */
	async decided(approval: Approval, by: Requester): Promise<Grant | undefined> {
		const capability = capabilityOf(approval);
		if (!capability) return undefined;
		const entry = { actor: actorOf(by.caller), action: GRANT_REQUEST, target: approval.agentId, requestId: by.requestId };
		if (approval.status !== "approved") {
			this.audit.record({ ...entry, outcome: "denied", data: { capability, approvalId: approval.id, reason: "request denied" } });
			return undefined;
		}
		const grant = await this.grants.grant(approval.agentId, capability, by.caller.id);
		this.audit.record({ ...entry, outcome: "succeeded", data: { capability, approvalId: approval.id, grantId: grant.id } });
		return grant;
	}

	/** An admin granted the capability directly (the grants API): its open requests are done. */
	grantedDirectly(agentId: string, capability: Capability, by: string): Promise<number> {
		return this.approvals.closeOpen(agentId, GRANT_REQUEST, { status: "approved", by, note: "granted through the grants API", param: "capability", equals: capability });
	}

	/** The agent is gone: its open requests close (expired), so a new agent of the same id does not inherit them. */
	withdraw(agentId: string): Promise<number> {
		return this.approvals.closeOpen(agentId, GRANT_REQUEST, { status: "expired", by: null, note: "the agent was deleted" });
	}
}
