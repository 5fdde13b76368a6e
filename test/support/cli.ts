import { spawn } from "node:child_process";
import path from "node:path";
import { CONFIG_SCHEMA } from "../../lib/kernel/config-schema";

export const PROJECT_ROOT = path.resolve(__dirname, "../..");
/** The built CLI, run as a user runs it. */
export const CLI = path.join(PROJECT_ROOT, "dist/cli/agent-os.js");

export interface Run {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** The environment a user has: none of AgentOS's variables but the ones given. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
	const env = { ...process.env };
	for (const key of [...Object.keys(CONFIG_SCHEMA), "AGENTOS_URL", "AGENTOS_TOKEN", "NODE_OPTIONS"]) delete env[key];
	return { ...env, LOG_FORMAT: "json", LOG_LEVEL: "warn", ...extra };
}

/** One CLI command, to its end. */
export function runCli(args: string[], env: Record<string, string> = {}, cwd = PROJECT_ROOT): Promise<Run> {
	const child = spawn("node", [CLI, ...args], { cwd, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
	let stdout = "";
	let stderr = "";
	child.stdout.on("data", d => (stdout += d));
	child.stderr.on("data", d => (stderr += d));
	return new Promise(resolve => child.on("close", code => resolve({ code, stdout, stderr })));
}
