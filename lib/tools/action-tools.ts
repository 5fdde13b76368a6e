import type { ActionSchema, ServiceBroker } from "moleculer";
import { isCapability } from "../security/capabilities";
import { toJsonSchema, type JsonSchemaObject } from "../schema/fv-json-schema";
import type { ToolDefinition } from "./tool";

/** The schema without the param the caller's identity fills: the model is not asked for it. */
function withoutParam(schema: JsonSchemaObject, name: string): JsonSchemaObject {
	const { [name]: _filled, ...properties } = schema.properties ?? {};
	const required = schema.required?.filter(key => key !== name);
	return { ...schema, properties, ...(required ? { required } : {}) };
}

/**
 * An action that says `tool: true` and has a `description` becomes a tool
 * `action:<service.action>`: its fastest-validator params are converted to JSON Schema,
 * never written twice. It is called with the caller's identity, so its own permission
 * applies; a param the action names with `tool: { caller }` is always the calling
 * agent's id, so no argument makes a tool act for another agent.
 */
export function actionTool(broker: ServiceBroker, name: string, action: ActionSchema): ToolDefinition | undefined {
	if (!action.tool || !action.description) return undefined;
	const self = typeof action.tool === "object" ? action.tool.caller : undefined;
	const schema = toJsonSchema(action.params ?? {});
	return {
		id: `action:${name}`,
		description: action.description,
		parameters: self ? withoutParam(schema, self) : schema,
		capability: action.permission && isCapability(action.permission) ? action.permission : "tools.execute",
		source: "action",
		run: async (args, ctx) => ({
			content: await broker.call(name, self ? { ...args, [self]: ctx.caller.id } : args, { meta: { caller: ctx.caller } })
		})
	};
}
