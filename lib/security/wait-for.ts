import type { HumanDecision } from "../../actors/agent-api";
import { AgentCallerRequiredError } from "./approval-errors";
import type { ApprovalGate } from "./approval-gate";
import type { SecuredMeta } from "./security-guard";

/** The approvals' `action` of an agent's question to a person (ctx.waitFor). */
export const WAIT_FOR_ACTION = "task.waitFor";

export type { HumanDecision };

export interface WaitForParams {
	/** What the person is asked, 1 to 1000 characters. */
	reason: string;
	/** What the person sees with it (the approval's params). */
	data?: Record<string, unknown>;
}


/**
 * An agent asks a person and gets the decision, a denial included (an ask-a-human step
 * wants the answer, not an exception): waiting in memory, or — in a durable run —
 * suspending the run (ApprovalPendingError) until it is resumed with the decision.
 * Expiry is ApprovalExpiredError.
 */
export async function waitForPerson(gate: ApprovalGate, meta: SecuredMeta, params: WaitForParams): Promise<HumanDecision> {
	const caller = meta.caller;
	if (caller?.kind !== "agent") throw new AgentCallerRequiredError("approvals.waitFor");
	const answer = await gate.answer({ agentId: caller.id, action: WAIT_FOR_ACTION, params: params.data ?? {}, reason: params.reason, meta });
	return { approved: answer.approved, note: answer.note, decidedBy: answer.decidedBy, decidedAt: answer.decidedAt, approvalId: answer.approvalId };
}
