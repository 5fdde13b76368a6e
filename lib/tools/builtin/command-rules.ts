import type { CommandRule } from "./command-rule";
import { GIT_RULE } from "./git-rules";

/**
 * The commands shell_exec knows, each with the arguments it accepts. A command not
 * here runs only when the operator allows it with unchecked arguments (`make *` in
 * ALLOWED_COMMANDS). What is left out is left out on purpose: find's -exec, -execdir,
 * -ok, -okdir, -delete, -fprint, -fprintf, -fls and -L; grep's -f and -R; wc's
 * --files0-from; ls's -L; tail's -f; node's everything but --version; npm's outdated, which
 * asks the registry that the folder's .npmrc (writable by agents) names.
 */
export const COMMAND_RULES: Readonly<Record<string, CommandRule>> = {
	git: GIT_RULE,
	ls: {
		flags: ["-a", "-A", "-l", "-h", "-R", "-1", "-d", "-F", "-p", "-t", "-S", "-r", "-s", "-i", "-n", "-g", "-o", "-G", "-U", "-X",
			"--all", "--almost-all", "--human-readable", "--recursive", "--reverse", "--classify", "--directory", "--size", "--inode", "--numeric-uid-gid", "--full-time"],
		options: { "--sort=": "text", "--color=": "text", "--time-style=": "text" },
		operands: "path"
	},
	find: {
		wordOptions: true,
		// -P (never follow symlinks) is find's default; -H and -L would follow them out of the allowed folders.
		flags: ["-P", "-print", "-print0", "-ls", "-empty", "-prune", "-quit", "-depth", "-xdev", "-mount", "-true", "-false",
			"-readable", "-writable", "-executable", "-nouser", "-nogroup", "-a", "-and", "-o", "-or", "-not"],
		options: {
			"-name": "text", "-iname": "text", "-path": "text", "-ipath": "text", "-wholename": "text", "-iwholename": "text",
			"-regex": "text", "-iregex": "text", "-regextype": "text", "-lname": "text", "-ilname": "text",
			"-type": "text", "-xtype": "text", "-size": "text", "-perm": "text", "-user": "text", "-group": "text", "-links": "text",
			"-mtime": "text", "-mmin": "text", "-atime": "text", "-amin": "text", "-ctime": "text", "-cmin": "text",
			"-maxdepth": "number", "-mindepth": "number", "-newer": "path", "-printf": "text"
		},
		words: ["(", ")", "!", ","],
		operands: "path"
	},
	cat: { flags: ["-n", "-b", "-A", "-E", "-s", "-T", "-v", "--number", "--number-nonblank", "--show-all", "--squeeze-blank"], operands: "path" },
	echo: { flags: ["-n", "-e", "-E"], operands: "text" },
	wc: { flags: ["-l", "-w", "-c", "-m", "-L", "--lines", "--words", "--bytes", "--chars", "--max-line-length"], operands: "path" },
	head: { flags: ["-q", "-v", "--quiet", "--verbose"], options: { "-n": "number", "-c": "number", "--lines": "number", "--bytes": "number" }, numericFlag: true, operands: "path" },
	tail: { flags: ["-q", "-v", "--quiet", "--verbose"], options: { "-n": "number", "-c": "number", "--lines": "number", "--bytes": "number" }, numericFlag: true, operands: "path" },
	grep: {
		// -r follows no symlinks below the named folders; -R would.
		flags: ["-i", "-n", "-r", "-l", "-L", "-c", "-v", "-w", "-x", "-H", "-h", "-E", "-F", "-G", "-o", "-s", "-q", "-I", "-a", "-z", "-Z",
			"--ignore-case", "--line-number", "--recursive", "--files-with-matches", "--files-without-match", "--count", "--invert-match",
			"--word-regexp", "--line-regexp", "--with-filename", "--no-filename", "--extended-regexp", "--fixed-strings", "--only-matching",
			"--no-messages", "--quiet"],
		options: { "-e": "text", "--regexp": "text", "-m": "number", "--max-count": "number", "-A": "number", "-B": "number", "-C": "number",
			"--include": "text", "--exclude": "text", "--exclude-dir": "text", "--color=": "text", "--binary-files=": "text" },
		firstOperand: "text",
		firstOperandUnless: ["-e", "--regexp"],
		operands: "path"
	},
	pwd: { flags: ["-L", "-P"] },
	sleep: { operands: "number", maxOperands: 1 },
	seq: { flags: ["-w", "--equal-width"], options: { "-s": "text", "--separator": "text" }, operands: "number", maxOperands: 3 },
	node: { flags: ["--version", "-v"] },
	npm: {
		flags: ["--version", "-v"],
		subcommands: {
			ls: { flags: ["--all", "-a", "--json", "--long", "-l", "--parseable", "-p", "--prod", "--dev"], options: { "--depth": "number", "--omit": "text" }, operands: "package" },
			test: { runsProjectCode: "runs the test script of the folder's package.json" }
		}
	}
};
