import type { ServiceBroker } from "moleculer";
import { isCapability } from "../security/capabilities";
import { toJsonSchema } from "../schema/fv-json-schema";
import type { ToolDefinition } from "./tool";

interface CatalogAction {
	name: string;
	rawName?: string;
	description?: string;
	tool?: boolean;
	params?: Record<string, unknown>;
	permission?: string;
}

/**
 * Every action in the cluster that says `tool: true` and has a `description` becomes a
 * tool `action:<service.action>`: its fastest-validator params are converted to JSON
 * Schema, never written twice. It is called with the caller's identity, so its own
 * permission applies.
 */
export function actionTools(broker: ServiceBroker): ToolDefinition[] {
	const seen = new Set<string>();
	const tools: ToolDefinition[] = [];
	for (const entry of broker.registry.getActionList({ onlyAvailable: true, withEndpoints: false }) as unknown as { name: string; action?: CatalogAction }[]) {
		const action = entry.action;
		if (!action?.tool || !action.description || seen.has(entry.name)) continue;
		seen.add(entry.name);
		tools.push({
			id: `action:${entry.name}`,
			description: action.description,
			parameters: toJsonSchema(action.params ?? {}),
			capability: action.permission && isCapability(action.permission) ? action.permission : "tools.execute",
			source: "action",
			run: async (args, ctx) => ({
				content: await broker.call(entry.name, args, { meta: { caller: ctx.caller } })
			})
		});
	}
	return tools;
}
