import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { ToolRefusedError, ToolTimeoutError } from "../../lib/tools/errors";
import type { ToolContext, ToolDefinition, ToolPolicy } from "../../lib/tools/tool";
import type { GrantConstraints } from "../../lib/security/capabilities";
import { fileListTool, fileReadTool, fileWriteTool, type FileListEntry } from "../../lib/tools/builtin/file-tools";
import { shellExecTool, type ShellExecResult } from "../../lib/tools/builtin/shell-exec";
import { repoSummaryTool, type RepoSummary } from "../../lib/tools/builtin/repo-summary";
import { testTempDir } from "../support/test-tmp";

let tmp: string;
let allowed: string;
let outside: string;
let policy: ToolPolicy;

function ctx(constraints: GrantConstraints = {}, signal = new AbortController().signal): ToolContext {
	return { agentId: "agent-1", caller: { kind: "agent", id: "agent-1", trustLevel: "autonomous" }, constraints, signal };
}

async function run<T>(tool: ToolDefinition, args: Record<string, unknown>, c = ctx()): Promise<T> {
	return (await tool.run(args, c)).content as T;
}

async function refusal(p: Promise<unknown>): Promise<ToolRefusedError> {
	const err = await p.then(
		() => null,
		(e: unknown) => e
	);
	expect(err).toBeInstanceOf(ToolRefusedError);
	return err as ToolRefusedError;
}

beforeEach(() => {
	tmp = fs.realpathSync(testTempDir("file-shell-tools-"));
	allowed = path.join(tmp, "allowed");
	outside = path.join(tmp, "outside");
	fs.mkdirSync(allowed);
	fs.mkdirSync(outside);
	fs.writeFileSync(path.join(outside, "secret.txt"), "top secret");
	policy = {
		allowedDomains: [],
		allowAllDomains: false,
		allowedPaths: [allowed],
		allowAllPaths: false,
		allowedCommands: ["echo", "ls", "env *", "sleep", "seq", "cat", "pwd", "git", "find"],
		allowAllCommands: false,
		timeoutMs: 10000,
		maxOutputBytes: 64 * 1024
	};
});

afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("file_read", () => {
	it("reads a file inside, as text or base64, and truncates at maxBytes on a character boundary", async () => {
		fs.writeFileSync(path.join(allowed, "hello.txt"), "héllo world");
		const read = fileReadTool(policy);
		await expect(run(read, { path: "hello.txt" })).resolves.toEqual({
			path: path.join(allowed, "hello.txt"),
			size: 12,
			content: "héllo world",
			truncated: false
		});
		const b64 = await run<{ content: string }>(read, { path: "hello.txt", encoding: "base64" });
		expect(Buffer.from(b64.content, "base64").toString()).toBe("héllo world");
		// "h" + the first byte of "é": the half character is dropped, not turned into U+FFFD.
		await expect(run(read, { path: "hello.txt", maxBytes: 2 })).resolves.toMatchObject({ content: "h", truncated: true, size: 12 });
	});

	it.each(["../outside/secret.txt", "../../etc/passwd", "/etc/passwd", "allowed/../outside/secret.txt"])("refuses %s", async p => {
		const requested = p.startsWith("allowed/") ? path.join(tmp, p) : p;
		const err = await refusal(run(fileReadTool(policy), { path: requested }));
		expect(err.message).toContain(allowed);
	});

	it("refuses a symlink inside that points outside, and a NUL byte", async () => {
		fs.symlinkSync(path.join(outside, "secret.txt"), path.join(allowed, "innocent.txt"));
		await refusal(run(fileReadTool(policy), { path: "innocent.txt" }));
		await refusal(run(fileReadTool(policy), { path: "innocent.txt\0" }));
	});

	it("narrows to the grant's paths", async () => {
		fs.mkdirSync(path.join(allowed, "mine"));
		fs.writeFileSync(path.join(allowed, "mine", "a.txt"), "a");
		fs.writeFileSync(path.join(allowed, "other.txt"), "o");
		const grant = { paths: [path.join(allowed, "mine")] };
		await expect(run(fileReadTool(policy), { path: "mine/a.txt" }, ctx(grant))).resolves.toMatchObject({ content: "a" });
		await refusal(run(fileReadTool(policy), { path: "other.txt" }, ctx(grant)));
	});
});

describe("file_write", () => {
	it("declares fs.write and asks for confirmation", () => {
		expect(fileWriteTool(policy)).toMatchObject({ id: "builtin:file_write", capability: "fs.write", requiresConfirmation: true });
	});

	it("writes atomically (no temp file left, a reader sees old or new), appends, and creates folders on request", async () => {
		const write = fileWriteTool(policy);
		const file = path.join(allowed, "notes.txt");
		fs.writeFileSync(file, "old");
		const inode = fs.statSync(file).ino;
		await expect(run(write, { path: "notes.txt", content: "new content" })).resolves.toEqual({ path: file, bytesWritten: 11 });
		expect(fs.readFileSync(file, "utf8")).toBe("new content");
		expect(fs.statSync(file).ino).not.toBe(inode); // replaced by rename, not rewritten in place
		expect(fs.readdirSync(allowed)).toEqual(["notes.txt"]);

		await run(write, { path: "notes.txt", content: "!", append: true });
		expect(fs.readFileSync(file, "utf8")).toBe("new content!");
		await run(write, { path: "bin.dat", content: Buffer.from([0, 1, 2]).toString("base64"), encoding: "base64" });
		expect([...fs.readFileSync(path.join(allowed, "bin.dat"))]).toEqual([0, 1, 2]);

		await expect(run(write, { path: "a/b/c.txt", content: "x" })).rejects.toThrow(/ENOENT/);
		await run(write, { path: "a/b/c.txt", content: "x", createDirs: true });
		expect(fs.readFileSync(path.join(allowed, "a", "b", "c.txt"), "utf8")).toBe("x");
	});

	it("refuses to write through a symlink, even one that points inside", async () => {
		const write = fileWriteTool(policy);
		fs.symlinkSync(path.join(outside, "secret.txt"), path.join(allowed, "out-link"));
		fs.writeFileSync(path.join(allowed, "target.txt"), "target");
		fs.symlinkSync(path.join(allowed, "target.txt"), path.join(allowed, "in-link"));
		await refusal(run(write, { path: "out-link", content: "pwned" }));
		const err = await refusal(run(write, { path: "in-link", content: "pwned" }));
		expect(err.message).toContain("symlink");
		expect(fs.readFileSync(path.join(outside, "secret.txt"), "utf8")).toBe("top secret");
		expect(fs.readFileSync(path.join(allowed, "target.txt"), "utf8")).toBe("target");
	});

	it("refuses a new file under a linked folder that points outside, and dangling links", async () => {
		const write = fileWriteTool(policy);
		fs.symlinkSync(outside, path.join(allowed, "out-dir"));
		fs.symlinkSync(path.join(outside, "created.txt"), path.join(allowed, "dangling"));
		await refusal(run(write, { path: "out-dir/planted.txt", content: "x", createDirs: true }));
		await refusal(run(write, { path: "dangling", content: "x" }));
		expect(fs.readdirSync(outside)).toEqual(["secret.txt"]);
	});

	it("refuses traversal and paths outside the grant", async () => {
		const write = fileWriteTool(policy);
		await refusal(run(write, { path: "../outside/secret.txt", content: "x" }));
		await refusal(run(write, { path: "/etc/evil", content: "x" }));
		await refusal(run(write, { path: "mine.txt", content: "x" }, ctx({ paths: [path.join(allowed, "sub")] })));
		expect(fs.readFileSync(path.join(outside, "secret.txt"), "utf8")).toBe("top secret");
	});
});

describe("file_list", () => {
	it("lists files, folders and links (links are never followed), recursively and within maxEntries", async () => {
		fs.mkdirSync(path.join(allowed, "src"));
		fs.writeFileSync(path.join(allowed, "src", "a.ts"), "12345");
		fs.writeFileSync(path.join(allowed, "b.md"), "#");
		fs.symlinkSync(outside, path.join(allowed, "escape"));
		const list = fileListTool(policy);
		const flat = await run<{ entries: FileListEntry[]; truncated: boolean }>(list, { path: "." });
		expect(flat.entries).toEqual([
			{ name: "b.md", type: "file", size: 1 },
			{ name: "escape", type: "link", size: expect.any(Number) },
			{ name: "src", type: "dir", size: 0 }
		]);
		const deep = await run<{ entries: FileListEntry[] }>(list, { path: allowed, recursive: true });
		expect(deep.entries.map(e => e.name)).toEqual(["b.md", "escape", "src", path.join("src", "a.ts")]);
		expect(deep.entries.some(e => e.name.includes("secret"))).toBe(false);
		await expect(run(list, { path: ".", recursive: true, maxEntries: 2 })).resolves.toMatchObject({ truncated: true });
	});

	it("refuses a linked folder that points outside, and traversal", async () => {
		fs.symlinkSync(outside, path.join(allowed, "escape"));
		await refusal(run(fileListTool(policy), { path: "escape" }));
		await refusal(run(fileListTool(policy), { path: ".." }));
		await refusal(run(fileListTool(policy), { path: "/" }));
	});
});

describe("shell_exec", () => {
	const exec = (args: Record<string, unknown>, c = ctx()): Promise<ShellExecResult> => run<ShellExecResult>(shellExecTool(policy), args, c);

	it("runs an allowed command in the first allowed folder", async () => {
		fs.writeFileSync(path.join(allowed, "here.txt"), "");
		const echo = await exec({ command: "echo", args: ["hello", "world"] });
		expect(echo).toMatchObject({ command: "echo", args: ["hello", "world"], exitCode: 0, signal: null, stdout: "hello world\n" });
		expect(echo.truncated).toEqual({ stdout: false, stderr: false });
		expect(echo.durationMs).toBeGreaterThanOrEqual(0);
		await expect(exec({ command: "ls", args: [] })).resolves.toMatchObject({ exitCode: 0, stdout: "here.txt\n" });
		await expect(exec({ command: "pwd", args: [] })).resolves.toMatchObject({ stdout: `${allowed}\n` });
		await expect(exec({ command: "cat", args: [], stdin: "from stdin" })).resolves.toMatchObject({ stdout: "from stdin" });
	});

	it.each([
		["rm", ["-rf", "x"]],
		["/bin/sh", ["-c", "echo hi"]],
		["bash", ["-c", "echo hi"]],
		["echo;rm", []],
		["echo hi", []],
		["../bin/echo", []],
		["./echo", []],
		["$(echo)", []]
	])("refuses %s", async (command, args) => {
		await refusal(exec({ command, args }));
	});

	it("allowAllCommands allows any bare name but still no paths", async () => {
		const open = shellExecTool({ ...policy, allowedCommands: [], allowAllCommands: true });
		await expect(run(open, { command: "echo", args: ["ok"] })).resolves.toMatchObject({ stdout: "ok\n" });
		await refusal(run(open, { command: "/bin/echo", args: ["ok"] }));
		await refusal(run(open, { command: "no-such-program-here", args: [] }));
	});

	it("narrows to the grant's commands and paths", async () => {
		await refusal(exec({ command: "echo", args: ["x"] }, ctx({ commands: ["ls"] })));
		await expect(exec({ command: "ls", args: [] }, ctx({ commands: ["ls"] }))).resolves.toMatchObject({ exitCode: 0 });
		fs.mkdirSync(path.join(allowed, "sub"));
		await refusal(exec({ command: "ls", args: [], cwd: allowed }, ctx({ paths: [path.join(allowed, "sub")] })));
	});

	it("passes shell syntax in args as literal text", async () => {
		const victim = path.join(allowed, "victim");
		fs.writeFileSync(victim, "still here");
		const args = [`a; rm -rf ${victim}`, `$(rm -rf ${victim})`, `\`rm -rf ${victim}\``, `| rm -rf ${victim}`, "&& rm *", "$HOME"];
		const result = await exec({ command: "echo", args });
		expect(result.stdout).toBe(args.join(" ") + "\n");
		expect(fs.readFileSync(victim, "utf8")).toBe("still here");
	});

	it("refuses a cwd outside, through a symlink, or outside the grant", async () => {
		fs.symlinkSync(outside, path.join(allowed, "escape"));
		await refusal(exec({ command: "ls", args: [], cwd: outside }));
		await refusal(exec({ command: "ls", args: [], cwd: "escape" }));
		await refusal(exec({ command: "ls", args: [], cwd: "../outside" }));
	});

	it("does not pass the node's environment (secrets) to the command", async () => {
		process.env.GATEWAY_AUTH_TOKEN = "secret-token-value";
		try {
			const { stdout } = await exec({ command: "env", args: [] });
			expect(stdout).not.toContain("GATEWAY_AUTH_TOKEN");
			expect(stdout).not.toContain("secret-token-value");
			const vars = Object.fromEntries(stdout.trim().split("\n").map(l => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
			expect(Object.keys(vars).sort()).toEqual([
				"GIT_ATTR_NOSYSTEM",
				"GIT_CEILING_DIRECTORIES",
				"GIT_CONFIG_GLOBAL",
				"GIT_CONFIG_NOSYSTEM",
				"GIT_OPTIONAL_LOCKS",
				"GIT_TERMINAL_PROMPT",
				"HOME",
				"LANG",
				"PATH",
				"XDG_CONFIG_HOME",
				"npm_config_fund",
				"npm_config_global",
				"npm_config_update_notifier",
				"npm_config_userconfig"
			]);
			expect(vars).toMatchObject({ GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0", GIT_CEILING_DIRECTORIES: tmp });
			// HOME is a new empty folder outside the allowed ones, gone after the command.
			expect(vars.HOME.startsWith(allowed)).toBe(false);
			expect(fs.existsSync(vars.HOME)).toBe(false);
		} finally {
			delete process.env.GATEWAY_AUTH_TOKEN;
		}
	});

	it("kills the command at its time limit and at the call's abort signal", async () => {
		const started = Date.now();
		await expect(exec({ command: "sleep", args: ["5"], timeoutMs: 200 })).rejects.toBeInstanceOf(ToolTimeoutError);
		expect(Date.now() - started).toBeLessThan(2000);

		const abort = new AbortController();
		setTimeout(() => abort.abort(), 200);
		const again = Date.now();
		await expect(exec({ command: "sleep", args: ["5"] }, ctx({}, abort.signal))).rejects.toBeInstanceOf(ToolTimeoutError);
		expect(Date.now() - again).toBeLessThan(2000);
	});

	it("kills the whole process group, so a background child cannot outlive the time limit", async () => {
		// sh only in this test's policy: a background sleep holds stdout open until it is killed too.
		const withShell = shellExecTool({ ...policy, allowedCommands: ["sh *"] });
		const started = Date.now();
		await expect(run(withShell, { command: "sh", args: ["-c", "sleep 5 & wait"], timeoutMs: 200 })).rejects.toBeInstanceOf(
			ToolTimeoutError
		);
		expect(Date.now() - started).toBeLessThan(2000);
	});

	it("cuts output at maxOutputBytes and still reports the exit", async () => {
		const small = shellExecTool({ ...policy, maxOutputBytes: 1000 });
		const result = await run<ShellExecResult>(small, { command: "seq", args: ["1", "1000000"] });
		expect(result.exitCode).toBe(0);
		expect(result.stdout.length).toBe(1000);
		expect(result.stdout.startsWith("1\n2\n3\n")).toBe(true);
		expect(result.truncated).toEqual({ stdout: true, stderr: false });
	});

	it("returns a non-zero exit as a result", async () => {
		const result = await exec({ command: "ls", args: ["nonexistent-inside-allowed"] });
		expect(result.exitCode).not.toBe(0);
		expect(result.exitCode).not.toBeNull();
		expect(result.stderr).toContain("nonexistent-inside-allowed");
	});
});

describe("shell_exec argument policy", () => {
	let repo: string;
	let marker: string;
	const exec = (args: Record<string, unknown>, c = ctx()): Promise<ShellExecResult> => run<ShellExecResult>(shellExecTool(policy), args, c);
	const git = (...args: string[]): string => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.org", ...args], { cwd: repo, encoding: "utf8" });

	beforeEach(() => {
		repo = path.join(allowed, "repo");
		marker = path.join(tmp, "pwned");
		fs.mkdirSync(path.join(repo, "src"), { recursive: true });
		fs.writeFileSync(path.join(repo, "src", "a.ts"), "export const a = 1;\n");
		git("init", "-q");
		git("add", ".");
		git("commit", "-qm", "first");
	});

	it.each<[string, string[], string]>([
		["git", ["-c", "alias.x=!touch MARKER", "x"], "-c"],
		["git", ["-c", "core.fsmonitor=touch MARKER", "status"], "-c"],
		["git", ["--upload-pack=touch MARKER", "ls-remote", "."], "--upload-pack=touch MARKER"],
		["git", ["-c", "core.pager=touch MARKER", "-p", "log"], "-c"],
		["find", [".", "-exec", "touch", "MARKER", ";"], "-exec"],
		["find", [".", "-fprint", "MARKER"], "-fprint"]
	])("refuses %s %j before anything runs", async (command, args, argument) => {
		const payload = args.map(a => a.replace("MARKER", marker));
		const err = await refusal(exec({ command, args: payload, cwd: repo }));
		expect(err.data).toMatchObject({ argument: argument.replace("MARKER", marker), rule: "option-not-allowed" });
		expect(fs.existsSync(marker)).toBe(false);
	});

	it.each<[string, string[]]>([
		["ls", ["/outside-of-everything"]],
		["ls", ["-la", "OUTSIDE"]],
		["ls", ["../outside"]],
		["ls", ["escape"]],
		["find", ["/etc", "-name", "passwd"]],
		["find", [".", "-newer", "OUTSIDE/secret.txt"]],
		["cat", ["OUTSIDE/secret.txt"]],
		["cat", ["escape/secret.txt"]],
		["git", ["log", "/etc"]],
		["git", ["diff", "--", "../../outside"]]
	])("refuses %s %j: a path outside the allowed folders", async (command, args) => {
		fs.symlinkSync(outside, path.join(allowed, "escape"));
		const err = await refusal(exec({ command, args: args.map(a => a.replace("OUTSIDE", outside)), cwd: command === "git" ? repo : allowed }));
		expect(err.data).toMatchObject({ rule: "path-outside" });
		expect(err.message).toMatch(/argument ".*" names a path the command may not touch/);
	});

	it("never reads a .gitconfig written into the working folder", async () => {
		fs.writeFileSync(path.join(repo, ".gitconfig"), `[core]\n\tfsmonitor = touch ${marker}\n`);
		fs.writeFileSync(path.join(repo, "src", "a.ts"), "export const a = 2;\n");
		const status = await exec({ command: "git", args: ["status", "--short"], cwd: repo });
		expect(status).toMatchObject({ exitCode: 0, stdout: " M src/a.ts\n?? .gitconfig\n" });
		expect(fs.existsSync(marker)).toBe(false);
	});

	it.each([
		["core", "fsmonitor", `touch MARKER`],
		["core", "hooksPath", "hooks-elsewhere"],
		["core", "sshCommand", "touch MARKER"],
		["diff", "external", "touch MARKER"],
		['diff "x"', "textconv", "touch MARKER"],
		['filter "x"', "clean", "touch MARKER"],
		["include", "path", "/etc/gitconfig"],
		['alias', "st", "!touch MARKER"]
	])("refuses a repository whose config sets %s.%s", async (section, key, value) => {
		fs.appendFileSync(path.join(repo, ".git", "config"), `[${section}]\n\t${key} = ${value.replace("MARKER", marker)}\n`);
		fs.writeFileSync(path.join(repo, ".gitattributes"), "* diff=x filter=x\n");
		fs.writeFileSync(path.join(repo, "src", "a.ts"), "export const a = 2;\n");
		for (const args of [["status"], ["diff"], ["log", "-p"]]) {
			const err = await refusal(exec({ command: "git", args, cwd: repo }));
			expect(err.data).toMatchObject({ command: "git", rule: "repository-config", key: expect.stringMatching(new RegExp(`${key}$`, "i")) });
		}
		expect(fs.existsSync(marker)).toBe(false);
	});

	it("runs git in a clone, whose config names its remote and branches", async () => {
		execFileSync("git", ["clone", "-q", repo, path.join(allowed, "clone")]);
		const status = await exec({ command: "git", args: ["status", "--short", "--branch"], cwd: path.join(allowed, "clone") });
		expect(status).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^## \S+\.\.\.origin\/\S+\n$/) });
	});

	it("runs no hook of the repository", async () => {
		const hook = path.join(repo, ".git", "hooks", "post-index-change");
		fs.writeFileSync(hook, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
		// A tracked file with a new time makes git status refresh the index, which would write it and run the hook.
		const future = new Date(Date.now() + 60000);
		fs.utimesSync(path.join(repo, "src", "a.ts"), future, future);
		await expect(exec({ command: "git", args: ["status", "--short"], cwd: repo })).resolves.toMatchObject({ exitCode: 0 });
		expect(fs.existsSync(marker)).toBe(false);
	});

	it("refuses a repository whose git folder is outside the allowed folders", async () => {
		const elsewhere = path.join(outside, "repo");
		fs.mkdirSync(elsewhere);
		execFileSync("git", ["init", "-q"], { cwd: elsewhere });
		const linked = path.join(allowed, "linked");
		fs.mkdirSync(linked);
		fs.writeFileSync(path.join(linked, ".git"), `gitdir: ${path.join(elsewhere, ".git")}\n`);
		const err = await refusal(exec({ command: "git", args: ["status"], cwd: linked }));
		expect(err.message).toContain("outside the allowed folders");
	});

	it("runs npm test, the project's own code, only when ALLOWED_COMMANDS names it", async () => {
		fs.writeFileSync(path.join(repo, "package.json"), JSON.stringify({ name: "shop", version: "1.0.0", scripts: { test: "echo tests ran" } }));
		const npm = (allowedCommands: string[], args: string[]) =>
			run<ShellExecResult>(shellExecTool({ ...policy, allowedCommands, timeoutMs: 60000 }), { command: "npm", args, cwd: repo });
		const err = await refusal(npm(["npm"], ["test"]));
		expect(err.data).toMatchObject({ argument: "test", rule: "runs-project-code" });
		await expect(npm(["npm"], ["--version"])).resolves.toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
		const tested = await npm(["npm test"], ["test"]);
		expect(tested).toMatchObject({ exitCode: 0, stdout: expect.stringContaining("tests ran") });
	});

	it("still runs git status, log, diff, ls and find -name in the allowed folders", async () => {
		fs.writeFileSync(path.join(repo, "src", "a.ts"), "export const a = 2;\n");
		await expect(exec({ command: "git", args: ["status", "--short"], cwd: repo })).resolves.toMatchObject({ exitCode: 0, stdout: " M src/a.ts\n" });
		const log = await exec({ command: "git", args: ["log", "--oneline", "-1"], cwd: path.join(repo, "src") });
		expect(log).toMatchObject({ exitCode: 0, stdout: expect.stringContaining("first") });
		const diff = await exec({ command: "git", args: ["diff", "--", "src"], cwd: repo });
		expect(diff.stdout).toContain("+export const a = 2;");
		await expect(exec({ command: "git", args: ["--version"] })).resolves.toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^git version/) });
		await expect(exec({ command: "ls", args: ["-a", "repo/src"] })).resolves.toMatchObject({ stdout: ".\n..\na.ts\n" });
		await expect(exec({ command: "find", args: [".", "-name", "*.ts", "-type", "f"], cwd: repo })).resolves.toMatchObject({ stdout: "./src/a.ts\n" });
	});
});

describe("repo_summary", () => {
	function fixture(): string {
		const repo = path.join(allowed, "repo");
		const files: Record<string, string> = {
			"README.md": Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join("\n"),
			"package.json": JSON.stringify({ name: "demo", version: "1.2.3", scripts: { test: "jest" } }),
			"Cargo.toml": '[package]\nname = "demo-rs"\nversion = "0.1.0"\n\n[dependencies]\nname = "not-this"\n',
			"go.mod": "module example.com/demo\n\ngo 1.22\n",
			"src/index.ts": "export const a = 1;\n",
			"src/util.ts": "export const b = 2;\n".repeat(10),
			"src/lib/main.py": "print('hi')\n",
			"scripts/run.sh": "#!/bin/sh\n",
			"node_modules/dep/index.js": "x".repeat(10000),
			".git/HEAD": "ref: refs/heads/main\n",
			"dist/index.js": "compiled"
		};
		for (const [name, text] of Object.entries(files)) {
			fs.mkdirSync(path.dirname(path.join(repo, name)), { recursive: true });
			fs.writeFileSync(path.join(repo, name), text);
		}
		fs.symlinkSync(outside, path.join(repo, "escape"));
		return repo;
	}

	it("summarizes counts, languages, largest files, README and manifests, skipping dependencies and build output", async () => {
		const repo = fixture();
		const s = await run<RepoSummary>(repoSummaryTool(policy), { path: "repo" });
		expect(s.path).toBe(repo);
		expect(s.files).toBe(8);
		expect(s.directories).toBe(3); // src, src/lib, scripts — nothing from node_modules, .git or dist
		const sizes = ["README.md", "package.json", "Cargo.toml", "go.mod", "src/index.ts", "src/util.ts", "src/lib/main.py", "scripts/run.sh"]
			.map(f => fs.statSync(path.join(repo, f)).size);
		expect(s.bytes).toBe(sizes.reduce((a, b) => a + b, 0));
		const byLang = Object.fromEntries(s.languages.map(l => [l.language, l.files]));
		expect(byLang).toEqual({ TypeScript: 2, Python: 1, Shell: 1, Markdown: 1, JSON: 1, TOML: 1 });
		expect(s.languages.find(l => l.language === "TypeScript")?.bytes).toBe(20 + 200);
		expect(s.largestFiles[0].path).toBe("README.md");
		expect(s.largestFiles.length).toBe(8);
		expect(s.readme?.file).toBe("README.md");
		expect(s.readme?.lines.split("\n")).toHaveLength(40);
		expect(s.readme?.truncated).toBe(true);
		expect(s.manifests).toEqual([
			{ file: "package.json", name: "demo", version: "1.2.3", scripts: { test: "jest" } },
			{ file: "Cargo.toml", name: "demo-rs", version: "0.1.0" },
			{ file: "go.mod", name: "example.com/demo", version: "1.22" }
		]);
		expect(JSON.stringify(s)).not.toContain("secret");
		expect(s.truncated).toBe(false);
	});

	it("stops at maxFiles, and refuses paths outside or through a symlink", async () => {
		fixture();
		await expect(run(repoSummaryTool(policy), { path: "repo", maxFiles: 3 })).resolves.toMatchObject({ files: 3, truncated: true });
		await refusal(run(repoSummaryTool(policy), { path: "repo/escape" }));
		await refusal(run(repoSummaryTool(policy), { path: outside }));
	});
});
