/** `ctx.tools` for agent code, registered in the node's ctx registry by the composition root. */
import { actionMethod, asObject, type CtxMethod } from "../../actors/ctx-registry";

export const toolsCtxMethods: readonly CtxMethod[] = [
	actionMethod("tools.list", "tools.list", null),
	/** ctx.tools.invoke(toolId, args): the tool's own capability (fs.read, shell.exec…) is checked by tools.invoke as well. */
	actionMethod("tools.invoke", "tools.invoke", "tools.execute", ([toolId, args], agent) => ({ agentId: agent.id, toolId, arguments: asObject(args) }))
];
