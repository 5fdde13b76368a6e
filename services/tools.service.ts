import Ajv, { type ValidateFunction } from "ajv";
import type { Context, ServiceSchema } from "moleculer";
import { Errors } from "moleculer";
import type { Caller } from "../actors/agent-api";
import { PermissionDeniedError } from "../actors/errors";
import type { Kernel } from "../lib/kernel/kernel";
import type { ApprovalStore } from "../lib/security/approval-store";
import type { GrantStore } from "../lib/security/grant-store";
import { actionTools } from "../lib/tools/action-tools";
import { ToolTimeoutError } from "../lib/tools/errors";
import type { ToolDefinition, ToolPolicy, ToolResult } from "../lib/tools/tool";
import { requiresDatabase } from "../mixins/requires-database.mixin";

export interface ToolsServiceDeps {
	builtins: ToolDefinition[];
	/** Tools of the configured MCP servers, as they are now (reconnecting servers offer none). */
	mcpTools?: () => ToolDefinition[];
	grants: GrantStore;
	approvals: ApprovalStore;
	approvalTimeoutMs: number;
	policy: ToolPolicy;
}

interface Meta {
	caller?: Caller;
	user?: { id: string };
}

export interface ToolInfo {
	id: string;
	description: string;
	parameters: Record<string, unknown>;
	capability: string;
	requiresConfirmation: boolean;
	source: string;
}

const ajv = new Ajv({ allErrors: true, strict: false, logger: false });
const validators = new WeakMap<ToolDefinition, ValidateFunction>();

function validate(tool: ToolDefinition, args: Record<string, unknown>): void {
	let check = validators.get(tool);
	if (!check) validators.set(tool, (check = ajv.compile(tool.parameters)));
	if (check(args)) return;
	const fields = (check.errors ?? []).map(e => {
		const field = e.keyword === "required" ? `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}` : e.instancePath;
		return { field: `arguments${field.replace(/\//g, ".")}`, message: e.message ?? "is not valid" };
	});
	throw new Errors.MoleculerClientError(`${tool.id}: ${fields.map(f => `${f.field} ${f.message}`).join("; ")}`, 422, "TOOL_ARGUMENTS_INVALID", { toolId: tool.id, fields });
}

/**
 * Every tool an agent may use — built-ins, MCP servers' tools, and actions that declare
 * `tool: true` — with one way in: arguments checked against the tool's schema, the
 * agent's grant of the tool's capability (narrowed by its constraints), a person's
 * approval where the tool asks for one, a time limit, and an audit entry.
 */
export default function createToolsService(kernel: Kernel, deps: ToolsServiceDeps): ServiceSchema {
	const all = (broker: Parameters<typeof actionTools>[0]) => [...deps.builtins, ...(deps.mcpTools?.() ?? []), ...actionTools(broker)];
	const info = (t: ToolDefinition): ToolInfo => ({
		id: t.id,
		description: t.description,
		parameters: t.parameters,
		capability: t.capability,
		requiresConfirmation: t.requiresConfirmation ?? false,
		source: t.source
	});

	return {
		name: "tools",
		mixins: [requiresDatabase(kernel)],
		settings: { rest: "/" },

		actions: {
			list: {
				rest: "GET /tools",
				scope: "agents:read",
				handler(): ToolInfo[] {
					return all(this.broker).map(info);
				}
			},

			invoke: {
				rest: "POST /agents/:agentId/tools/:toolId/invoke",
				scope: "tasks",
				permission: "tools.execute",
				audit: true,
				retryPolicy: { enabled: false },
				timeout: 0,
				params: {
					agentId: { type: "string", min: 1, max: 100 },
					toolId: { type: "string", min: 1, max: 300 },
					arguments: { type: "object", optional: true }
				},
				async handler(ctx: Context<{ agentId: string; toolId: string; arguments?: Record<string, unknown> }, Meta>): Promise<ToolResult> {
					const tool = all(this.broker).find(t => t.id === ctx.params.toolId);
					if (!tool) throw new Errors.MoleculerClientError(`No tool ${ctx.params.toolId}; GET /api/v1/tools lists them`, 404, "TOOL_NOT_FOUND", { toolId: ctx.params.toolId });
					const args = ctx.params.arguments ?? {};
					validate(tool, args);
					// The tool acts for the agent: its grant decides, whether the agent or a person asks.
					const agentId = ctx.meta.caller?.kind === "agent" ? ctx.meta.caller.id : ctx.params.agentId;
					const grant = await deps.grants.find(agentId, tool.capability);
					if (!grant) throw new PermissionDeniedError(agentId, tool.capability);
					const caller: Caller = ctx.meta.caller ?? { kind: "user", id: ctx.meta.user?.id ?? "system" };
					if (tool.requiresConfirmation && caller.kind === "agent" && caller.trustLevel === "supervised") {
						await deps.approvals.request(agentId, tool.id, args, `supervised agent ${agentId} asks to run ${tool.id}`, deps.approvalTimeoutMs, a =>
							void ctx.broadcast("approvals.requested", a).catch(() => undefined)
						);
					}
					const signal = AbortSignal.timeout(deps.policy.timeoutMs);
					try {
						return await tool.run(args, { agentId, caller, constraints: grant.constraints, signal });
					} catch (err) {
						if (signal.aborted && !(err as { type?: string }).type) throw new ToolTimeoutError(tool.id, deps.policy.timeoutMs);
						throw err;
					}
				}
			}
		}
	};
}
