import { agentIdOf, askToolName, nodeToolNames } from "../../lib/gateway/mcp/tool-names";
import { agentTool } from "../../lib/gateway/mcp/agent-tools";
import type { AgentManifest } from "../../actors/manifest-types";

const MCP_NAME = /^[A-Za-z0-9_-]{1,128}$/;

describe("MCP tool names for agents and node tools", () => {
	it("names an agent ask_<id> and reads the id back", () => {
		expect(askToolName("research-bot-2")).toBe("ask_research-bot-2");
		expect(agentIdOf(askToolName("research-bot-2"))).toBe("research-bot-2");
		expect(agentIdOf("ask_")).toBeUndefined();
		expect(agentIdOf("tool_builtin_http_fetch")).toBeUndefined();
	});

	it("gives node tool ids names MCP hosts accept, each unique and leading back to its id", () => {
		const ids = ["mcp:fs:read_file", "mcp:fs/read:file", "builtin:http_fetch", "action:agents.list", `mcp:${"x".repeat(200)}`];
		const names = nodeToolNames(ids);
		expect(names.size).toBe(ids.length);
		for (const name of names.keys()) expect(name).toMatch(MCP_NAME);
		expect([...names.values()].sort()).toEqual([...ids].sort());
		expect(names.get("tool_builtin_http_fetch")).toBe("builtin:http_fetch");
		expect(names.get("tool_action_agents_list")).toBe("action:agents.list");
		// Two ids that would meet get distinct names, the same whatever order they come in.
		expect(nodeToolNames([...ids].reverse())).toEqual(names);
		expect(names.get("tool_mcp_fs_read_file")).toBe("mcp:fs/read:file");
		expect(names.get("tool_mcp_fs_read_file_2")).toBe("mcp:fs:read_file");
	});
});

describe("an agent's tool schema", () => {
	const manifest = (extra: Partial<AgentManifest>): AgentManifest => ({ id: "bot", name: "Bot", version: "1.0.0", runtime: "process", permissions: [], trustLevel: "supervised", ...extra }) as AgentManifest;

	it("takes any task with a type when the manifest lists no task types", () => {
		expect(agentTool(manifest({})).inputSchema).toEqual({
			type: "object",
			properties: { task: expect.objectContaining({ type: "object", required: ["type"] }) },
			required: ["task"],
			additionalProperties: false
		});
	});

	it("keeps a task type's own schema and fixes its type, even when the schema forbids other fields", () => {
		const tool = agentTool(manifest({ taskTypes: { sum: { schema: { type: "object", additionalProperties: false, properties: { a: { type: "number" } }, required: ["a"] } } } }));
		const task = (tool.inputSchema.properties as { task: { anyOf: Record<string, unknown>[] } }).task;
		expect(task.anyOf).toEqual([{ type: "object", additionalProperties: false, properties: { a: { type: "number" }, type: { const: "sum" } }, required: ["type", "a"] }]);
	});
});
