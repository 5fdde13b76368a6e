import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ShellExecResult } from "../../lib/tools/builtin/shell-exec";
import type { ErrorBody } from "../../services/api.service";
import { FIXTURE_AGENTS, echoManifest, post, spawnAgent, task } from "../support/agents";
import { startTestNode, type TestNode } from "../support/test-node";
import { testTempDir } from "../support/test-tmp";

/** The exploits of the report, each with the argument and rule the refusal must name. */
const EXPLOITS: [string, string[], string, string][] = [
	["git", ["-c", "alias.x=!touch MARKER", "x"], "-c", "option-not-allowed"],
	["git", ["-c", "core.fsmonitor=touch MARKER", "status"], "-c", "option-not-allowed"],
	["git", ["--upload-pack=touch MARKER", "ls-remote", "."], "--upload-pack=touch MARKER", "option-not-allowed"],
	["find", [".", "-exec", "touch", "MARKER", ";"], "-exec", "option-not-allowed"],
	["find", [".", "-fprint", "MARKER"], "-fprint", "option-not-allowed"],
	["ls", ["/"], "/", "path-outside"],
	["find", ["/etc", "-name", "passwd"], "/etc", "path-outside"]
];

describe("shell_exec's command policy on a node (README example: ALLOWED_COMMANDS=git,ls,echo,find)", () => {
	let t: TestNode;
	const workspace = fs.realpathSync(testTempDir("agentos-shell-policy-"));
	const repo = path.join(workspace, "repo");
	const marker = path.join(os.tmpdir(), `agentos-shell-pwned-${process.pid}`);
	const payload = (args: string[]) => args.map(a => a.replace("MARKER", marker));
	const invoke = <T>(args: Record<string, unknown>) => post<T>(t, "/api/v1/agents/runner/tools/builtin:shell_exec/invoke", { arguments: args });
	const viaAgent = <T>(args: Record<string, unknown>) => task<{ content: T }>(t, "runner", { task: { type: "tool", toolId: "builtin:shell_exec", arguments: args } });

	beforeAll(async () => {
		fs.mkdirSync(path.join(repo, "src"), { recursive: true });
		fs.writeFileSync(path.join(repo, "src", "cart.ts"), "export const total = 0;\n");
		const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.org", ...args], { cwd: repo });
		git("init", "-q");
		git("add", ".");
		git("commit", "-qm", "first");
		t = await startTestNode({ AGENT_CODE_PATHS: FIXTURE_AGENTS, AGENT_INPROCESS_PATHS: FIXTURE_AGENTS, ALLOWED_PATHS: workspace, ALLOWED_COMMANDS: "git,ls,echo,find" });
		await t.node.ready;
		await spawnAgent(t, echoManifest("runner", { runtime: "inprocess", permissions: ["tools.execute", "shell.exec"], trustLevel: "autonomous" }));
	});
	afterAll(async () => {
		await t?.stop();
		fs.rmSync(workspace, { recursive: true, force: true });
		fs.rmSync(marker, { force: true });
	});
	afterEach(() => expect(fs.existsSync(marker)).toBe(false));

	it.each(EXPLOITS)("REST invoke: %s %j is a 403 naming %s and the rule %s", async (command, args, argument, rule) => {
		const { status, body } = await invoke<ErrorBody>({ command, args: payload(args), cwd: repo });
		expect(status).toBe(403);
		expect(body.error.type).toBe("TOOL_REFUSED");
		expect(body.error.message).toContain(JSON.stringify(argument.replace("MARKER", marker)));
		expect(body.error.message).toContain(`rule ${rule}`);
	});

	it.each(EXPLOITS)("ctx.tools in an agent: %s %j is refused, naming %s and the rule %s", async (command, args, argument, rule) => {
		const { body } = await viaAgent({ command, args: payload(args), cwd: repo });
		// The agent's code sees the tool's refusal; its task fails with it, and the caller gets it as it is.
		const seen = body.error;
		expect(seen.type).toBe("TOOL_REFUSED");
		expect(seen.message).toContain(`${command}: argument ${JSON.stringify(argument.replace("MARKER", marker))}`);
		expect(seen.message).toContain(`rule ${rule}`);
	});

	it("never reads a .gitconfig written into the command's folder", async () => {
		fs.writeFileSync(path.join(repo, ".gitconfig"), `[core]\n\tfsmonitor = touch ${marker}\n[alias]\n\tstatus = !touch ${marker}\n`);
		try {
			const { status, body } = await invoke<{ content: ShellExecResult }>({ command: "git", args: ["status", "--short"], cwd: repo });
			expect(status).toBe(200);
			expect(body.content).toMatchObject({ exitCode: 0, stdout: "?? .gitconfig\n" });
		} finally {
			fs.rmSync(path.join(repo, ".gitconfig"));
		}
	});

	it("still runs git status and log in the repository, ls of an allowed folder and find -name, by REST and by an agent", async () => {
		const log = await invoke<{ content: ShellExecResult }>({ command: "git", args: ["log", "--oneline"], cwd: repo });
		expect(log.body.content).toMatchObject({ exitCode: 0, stdout: expect.stringContaining("first") });
		const ls = await invoke<{ content: ShellExecResult }>({ command: "ls", args: ["repo/src"] });
		expect(ls.body.content.stdout).toBe("cart.ts\n");
		const found = await viaAgent<ShellExecResult>({ command: "find", args: [".", "-name", "*.ts"], cwd: repo });
		expect(found.status).toBe(200);
		expect(found.body.result.content.stdout).toBe("./src/cart.ts\n");
		const status = await viaAgent<ShellExecResult>({ command: "git", args: ["status", "--short"], cwd: repo });
		expect(status.body.result.content).toMatchObject({ exitCode: 0, stdout: "" });
	});
});
