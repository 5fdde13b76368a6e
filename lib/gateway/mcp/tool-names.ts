/**
 * MCP tool names for what AgentOS offers. MCP allows `[A-Za-z0-9_.-]{1,128}`; many hosts
 * pass tools on to a model API that allows no dots, so names keep to `[A-Za-z0-9_-]`.
 * An agent's id (lower-case letters, digits, dashes) fits as it is: `ask_<id>`, read back
 * by dropping the prefix. A node tool's id (`builtin:http_fetch`, `mcp:fs:read`) does
 * not: `tool_<id>` with every other character made `_`, and a `_2`, `_3`… where two ids
 * would meet; the server builds the names on every request from the same sorted list, so
 * a name always leads back to the id it was made from.
 */
export const ASK_PREFIX = "ask_";
export const TOOL_PREFIX = "tool_";
const MAX_NAME = 128;

export function askToolName(agentId: string): string {
	return `${ASK_PREFIX}${agentId}`;
}

/** The agent an `ask_` name stands for, or undefined when it is none. */
export function agentIdOf(name: string): string | undefined {
	return name.startsWith(ASK_PREFIX) && name.length > ASK_PREFIX.length ? name.slice(ASK_PREFIX.length) : undefined;
}

/** Unique names for node tool ids, in the order given (sorted by the caller, so stable). */
export function nodeToolNames(ids: string[]): Map<string, string> {
	const names = new Map<string, string>();
	const taken = new Set<string>();
	for (const id of [...ids].sort()) {
		const base = `${TOOL_PREFIX}${id.replace(/[^A-Za-z0-9_-]/g, "_")}`.slice(0, MAX_NAME - 4);
		let name = base;
		for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
		taken.add(name);
		names.set(name, id);
	}
	return names;
}
