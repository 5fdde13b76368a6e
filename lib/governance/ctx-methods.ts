/** What governance adds to `ctx.society`: reporting another agent to the moderators (a case). */
import { actionMethod, type CtxMethod } from "../../actors/ctx-registry";

export const governanceCtxMethods: readonly CtxMethod[] = [
	/** ctx.society.report(subjectId, reason, evidence?) */
	actionMethod("society.report", "cases.open", "social.post", ([subjectId, reason, evidence]) => ({ subjectId, reason, ...(evidence ? { evidence } : {}) }))
];
