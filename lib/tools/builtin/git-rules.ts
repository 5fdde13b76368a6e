import type { CommandRule } from "./command-rule";

/**
 * git's read-only subcommands. Nothing that sets configuration (`-c`, `--config-env`),
 * moves the repository (`-C`, `--git-dir`, `--work-tree`), reaches a remote
 * (`--upload-pack`, `--receive-pack`), writes a file (`--output`) or runs a diff or
 * conversion program (`--ext-diff`, `--textconv`) is listed, so all of them are refused.
 * Long options with a value take only `--name=value`: git reads some (`--format`) only
 * that way, and a separate word would be a revision the check took for the value.
 */

/** Diff output options shared by diff, log and show. */
const DIFF_FLAGS = [
	"-p",
	"--patch",
	"-s",
	"--no-patch",
	"--raw",
	"--stat",
	"--numstat",
	"--shortstat",
	"--summary",
	"--name-only",
	"--name-status",
	"--no-color",
	"--no-renames",
	"-M",
	"--find-renames",
	"-w",
	"--ignore-all-space",
	"-b",
	"--ignore-space-change",
	"--ignore-blank-lines",
	"--word-diff",
	"--color-words",
	"--full-index",
	"--binary",
	"--abbrev",
	"-R",
	"-z"
] as const;

const DIFF_OPTIONS = {
	"-U": "number",
	"--unified=": "number",
	"--stat=": "text",
	"--color=": "text",
	"--word-diff=": "text",
	"--diff-filter=": "text",
	"--abbrev=": "number",
	"-M=": "text"
} as const;

/** Switched off whatever the repository's .gitattributes ask for. */
const NO_PROGRAMS = ["--no-ext-diff", "--no-textconv"] as const;

const LOG_FLAGS = [
	...DIFF_FLAGS,
	"--oneline",
	"--graph",
	"--decorate",
	"--no-decorate",
	"--all",
	"--branches",
	"--tags",
	"--remotes",
	"--reverse",
	"--first-parent",
	"--merges",
	"--no-merges",
	"--follow",
	"--date-order",
	"--topo-order",
	"--abbrev-commit",
	"--no-abbrev-commit",
	"-i",
	"--regexp-ignore-case",
	"--all-match",
	"--left-right",
	"--cherry-pick",
	"--boundary"
] as const;

const LOG_OPTIONS = {
	...DIFF_OPTIONS,
	"-n": "number",
	"--max-count=": "number",
	"--skip=": "number",
	"--since=": "text",
	"--after=": "text",
	"--until=": "text",
	"--before=": "text",
	"--author=": "text",
	"--committer=": "text",
	"--grep=": "text",
	"--format=": "text",
	"--pretty=": "text",
	"--date=": "text",
	"--decorate=": "text",
	"-S": "text",
	"-G": "text"
} as const;

export const GIT_RULE: CommandRule = {
	flags: ["--version", "--no-pager"],
	subcommands: {
		status: {
			flags: ["-s", "--short", "-b", "--branch", "--porcelain", "--long", "-v", "--verbose", "-z", "--show-stash", "--ahead-behind", "--no-ahead-behind", "--ignored", "--no-renames"],
			options: { "--porcelain=": "text", "--untracked-files=": "text", "--ignored=": "text" },
			operands: "revision",
			// A submodule has its own configuration, which is not checked: git does not go in.
			fixedArgs: ["--ignore-submodules=all"]
		},
		diff: {
			flags: [...DIFF_FLAGS, "--cached", "--staged", "--check", "--merge-base", "--exit-code", "--quiet"],
			options: DIFF_OPTIONS,
			operands: "revision",
			fixedArgs: [...NO_PROGRAMS, "--ignore-submodules=all"]
		},
		log: { flags: LOG_FLAGS, options: LOG_OPTIONS, operands: "revision", numericFlag: true, fixedArgs: NO_PROGRAMS },
		show: { flags: LOG_FLAGS, options: LOG_OPTIONS, operands: "revision", fixedArgs: NO_PROGRAMS },
		branch: {
			flags: ["--list", "-l", "-a", "--all", "-r", "--remotes", "-v", "-vv", "--verbose", "--show-current", "--no-color", "--merged", "--no-merged"],
			options: { "--sort=": "text", "--format=": "text", "--contains=": "text", "--color=": "text", "--merged=": "text" }
		},
		"rev-parse": {
			flags: ["--show-toplevel", "--show-prefix", "--show-cdup", "--is-inside-work-tree", "--abbrev-ref", "--symbolic-full-name", "--verify", "-q", "--quiet", "--short"],
			options: { "--short=": "number" },
			operands: "revision"
		},
		"ls-files": {
			flags: ["--cached", "--others", "--modified", "--deleted", "--ignored", "--exclude-standard", "--directory", "--stage", "--full-name", "--error-unmatch", "-o", "-m", "-d", "-s", "-z", "-t"],
			operands: "revision"
		}
	}
};
