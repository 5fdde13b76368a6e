import type { Caller } from "../../actors/agent-api";
import type { TrustLevel } from "../../actors/manifest-types";
import { AdminRequiredError } from "./errors";
import { mayGrant, type SecuredMeta } from "./security-guard";

/**
 * The caller a person's call is made again as, when it speaks for an agent (a tool call,
 * an a2a task): only a caller that may grant (an admin, the node, an operator in the
 * cluster) may; the agent must exist, and its trust level goes along so that its
 * approvals apply — the security guard then checks its grants and sanctions as for the
 * agent's own calls. `what` says what was asked, for the refusal.
 */
export async function actAsAgent(
	meta: SecuredMeta,
	agentId: string,
	what: string,
	agentOf: (id: string) => Promise<{ trustLevel: TrustLevel }>,
	node?: string
): Promise<Caller> {
	if (!mayGrant(meta)) throw new AdminRequiredError(`${what} as agent ${agentId}`, meta.user?.scopes);
	const { trustLevel } = await agentOf(agentId);
	return { kind: "agent", id: agentId, ...(node ? { node } : {}), trustLevel };
}
