import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { AgentManifest } from "../../../actors/manifest-types";
import type { Scope } from "../../security/capabilities";
import type { ToolInfo, ToolResult } from "../../tools/tool";
import type { PublicError } from "../error-response";
import { forbidden, GatewayAuth, type GatewayUser } from "../gateway-auth";
import { agentTool, isDeclarative, nodeTool } from "./agent-tools";
import { agentIdOf, nodeToolNames, TOOL_PREFIX } from "./tool-names";

/** Giving an agent work needs what POST /agents/:id/tasks and /chat need. */
const TASK_SCOPE: Scope = "tasks";
/**
 * A node tool runs as an agent (POST /agents/:agentId/tools/:toolId/invoke): there is no
 * tool call of a person's own, and acting as an agent is for admins — so node tools are
 * offered to tokens with the scope that route needs, and no other.
 */
const TOOL_SCOPE: Scope = "admin";

/** What one request's server needs: who asks, and the calls it makes for them (with their meta, so the middlewares apply). */
export interface McpRequestDeps {
	user: GatewayUser;
	name: string;
	version: string;
	/** Calls an action as the user (the gateway's `ctx.call` with `meta.user`). */
	call<T>(action: string, params: Record<string, unknown>): Promise<T>;
	/** The cluster's agents' manifests. */
	manifests(): Promise<AgentManifest[]>;
	/** One agent's manifest, or undefined when there is no such agent. */
	manifest(id: string): Promise<AgentManifest | undefined>;
	/** A refusal for want of a scope, for the audit log. */
	refused(reason: string): void;
	/** An error as REST shows it (error-response.ts): a bug's text stays in the log. */
	describe(err: unknown): PublicError;
}

type Args = Record<string, unknown>;

function asObject(value: unknown): Args | undefined {
	return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Args) : undefined;
}

/** A tool's answer: text a model reads, and the JSON itself for hosts that use it. */
function answer(text: string, structured: unknown): CallToolResult {
	const structuredContent = asObject(structured) ?? { result: structured };
	return { content: [{ type: "text", text }], structuredContent };
}

/** A refusal or failure as an MCP tool error: the host's model sees why, the conversation goes on. */
function toolError(error: PublicError): CallToolResult {
	return { isError: true, content: [{ type: "text", text: `${error.type}: ${error.message}` }], structuredContent: { error } };
}

function badArguments(tool: string, message: string): PublicError {
	return { type: "INVALID_ARGUMENTS", message: `${tool}: ${message}` };
}

/**
 * The MCP server for one request (the transport is stateless, so every request gets its
 * own): `tools/list` and `tools/call` over what the token may use. Asking an agent is
 * `agents.submitTask` (code agents) or `chat.send` (declarative ones), a node tool is
 * `tools.invoke` — the actions REST calls, so grants, sanctions, budgets and audit apply.
 */
export function createMcpServer(deps: McpRequestDeps): Server {
	const { user } = deps;
	const server = new Server({ name: deps.name, version: deps.version }, { capabilities: { tools: {} } });

	async function nodeTools(): Promise<{ names: Map<string, string>; tools: ToolInfo[] }> {
		const tools = await deps.call<ToolInfo[]>("tools.list", {});
		return { names: nodeToolNames(tools.map(t => t.id)), tools };
	}

	server.setRequestHandler(ListToolsRequestSchema, async () => {
		const tools: Tool[] = [];
		if (GatewayAuth.allows(user, TASK_SCOPE)) tools.push(...(await deps.manifests()).map(agentTool));
		if (GatewayAuth.allows(user, TOOL_SCOPE)) {
			const { names, tools: infos } = await nodeTools();
			const byId = new Map(infos.map(t => [t.id, t]));
			for (const [name, id] of names) tools.push(nodeTool(name, byId.get(id)!));
		}
		return { tools };
	});

	async function ask(name: string, manifest: AgentManifest, args: Args): Promise<CallToolResult> {
		if (!GatewayAuth.allows(user, TASK_SCOPE)) {
			deps.refused(`missing scope ${TASK_SCOPE}`);
			return toolError(deps.describe(forbidden(user, TASK_SCOPE)));
		}
		if (isDeclarative(manifest)) {
			if (typeof args.message !== "string") return toolError(badArguments(name, "arguments.message is required: what to say to the agent"));
			const reply = await deps.call<{ answer?: string | null; stopReason?: string }>("chat.send", { id: manifest.id, message: args.message, ...(args.sessionId === undefined ? {} : { sessionId: args.sessionId }) });
			// A loop that stopped before answering (its step or token limit) says so rather than answering nothing.
			return answer(reply.answer ?? `(no answer: the agent stopped with ${reply.stopReason ?? "no reason given"})`, reply);
		}
		const task = asObject(args.task);
		if (!task) return toolError(badArguments(name, "arguments.task is required: an object whose `type` names the task"));
		const done = await deps.call<{ taskId: string; result?: unknown }>("agents.submitTask", { id: manifest.id, task });
		return answer(JSON.stringify(done.result ?? null), { taskId: done.taskId, result: done.result ?? null });
	}

	async function invoke(name: string, args: Args): Promise<CallToolResult> {
		if (!GatewayAuth.allows(user, TOOL_SCOPE)) {
			deps.refused(`missing scope ${TOOL_SCOPE}`);
			return toolError(deps.describe(forbidden(user, TOOL_SCOPE)));
		}
		const toolId = (await nodeTools()).names.get(name);
		if (!toolId) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}; tools/list names the tools`);
		if (typeof args.agentId !== "string") return toolError(badArguments(name, "arguments.agentId is required: the agent the tool runs as"));
		const result = await deps.call<ToolResult>("tools.invoke", { agentId: args.agentId, toolId, arguments: asObject(args.arguments) ?? {} });
		const content = typeof result.content === "string" ? result.content : JSON.stringify(result.content);
		return answer(content, result);
	}

	server.setRequestHandler(CallToolRequestSchema, async request => {
		const { name } = request.params;
		const args = request.params.arguments ?? {};
		const agentId = agentIdOf(name);
		// Unknown names are protocol errors (the host asked for a tool that is not there); everything after is the tool's own answer.
		const manifest = agentId === undefined ? undefined : await deps.manifest(agentId);
		if (!manifest && !name.startsWith(TOOL_PREFIX)) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}; tools/list names the tools`);
		try {
			return manifest ? await ask(name, manifest, args) : await invoke(name, args);
		} catch (err) {
			if (err instanceof McpError) throw err;
			return toolError(deps.describe(err));
		}
	});

	return server;
}
