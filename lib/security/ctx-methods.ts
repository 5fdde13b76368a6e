/**
 * `ctx.human` for agent code — a person asked a question, the answer awaited (or the
 * durable run suspended until it comes) — registered in the node's ctx registry by the
 * composition root. The runtime offers it as `ctx.waitFor` too (actors/workers/agent-context.ts).
 */
import { actionMethod, type CtxMethod } from "../../actors/ctx-registry";

/** ctx.human.waitFor(reason, data?) → approvals.waitFor; any agent may ask a person. */
export const HUMAN_WAIT_FOR = "human.waitFor";

export const securityCtxMethods: readonly CtxMethod[] = [
	actionMethod(HUMAN_WAIT_FOR, "approvals.waitFor", null, ([reason, data]) => ({ reason, ...(data === undefined ? {} : { data }) }))
];
