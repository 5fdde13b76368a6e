import { ConfigError } from "../../kernel/errors";
import { isCapability, type Capability } from "../../security/capabilities";

/**
 * `MCP_SERVERS`: the MCP servers whose tools agents may use. The value is a secret (it may
 * hold tokens in `env` or `headers`), so errors name the bad field, never echo a value.
 */

const KEY = "MCP_SERVERS";
const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_TIMEOUT_MS = 3_600_000;

interface McpServerCommon {
	name: string;
	/** Tool names to offer; `["*"]` offers all. Empty (the default) offers none. */
	tools: string[];
	capability: Capability;
	/** Time limit of one call, when set; otherwise the caller's (TOOL_TIMEOUT_MS). */
	timeoutMs?: number;
}

export interface McpStdioServerConfig extends McpServerCommon {
	transport: "stdio";
	command: string;
	args: string[];
	/** The only variables the server gets, besides PATH (and the SDK's HOME/USER/SHELL/TERM/LOGNAME). */
	env: Record<string, string>;
	cwd?: string;
}

export interface McpHttpServerConfig extends McpServerCommon {
	transport: "http";
	url: string;
	headers: Record<string, string>;
}

export type McpServerConfig = McpStdioServerConfig | McpHttpServerConfig;

const COMMON_FIELDS = ["name", "transport", "tools", "capability", "timeoutMs"];
const STDIO_FIELDS = [...COMMON_FIELDS, "command", "args", "env", "cwd"];
const HTTP_FIELDS = [...COMMON_FIELDS, "url", "headers"];

function fail(where: string, message: string): never {
	throw new ConfigError(`${KEY}: ${where} ${message}`, KEY);
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringArray(value: unknown, where: string): string[] {
	if (!Array.isArray(value) || !value.every(v => typeof v === "string")) fail(where, "must be an array of strings");
	return value as string[];
}

function stringRecord(value: unknown, where: string, keyPattern?: RegExp): Record<string, string> {
	if (!isRecord(value)) fail(where, "must be an object of strings");
	for (const [k, v] of Object.entries(value)) {
		if (typeof v !== "string") fail(`${where}.${k}`, "must be a string");
		if (keyPattern && !keyPattern.test(k)) fail(`${where}.${k}`, "is not a valid name");
	}
	return value as Record<string, string>;
}

function nonEmptyString(value: unknown, where: string): string {
	if (typeof value !== "string" || value.trim() === "") fail(where, "must be a non-empty string");
	return value;
}

function parseServer(entry: unknown, index: number): McpServerConfig {
	const at = `[${index}]`;
	if (!isRecord(entry)) fail(at, "must be an object");
	if (typeof entry.name !== "string" || !NAME.test(entry.name)) {
		fail(`${at}.name`, "must match /^[a-z][a-z0-9-]{0,31}$/ (lowercase letters, digits, dashes)");
	}
	const where = `server "${entry.name}"`;
	const transport = entry.transport;
	if (transport !== "stdio" && transport !== "http") fail(`${where}: transport`, 'must be "stdio" or "http"');
	const known = transport === "stdio" ? STDIO_FIELDS : HTTP_FIELDS;
	const unknown = Object.keys(entry).filter(k => !known.includes(k));
	if (unknown.length > 0) fail(`${where}:`, `has unknown field(s) ${unknown.join(", ")} for transport ${transport}`);

	const tools = entry.tools === undefined ? [] : stringArray(entry.tools, `${where}: tools`);
	const capability = entry.capability ?? "tools.execute";
	if (typeof capability !== "string" || !isCapability(capability)) fail(`${where}: capability`, "is not a known capability");
	let timeoutMs: number | undefined;
	if (entry.timeoutMs !== undefined) {
		const t = entry.timeoutMs;
		if (typeof t !== "number" || !Number.isInteger(t) || t < 1 || t > MAX_TIMEOUT_MS) {
			fail(`${where}: timeoutMs`, `must be an integer from 1 to ${MAX_TIMEOUT_MS}`);
		}
		timeoutMs = t;
	}
	const common = { name: entry.name, tools, capability, ...(timeoutMs === undefined ? {} : { timeoutMs }) };

	if (transport === "stdio") {
		const cwd = entry.cwd === undefined ? undefined : nonEmptyString(entry.cwd, `${where}: cwd`);
		return {
			...common,
			transport,
			command: nonEmptyString(entry.command, `${where}: command`),
			args: entry.args === undefined ? [] : stringArray(entry.args, `${where}: args`),
			env: entry.env === undefined ? {} : stringRecord(entry.env, `${where}: env`, ENV_NAME),
			...(cwd === undefined ? {} : { cwd })
		};
	}
	const url = nonEmptyString(entry.url, `${where}: url`);
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		fail(`${where}: url`, "is not a valid URL");
	}
	if (parsed.protocol !== "http:" && parsed.protocol !== "https:") fail(`${where}: url`, "must be http:// or https://");
	return {
		...common,
		transport,
		url,
		headers: entry.headers === undefined ? {} : stringRecord(entry.headers, `${where}: headers`)
	};
}

/** Parse and check `MCP_SERVERS`; unset or blank means no servers. */
export function parseMcpServers(raw: string | undefined): McpServerConfig[] {
	if (raw === undefined || raw.trim() === "") return [];
	let value: unknown;
	try {
		value = JSON.parse(raw);
	} catch {
		throw new ConfigError(`${KEY}: is not valid JSON`, KEY);
	}
	if (!Array.isArray(value)) throw new ConfigError(`${KEY}: must be a JSON array of servers`, KEY);
	const servers = value.map(parseServer);
	const seen = new Set<string>();
	for (const s of servers) {
		if (seen.has(s.name)) fail(`server "${s.name}":`, "name is used twice");
		seen.add(s.name);
	}
	return servers;
}

/** Whether the server's allowlist offers this tool. */
export function isToolAllowed(server: Pick<McpServerConfig, "tools">, toolName: string): boolean {
	return server.tools.includes("*") || server.tools.includes(toolName);
}
