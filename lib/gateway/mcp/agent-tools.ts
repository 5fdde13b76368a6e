import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { AgentManifest, TaskTypeSpec } from "../../../actors/manifest-types";
import type { ToolInfo } from "../../tools/tool";
import { askToolName } from "./tool-names";

type Schema = Record<string, unknown>;

/** A declarative agent is a chat: one message, and a session to keep the conversation in. */
const CHAT_INPUT: Tool["inputSchema"] = {
	type: "object",
	properties: {
		message: { type: "string", minLength: 1, maxLength: 100_000, description: "What to say to the agent" },
		sessionId: { type: "string", minLength: 1, maxLength: 200, description: "Keeps a conversation: the same id continues it (optional)" }
	},
	required: ["message"],
	additionalProperties: false
};

/** A task type's schema with its `type` fixed, so that the task names itself. */
function taskSchema(type: string, spec: TaskTypeSpec): Schema {
	const schema: Schema = spec.schema ? { ...spec.schema } : { type: "object" };
	const properties = typeof schema.properties === "object" && schema.properties !== null ? (schema.properties as Schema) : {};
	const required = Array.isArray(schema.required) ? (schema.required as unknown[]).filter(r => r !== "type") : [];
	return {
		...schema,
		...(spec.description ? { description: spec.description } : {}),
		properties: { ...properties, type: { const: type } },
		required: ["type", ...required]
	};
}

/**
 * A code agent takes a task: `{task: {type, …}}`, one of its task types with the schema the
 * manifest gives it, or any task with a `type` when the manifest lists none. The task sits
 * under `task` because model APIs refuse a tool whose top-level schema is a choice (anyOf).
 */
function taskInput(manifest: AgentManifest): Tool["inputSchema"] {
	const types = Object.entries(manifest.taskTypes ?? {});
	const task: Schema = types.length
		? { description: `One of the agent's task types: ${types.map(([t]) => t).join(", ")}`, anyOf: types.map(([type, spec]) => taskSchema(type, spec)) }
		: { description: "A task for the agent; `type` names what to do", type: "object", properties: { type: { type: "string", minLength: 1, maxLength: 100 } }, required: ["type"] };
	return { type: "object", properties: { task }, required: ["task"], additionalProperties: false };
}

export function isDeclarative(manifest: AgentManifest): boolean {
	return manifest.runtime === "declarative";
}

/** The `ask_<id>` tool of an agent: its schema from the manifest, its description from the manifest's. */
export function agentTool(manifest: AgentManifest): Tool {
	const about = manifest.description ?? manifest.name;
	const description = isDeclarative(manifest)
		? `Chat with the AgentOS agent "${manifest.name}" (${manifest.id}): ${about}`
		: `Give the AgentOS agent "${manifest.name}" (${manifest.id}) a task and get its result: ${about}`;
	return { name: askToolName(manifest.id), title: manifest.name, description, inputSchema: isDeclarative(manifest) ? CHAT_INPUT : taskInput(manifest) };
}

/** A node tool as an MCP tool: it runs as the agent `agentId` names, with that agent's grants. */
export function nodeTool(name: string, tool: ToolInfo): Tool {
	return {
		name,
		title: tool.id,
		description: `${tool.description} (AgentOS tool ${tool.id}; runs as the agent named by agentId, through its grant of ${tool.capability}, approvals and audit)`,
		inputSchema: {
			type: "object",
			properties: {
				agentId: { type: "string", minLength: 1, maxLength: 100, description: "The agent the tool runs as" },
				arguments: tool.parameters
			},
			required: ["agentId"],
			additionalProperties: false
		}
	};
}
