import Ajv, { type ValidateFunction } from "ajv";
import type { Context, ServiceSchema } from "moleculer";
import { Errors } from "moleculer";
import type { Kernel } from "../lib/kernel/kernel";
import { actAsAgent } from "../lib/security/act-as-agent";
import type { ApprovalGate } from "../lib/security/approval-gate";
import { PermissionDeniedError } from "../lib/security/errors";
import type { GrantRequests } from "../lib/security/grant-requests";
import type { GrantStore } from "../lib/security/grant-store";
import type { SecuredMeta } from "../lib/security/security-guard";
import { ActionToolCatalogue } from "../lib/tools/action-tool-catalogue";
import { ToolTimeoutError } from "../lib/tools/errors";
import type { ToolDefinition, ToolInfo, ToolPolicy, ToolResult } from "../lib/tools/tool";
import { requiresDatabase } from "../mixins/requires-database.mixin";
import { defineService } from "../lib/kernel/define-service";

export interface ToolsServiceDeps {
	builtins: ToolDefinition[];
	/** Tools of the configured MCP servers, as they are now (reconnecting servers offer none). */
	mcpTools?: () => ToolDefinition[];
	grants: GrantStore;
	/** Grant requests: a refusal names the one that waits for an admin. */
	requests?: Pick<GrantRequests, "pendingFor">;
	/** Where a supervised agent's call of a tool that requires confirmation waits for (or, in a durable run, suspends on) a person. */
	approvals: ApprovalGate;
	policy: ToolPolicy;
}

type InvokeParams = { agentId: string; toolId: string; arguments?: Record<string, unknown> };

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
 * approval where the tool asks for one, a time limit, and an audit entry. A person (an
 * admin) may invoke a tool for an agent: the call is then made as that agent, through
 * exactly the checks of the agent's own call, and the person's request is audited too.
 */
export default function createToolsService(kernel: Kernel, deps: ToolsServiceDeps): ServiceSchema {
	const builtins = new Map(deps.builtins.map(t => [t.id, t]));
	// Made when the service starts, on its node's broker; rebuilt only when the cluster's services change.
	let actions: ActionToolCatalogue | undefined;
	const all = () => [...deps.builtins, ...(deps.mcpTools?.() ?? []), ...(actions?.list() ?? [])];
	const find = (id: string): ToolDefinition | undefined => {
		if (id.startsWith("action:")) return actions?.find(id);
		if (id.startsWith("mcp:")) return deps.mcpTools?.().find(t => t.id === id);
		return builtins.get(id);
	};
	const info = (t: ToolDefinition): ToolInfo => ({
		id: t.id,
		description: t.description,
		parameters: t.parameters,
		capability: t.capability,
		requiresConfirmation: t.requiresConfirmation ?? false,
		source: t.source
	});

	return defineService({
		name: "tools",
		mixins: [requiresDatabase(kernel)],
		settings: { rest: "/" },

		started() {
			actions = new ActionToolCatalogue(this.broker);
		},

		stopped() {
			actions?.close();
		},

		actions: {
			list: {
				rest: "GET /tools",
				description: "Every tool agents can be given (built-ins, MCP tools, actions), with its JSON Schema and capability; with `ids`, only those.",
				scope: "agents:read",
				params: { ids: { type: "array", items: "string", optional: true, convert: true } },
				handler(ctx: Context<{ ids?: string[] }>): ToolInfo[] {
					const { ids } = ctx.params;
					// An agent's loop asks for its own tools only: what it gets is journaled with every durable task.
					return all()
						.filter(t => !ids || ids.includes(t.id))
						.map(info);
				}
			},

			invoke: {
				rest: "POST /agents/:agentId/tools/:toolId/invoke",
				description: "Runs a tool as an agent, through that agent's grants, approvals and audit.",
				// Acting as an agent is for admins; the agent's grants and approvals apply all the same.
				scope: "admin",
				permission: "tools.execute",
				audit: true,
				retryPolicy: { enabled: false },
				timeout: 0,
				params: {
					agentId: { type: "string", min: 1, max: 100 },
					toolId: { type: "string", min: 1, max: 300 },
					arguments: { type: "object", optional: true }
				},
				async handler(ctx: Context<InvokeParams, SecuredMeta>): Promise<ToolResult> {
					if (ctx.meta.caller?.kind !== "agent") return asAgent(ctx);
					const tool = find(ctx.params.toolId);
					if (!tool) throw new Errors.MoleculerClientError(`No tool ${ctx.params.toolId}; GET /api/v1/tools lists them`, 404, "TOOL_NOT_FOUND", { toolId: ctx.params.toolId });
					const args = ctx.params.arguments ?? {};
					validate(tool, args);
					// The tool acts for the calling agent: its grant of the tool's capability decides.
					const caller = ctx.meta.caller;
					const agentId = caller.id;
					const grant = await deps.grants.find(agentId, tool.capability);
					if (!grant) throw new PermissionDeniedError(agentId, tool.capability, await deps.requests?.pendingFor(agentId, tool.capability));
					if (tool.requiresConfirmation && caller.trustLevel === "supervised") {
						// The approver sees who asked: the agent itself, or a person acting as it.
						const asker = ctx.meta.user ? `${ctx.meta.user.id}, as supervised agent ${agentId},` : `supervised agent ${agentId}`;
						await deps.approvals.pass({ agentId, action: tool.id, params: args, reason: `${asker} asks to run ${tool.id}`, meta: ctx.meta });
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
	});
}

/**
 * A person's call: made again as the agent it names, so that the security middleware
 * checks the agent's grant of tools.execute, its sanctions and approvals, then the agent's
 * grant of the tool's capability — as for the agent's own ctx.tools call. Who asked stays
 * in the context (`meta.user`) and in the audit entry of this outer call.
 */
async function asAgent(ctx: Context<InvokeParams, SecuredMeta>): Promise<ToolResult> {
	const caller = await actAsAgent(ctx.meta, ctx.params.agentId, "invoke a tool", id => ctx.call("agents.get", { id }), ctx.nodeID ?? undefined);
	const { caller: before, grant } = ctx.meta;
	try {
		return await ctx.call<ToolResult, InvokeParams>("tools.invoke", ctx.params, { meta: { caller } });
	} finally {
		// The sub-call's meta is merged back into this one; the person stays the caller here.
		ctx.meta.caller = before;
		ctx.meta.grant = grant;
	}
}
