import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { ToolPolicy } from "../tool";
import { resolveInside } from "./path-guard";
import { SHELL_EXEC_ID, refuse } from "./shell-refusal";

const run = promisify(execFile);

/**
 * Put before every git command by the tool itself: settings given with -c beat the
 * repository's own, and the allowed folders are writable by agents, so a repository
 * there may ask git to run programs (fsmonitor, hooks, pagers, remote helpers).
 */
export const GIT_OVERRIDES: readonly string[] = [
	"--no-pager",
	"-c", "core.fsmonitor=false",
	"-c", "core.hooksPath=/dev/null",
	"-c", "core.pager=cat",
	"-c", "protocol.allow=never",
	"-c", "credential.helper="
];

/**
 * The repository settings git may read. Anything else in a repository's config (its
 * .git/config, an included file, config.worktree) makes shell_exec refuse to run git
 * there: core.fsmonitor, core.hooksPath, core.sshCommand, core.pager, core.editor,
 * diff.external, diff.<driver>.textconv, filter.<driver>.clean, include.path, alias.* …
 * name programs or files, and a list of what is safe cannot go out of date.
 * `*` stands for one name (a remote, a branch).
 */
const SAFE_KEYS = [
	"core.repositoryformatversion", "core.filemode", "core.bare", "core.logallrefupdates", "core.ignorecase", "core.precomposeunicode",
	"core.symlinks", "core.autocrlf", "core.eol", "core.safecrlf", "core.quotepath", "core.abbrev", "core.checkstat", "core.trustctime",
	"extensions.objectformat", "extensions.worktreeconfig",
	"remote.*.url", "remote.*.fetch", "remote.*.pushurl", "remote.*.tagopt", "remote.*.prune",
	"branch.*.remote", "branch.*.merge", "branch.*.rebase", "branch.*.pushremote", "submodule.*.url", "submodule.*.active",
	"user.name", "user.email", "author.name", "author.email", "committer.name", "committer.email",
	"init.defaultbranch", "pull.rebase", "pull.ff", "push.default", "fetch.prune",
	"color.ui", "color.*.*", "advice.*",
	"status.showuntrackedfiles", "status.short", "status.branch", "status.relativepaths", "status.renames", "status.aheadbehind",
	"log.date", "log.decorate", "log.abbrevcommit",
	"diff.renames", "diff.algorithm", "diff.context", "diff.interhunkcontext", "diff.mnemonicprefix", "diff.noprefix", "diff.indentheuristic",
	"i18n.commitencoding", "i18n.logoutputencoding"
];
const SAFE = new RegExp(`^(${SAFE_KEYS.map(k => k.replace(/\./g, "\\.").replace(/\*/g, "[^\\n]+")).join("|")})$`);

export interface GitRepository {
	gitDir: string;
	commonDir: string;
}

type Policy = Pick<ToolPolicy, "allowedPaths" | "allowAllPaths" | "timeoutMs">;

async function git(program: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, policy: Policy): Promise<string> {
	try {
		const { stdout } = await run(program, [...GIT_OVERRIDES, ...args], { cwd, env, timeout: policy.timeoutMs, maxBuffer: 1 << 20 });
		return stdout;
	} catch (err) {
		const stderr = String((err as { stderr?: unknown }).stderr ?? "").trim();
		return refuse(`git: ${cwd} is not inside a git repository git may use here${stderr ? ` (${stderr.split("\n")[0]})` : ""}`, { cwd });
	}
}

async function inside(what: string, p: string, policy: Policy, narrowed: string[] | undefined): Promise<string> {
	try {
		return await resolveInside(p, policy, narrowed, SHELL_EXEC_ID);
	} catch {
		return refuse(`git: the repository's ${what} ${p} is outside the allowed folders`, { [what]: p });
	}
}

/** The repository's own settings (not the ones the tool passes with -c), as [scope, key] pairs. */
function repositoryKeys(list: string): [string, string][] {
	const parts = list.split("\0");
	const out: [string, string][] = [];
	for (let i = 0; i + 1 < parts.length; i += 2) {
		const key = parts[i + 1].split("\n")[0];
		if (parts[i] !== "command") out.push([parts[i], key]);
	}
	return out;
}

/**
 * Refuses to run git unless the repository the working folder belongs to, its object
 * store and anything it borrows objects from (alternates) are inside the allowed
 * folders, and its configuration holds only settings that run nothing.
 */
export async function checkGitRepository(program: string, cwd: string, env: NodeJS.ProcessEnv, policy: Policy, narrowed?: string[]): Promise<GitRepository> {
	const [gitDirOut, commonOut] = (await git(program, ["rev-parse", "--absolute-git-dir", "--git-common-dir"], cwd, env, policy)).trim().split("\n");
	const gitDir = await inside("git folder", gitDirOut, policy, narrowed);
	const commonDir = await inside("common git folder", path.resolve(cwd, commonOut ?? gitDirOut), policy, narrowed);
	const objects = path.join(commonDir, "objects");
	const alternates = await fsp.readFile(path.join(objects, "info", "alternates"), "utf8").catch(() => "");
	for (const line of alternates.split("\n").map(l => l.trim())) {
		if (line && !line.startsWith("#")) await inside("alternate object store", path.resolve(objects, line), policy, narrowed);
	}
	for (const [scope, key] of repositoryKeys(await git(program, ["config", "--list", "--show-scope", "-z"], cwd, env, policy))) {
		if (!SAFE.test(key)) {
			refuse(`git: the repository's ${scope} config sets ${key}, which shell_exec does not let git read from a repository (it could run a program or reach outside); remove it to run git here`, {
				command: "git",
				rule: "repository-config",
				key
			});
		}
	}
	return { gitDir, commonDir };
}
