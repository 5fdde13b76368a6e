/**
 * `ctx.node` for agent code: watching the node and the cluster (`node.monitor`), what the
 * monitor agent uses. Registered in the node's ctx registry by the composition root.
 */
import { actionMethod, asObject, type CtxMethod } from "../../actors/ctx-registry";

export const nodeCtxMethods: readonly CtxMethod[] = [
	actionMethod("node.health", "monitoring.report", "node.monitor"),
	actionMethod("node.alert", "monitoring.alert", "node.monitor", ([alert]) => asObject(alert))
];
