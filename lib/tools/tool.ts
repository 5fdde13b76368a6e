import type { Caller } from "../kernel/caller";
import type { Capability, GrantConstraints } from "../security/capabilities";
import type { JsonSchemaObject } from "../schema/fv-json-schema";

/**
 * A tool, whatever it comes from: a built-in, a tool of an MCP server, or a Moleculer
 * action that declares `tool: true`. The tools service lists them, validates arguments
 * against `parameters`, checks the caller's capability, audits, and calls `run`.
 */
export interface ToolDefinition {
	/** `builtin:http_fetch`, `mcp:<server>:<tool>`, `action:<service.action>`. */
	id: string;
	description: string;
	/** JSON Schema of the arguments (an object schema). */
	parameters: JsonSchemaObject;
	/** What an agent needs a grant of to use it. */
	capability: Capability;
	/** Waits for a person's approval when a supervised agent calls it. */
	requiresConfirmation?: boolean;
	source: "builtin" | "mcp" | "action";
	run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult>;
}

export interface ToolContext {
	/** The calling agent, or null for a person calling through the API. */
	agentId: string | null;
	caller: Caller;
	/** The caller's grant narrowing (paths, domains, commands), when it is an agent. */
	constraints: GrantConstraints;
	/** Ends the call at its time limit. */
	signal: AbortSignal;
}

export interface ToolResult {
	/** What the tool produced, as JSON. */
	content: unknown;
	/** True when output was cut at the size limit. */
	truncated?: boolean;
}

/** The node's rules for the built-in tools, from the configuration. */
export interface ToolPolicy {
	/** Host or host:port entries; `*.example.com` wildcards allowed for public hosts only. */
	allowedDomains: string[];
	allowAllDomains: boolean;
	/** Absolute folders the file tools may touch. */
	allowedPaths: string[];
	allowAllPaths: boolean;
	/** ALLOWED_COMMANDS entries: `git` (arguments checked by its rules), `npm test` (also that subcommand), `make *` (unchecked). */
	allowedCommands: string[];
	allowAllCommands: boolean;
	/** HTTP(S) proxy for http_fetch and browser_snapshot. */
	egressProxyUrl?: string;
	timeoutMs: number;
	maxOutputBytes: number;
}

/** A tool as listed to people and agents (GET /api/v1/tools, the tool loop): its schema and the capability it needs. */
export interface ToolInfo {
	id: string;
	description: string;
	parameters: Record<string, unknown>;
	capability: string;
	requiresConfirmation: boolean;
	source: string;
}
