import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ToolPolicy } from "../tool";
import { isInside } from "./path-guard";
import { refuse } from "./shell-refusal";

type Policy = Pick<ToolPolicy, "allowedPaths" | "allowAllPaths">;

/** The allowed folders as real paths (a missing one allows nothing). */
export async function realAllowedPaths(policy: Policy): Promise<string[]> {
	const real = await Promise.all(policy.allowedPaths.map(p => fsp.realpath(p).catch(() => null)));
	return real.filter((p): p is string => p !== null);
}

/**
 * A new empty folder for the command's HOME, outside every allowed folder: programs read
 * their settings from HOME (~/.gitconfig, ~/.npmrc), and agents can write in the allowed
 * folders. Removed after the command.
 */
export async function privateHome(policy: Policy): Promise<string> {
	const allowed = await realAllowedPaths(policy);
	for (const base of [os.tmpdir(), "/var/tmp", "/tmp"]) {
		const real = await fsp.realpath(base).catch(() => null);
		if (real === null || (!policy.allowAllPaths && allowed.some(dir => isInside(real, dir)))) continue;
		return fsp.mkdtemp(path.join(real, "agentos-shell-home-"));
	}
	return refuse("no temporary folder outside ALLOWED_PATHS is left for the command's private home; narrow ALLOWED_PATHS", {
		rule: "private-home"
	});
}

/**
 * Everything the command's environment holds: nothing of the node's own (no tokens,
 * no keys), and no user or system settings for git or npm.
 */
export async function commandEnv(searchPath: string, home: string, policy: Policy): Promise<Record<string, string>> {
	// git does not look for a repository above the allowed folders.
	const ceilings = policy.allowAllPaths ? [] : [...new Set((await realAllowedPaths(policy)).map(p => path.dirname(p)))];
	return {
		PATH: searchPath,
		HOME: home,
		LANG: "C.UTF-8",
		XDG_CONFIG_HOME: path.join(home, ".config"),
		GIT_CONFIG_NOSYSTEM: "1",
		GIT_CONFIG_GLOBAL: "/dev/null",
		GIT_ATTR_NOSYSTEM: "1",
		GIT_TERMINAL_PROMPT: "0",
		// git status would otherwise refresh and write the index, which runs hooks.
		GIT_OPTIONAL_LOCKS: "0",
		...(ceilings.length ? { GIT_CEILING_DIRECTORIES: ceilings.join(path.delimiter) } : {}),
		npm_config_userconfig: "/dev/null",
		// The environment beats a .npmrc in the folder: `npm ls` stays in the folder.
		npm_config_global: "false",
		npm_config_update_notifier: "false",
		npm_config_fund: "false"
	};
}
