import { parseAllowedCommands, planCommand } from "../../lib/tools/builtin/command-allowlist";
import { ToolRefusedError } from "../../lib/tools/errors";
import type { ToolPolicy } from "../../lib/tools/tool";

const policy = (allowedCommands: string[], allowAllCommands = false): ToolPolicy => ({
	allowedDomains: [],
	allowAllDomains: false,
	allowedPaths: ["/srv/repos"],
	allowAllPaths: false,
	allowedCommands,
	allowAllCommands,
	timeoutMs: 1000,
	maxOutputBytes: 1024
});
// The README's own example list.
const node = policy(["git", "ls", "echo", "find", "cat", "wc", "head", "tail", "grep", "node", "npm"]);

function refusal(command: string, args: string[], p = node): ToolRefusedError {
	try {
		planCommand(command, args, p);
	} catch (err) {
		expect(err).toBeInstanceOf(ToolRefusedError);
		return err as ToolRefusedError;
	}
	throw new Error(`${command} ${args.join(" ")} was not refused`);
}

describe("shell_exec command policy", () => {
	it.each([
		["git", ["-c", "alias.x=!touch /tmp/pwned", "x"], "-c"],
		["git", ["-c", "core.fsmonitor=touch /tmp/pwned", "status"], "-c"],
		["git", ["--config-env=core.pager=X", "log"], "--config-env=core.pager=X"],
		["git", ["--upload-pack=touch /tmp/pwned", "ls-remote", "."], "--upload-pack=touch /tmp/pwned"],
		["git", ["--git-dir=/etc", "status"], "--git-dir=/etc"],
		["git", ["--work-tree=/", "status"], "--work-tree=/"],
		["git", ["-C", "/", "status"], "-C"],
		["git", ["--exec-path=/tmp", "status"], "--exec-path=/tmp"],
		["git", ["-p", "log"], "-p"],
		["git", ["log", "--output=/tmp/pwned"], "--output=/tmp/pwned"],
		["git", ["diff", "--ext-diff"], "--ext-diff"],
		["git", ["diff", "--textconv"], "--textconv"],
		["git", ["diff", "--no-index", "/etc/passwd", "x"], "--no-index"],
		["git", ["status", "-u"], "-u"],
		["git", ["log", "--upload-pac=x"], "--upload-pac=x"],
		["find", [".", "-exec", "touch", "/tmp/pwned", ";"], "-exec"],
		["find", [".", "-execdir", "touch", "pwned", ";"], "-execdir"],
		["find", [".", "-ok", "rm", "{}", ";"], "-ok"],
		["find", [".", "-okdir", "rm", "{}", ";"], "-okdir"],
		["find", [".", "-fprint", "/tmp/pwned"], "-fprint"],
		["find", [".", "-fprintf", "/tmp/pwned", "x"], "-fprintf"],
		["find", [".", "-fls", "/tmp/pwned"], "-fls"],
		["find", [".", "-delete"], "-delete"],
		["find", ["-L", "."], "-L"],
		// find reads `--` as the end of -H/-L/-P only: what follows is still its expression.
		["find", ["--", ".", "-exec", "touch", "/tmp/pwned", ";"], "--"],
		["grep", ["-f", "/etc/passwd", "x"], "-f"],
		["grep", ["-R", "x", "."], "-R"],
		["wc", ["--files0-from=/etc/list"], "--files0-from=/etc/list"],
		["ls", ["-L", "link"], "-L"],
		["ls", ["-laL"], "-laL"],
		["node", ["-e", "require('child_process').execSync('id')"], "-e"],
		["node", ["--require=/tmp/evil.js", "--version"], "--require=/tmp/evil.js"]
	])("%s %j: refuses the option %s, naming it and the rule", (command, args, argument) => {
		const err = refusal(command, args);
		expect(err.code).toBe(403);
		expect(err.type).toBe("TOOL_REFUSED");
		expect(err.data).toMatchObject({ command: expect.stringMatching(new RegExp(`^${command}`)), argument, rule: "option-not-allowed" });
		expect(err.message).toContain(JSON.stringify(argument));
		expect(err.message).toContain("rule option-not-allowed");
	});

	it("refuses unknown subcommands, stray operands and bad values", () => {
		expect(refusal("git", ["x"]).data).toMatchObject({ argument: "x", rule: "subcommand-not-allowed" });
		expect(refusal("git", ["push", "--force"]).data).toMatchObject({ argument: "push", rule: "subcommand-not-allowed" });
		expect(refusal("npm", ["exec", "cowsay"]).data).toMatchObject({ argument: "exec", rule: "subcommand-not-allowed" });
		expect(refusal("npm", ["run", "build"]).data).toMatchObject({ argument: "run", rule: "subcommand-not-allowed" });
		expect(refusal("npm", ["outdated"]).data).toMatchObject({ argument: "outdated", rule: "subcommand-not-allowed" });
		expect(refusal("node", ["script.js"]).data).toMatchObject({ argument: "script.js", rule: "operand-not-allowed" });
		expect(refusal("git", ["branch", "new-branch"]).data).toMatchObject({ argument: "new-branch", rule: "operand-not-allowed" });
		expect(refusal("head", ["-n", "all", "f"]).data).toMatchObject({ argument: "-n", rule: "not-a-number" });
		expect(refusal("npm", ["ls", "../../etc"]).data).toMatchObject({ argument: "../../etc", rule: "not-a-package" });
		expect(refusal("head", ["-n"]).data).toMatchObject({ rule: "missing-value" });
		expect(refusal("ls", ["--all=yes"]).data).toMatchObject({ argument: "--all=yes", rule: "value-not-allowed" });
		// ls's --color value is optional: a separate word would be a file ls lists, unchecked.
		expect(refusal("ls", ["--color", "/etc"]).data).toMatchObject({ argument: "--color", rule: "missing-value" });
		expect(refusal("git", ["log", "--format", "/etc/passwd"]).data).toMatchObject({ argument: "--format", rule: "missing-value" });
	});

	it("returns every argument that names a file for the path check, whatever its position", () => {
		expect(planCommand("ls", ["-la", "/outside", "src"], node).checked?.paths.map(p => p.argument)).toEqual(["/outside", "src"]);
		expect(planCommand("find", ["/etc", "-name", "*.conf"], node).checked?.paths.map(p => p.argument)).toEqual(["/etc"]);
		expect(planCommand("find", [".", "-newer", "/etc/shadow"], node).checked?.paths.map(p => p.argument)).toEqual([".", "/etc/shadow"]);
		expect(planCommand("cat", ["-n", "a.txt", "-"], node).checked?.paths.map(p => p.argument)).toEqual(["a.txt"]);
		// grep's first operand is its pattern, unless -e gave the pattern: then it is a file.
		expect(planCommand("grep", ["-rn", "/etc", "src"], node).checked?.paths.map(p => p.argument)).toEqual(["src"]);
		expect(planCommand("grep", ["/etc/passwd", "-e", "root"], node).checked?.paths.map(p => p.argument)).toEqual(["/etc/passwd"]);
		// A git revision is a path when it looks like one, and always after --.
		expect(planCommand("git", ["log", "HEAD~3..main", "../other", "/etc"], node).checked?.paths.map(p => p.argument)).toEqual(["../other", "/etc"]);
		expect(planCommand("git", ["diff", "--", "src", "~/x"], node).checked?.paths.map(p => p.argument)).toEqual(["src", "~/x"]);
	});

	it("lets the everyday uses through, with git's own switches put in after the subcommand", () => {
		const ok: [string, string[]][] = [
			["git", ["status", "--short"]],
			["git", ["--version"]],
			["git", ["log", "--oneline", "-5", "-n", "3", "--format=%h %s", "--since=2.weeks"]],
			["git", ["diff", "--stat", "HEAD~1", "-U3", "--unified=5"]],
			["git", ["show", "HEAD", "--stat"]],
			["git", ["branch", "-a", "-v"]],
			["git", ["rev-parse", "--abbrev-ref", "HEAD"]],
			["git", ["ls-files", "--others", "--exclude-standard"]],
			["ls", ["-la", "src"]],
			["find", [".", "-name", "*.ts", "-type", "f", "-mtime", "-2", "!", "-path", "./node_modules/*"]],
			["grep", ["-rn", "--include=*.ts", "TODO", "src"]],
			["wc", ["-l", "a", "b"]],
			["head", ["-5", "f"]],
			["tail", ["-n", "+10", "f"]],
			["echo", ["a; rm -rf /", "$(id)"]],
			["node", ["--version"]],
			["npm", ["ls", "--depth=0", "lodash", "@types/node"]],
			["npm", ["--version"]]
		];
		for (const [command, args] of ok) expect(() => planCommand(command, args, node)).not.toThrow();
		expect(planCommand("git", ["diff", "--stat"], node).argv).toEqual(["diff", "--no-ext-diff", "--no-textconv", "--ignore-submodules=all", "--stat"]);
		expect(planCommand("git", ["status"], node).name).toBe("git status");
	});

	it("runs the project's own code (npm test) only when the entry names it", () => {
		const err = refusal("npm", ["test"]);
		expect(err.data).toMatchObject({ argument: "test", rule: "runs-project-code" });
		expect(err.message).toContain('writing "npm test" in ALLOWED_COMMANDS');
		expect(planCommand("npm", ["test"], policy(["npm test"])).name).toBe("npm test");
		expect(refusal("npm", ["test", "--", "--watch"], policy(["npm test"])).data).toMatchObject({ rule: "option-not-allowed" });
	});

	it("runs a command without rules only when the operator allowed it unchecked", () => {
		const err = refusal("make", ["deploy"], policy(["make"]));
		expect(err.data).toMatchObject({ command: "make", rule: "no-rules" });
		expect(err.message).toContain('"make *" in ALLOWED_COMMANDS');
		expect(planCommand("make", ["-C", "/", "anything"], policy(["make *"]))).toEqual({ name: "make", checked: null, argv: ["-C", "/", "anything"] });
		// Unchecked on purpose: even a known command.
		expect(planCommand("git", ["-c", "x=y", "status"], policy(["git *"])).checked).toBeNull();
		expect(refusal("rm", ["-rf", "/"]).message).toContain("not on the allowed commands");
	});

	it("parses ALLOWED_COMMANDS entries", () => {
		const entries = parseAllowedCommands(["git", " npm test ", "make *", "npm", "bad name here", "/bin/sh"]);
		expect([...entries.keys()]).toEqual(["git", "npm", "make"]);
		expect(entries.get("npm")).toEqual({ unchecked: false, projectCode: new Set(["test"]) });
		expect(entries.get("make")?.unchecked).toBe(true);
	});
});
