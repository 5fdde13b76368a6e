import path from "node:path";
import type { Config } from "../kernel/config";
import type { ToolPolicy } from "./tool";

const list = (raw: string | undefined) =>
	(raw ?? "")
		.split(",")
		.map(s => s.trim())
		.filter(Boolean);

/** The built-in tools' rules, from the configuration (paths resolved against the working directory). */
export function toolPolicy(config: Config): ToolPolicy {
	return {
		allowedDomains: list(config.ALLOWED_DOMAINS).map(d => d.toLowerCase()),
		allowAllDomains: config.ALLOW_ALL_DOMAINS,
		allowedPaths: list(config.ALLOWED_PATHS).map(p => path.resolve(p)),
		allowAllPaths: config.ALLOW_ALL_PATHS,
		allowedCommands: list(config.ALLOWED_COMMANDS),
		allowAllCommands: config.ALLOW_ALL_COMMANDS,
		egressProxyUrl: config.AGENT_EGRESS_PROXY_URL,
		timeoutMs: config.TOOL_TIMEOUT_MS,
		maxOutputBytes: config.TOOL_MAX_OUTPUT_BYTES
	};
}
