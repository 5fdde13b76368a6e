import { spawn } from "node:child_process";
import { constants, promises as fsp } from "node:fs";
import path from "node:path";
import { ToolFailedError, ToolRefusedError, ToolTimeoutError } from "../errors";
import type { ToolContext, ToolDefinition, ToolPolicy } from "../tool";
import type { PathArgument } from "./command-args";
import { planCommand } from "./command-allowlist";
import { commandEnv, privateHome, realAllowedPaths } from "./command-env";
import { utf8Prefix } from "./file-tools";
import { GIT_OVERRIDES, checkGitRepository } from "./git-guard";
import { isInside, resolveInside } from "./path-guard";
import { SHELL_EXEC_ID as ID, refuse, refuseArgument } from "./shell-refusal";

const FALLBACK_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface ShellExecResult {
	command: string;
	args: string[];
	exitCode: number | null;
	signal: string | null;
	stdout: string;
	stderr: string;
	truncated: { stdout: boolean; stderr: boolean };
	durationMs: number;
}

/** The node's PATH without relative entries: `.` would let a file in the working folder shadow a program. */
export function safeSearchPath(envPath = process.env.PATH): string {
	const dirs = (envPath ?? "").split(path.delimiter).filter(d => d && path.isAbsolute(d));
	return dirs.length ? dirs.join(path.delimiter) : FALLBACK_PATH;
}

/** Every argument that names a file must resolve, from the working folder and through symlinks, inside the allowed folders. */
async function checkPaths(paths: PathArgument[], cwd: string, policy: ToolPolicy, narrowed: string[] | undefined): Promise<void> {
	for (const { command, argument } of paths) {
		if (argument.startsWith("~")) refuseArgument(command, argument, "path-outside", "starts with ~, which is not expanded here (no shell): name the folder");
		try {
			await resolveInside(path.resolve(cwd, argument), policy, narrowed, ID);
		} catch (err) {
			if (!(err instanceof ToolRefusedError)) throw err;
			const reason = String((err.data as { reason?: unknown }).reason ?? err.message);
			refuseArgument(command, argument, "path-outside", `names a path the command may not touch: ${reason}`);
		}
	}
}

/** The program's absolute path on the search path; never one inside the allowed folders, which agents can write. */
async function resolveProgram(command: string, searchPath: string, policy: ToolPolicy): Promise<string> {
	const writable = await realAllowedPaths(policy);
	for (const dir of searchPath.split(path.delimiter)) {
		const candidate = path.join(dir, command);
		try {
			await fsp.access(candidate, constants.X_OK);
			if (!(await fsp.stat(candidate)).isFile()) continue;
			const real = await fsp.realpath(candidate);
			if (writable.some(w => isInside(real, w))) {
				refuse(`command ${command} resolves to ${real}, inside a folder agents can write`, { command });
			}
			return candidate;
		} catch (err) {
			if (err instanceof ToolRefusedError) throw err;
		}
	}
	return refuse(`command ${command} was not found on the PATH`, { command });
}

function argsArg(value: unknown): string[] {
	if (value === undefined) return [];
	if (!Array.isArray(value) || value.some(a => typeof a !== "string")) refuse("args must be an array of strings");
	const args = value as string[];
	if (args.some(a => a.includes("\0"))) refuse("an argument contains a NUL byte");
	return args;
}

/** Keeps the first `max` bytes of a stream and drains the rest, so the child never blocks on a full pipe. */
class Capture {
	private chunks: Buffer[] = [];
	private size = 0;
	truncated = false;
	constructor(private readonly max: number) {}
	push(chunk: Buffer): void {
		const room = this.max - this.size;
		if (chunk.length > room) this.truncated = true;
		if (room <= 0) return;
		const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
		this.chunks.push(kept);
		this.size += kept.length;
	}
	text(): string {
		const buf = Buffer.concat(this.chunks);
		return (this.truncated ? utf8Prefix(buf) : buf).toString("utf8");
	}
}

export function shellExecTool(policy: ToolPolicy): ToolDefinition {
	return {
		id: ID,
		description:
			"Run an allowlisted program with arguments (no shell: arguments are passed literally), in a folder inside the allowed ones. Each argument is checked against the program's rules: unknown options and subcommands, and paths outside the allowed folders, are refused. A non-zero exit is returned, not thrown.",
		capability: "shell.exec",
		requiresConfirmation: true,
		source: "builtin",
		parameters: {
			type: "object",
			properties: {
				command: { type: "string", description: "A bare program name on the allowed commands, e.g. `ls`." },
				args: { type: "array", items: { type: "string" }, default: [] },
				cwd: { type: "string", description: "Working folder (default: the first allowed folder)." },
				timeoutMs: { type: "integer", minimum: 1, maximum: policy.timeoutMs },
				stdin: { type: "string" }
			},
			required: ["command", "args"],
			additionalProperties: false
		},
		async run(input, ctx) {
			const args = argsArg(input.args);
			const plan = planCommand(input.command, args, policy, ctx.constraints.commands);
			const command = input.command as string;
			if (input.stdin !== undefined && typeof input.stdin !== "string") refuse("stdin must be a string");
			const requestedCwd = input.cwd ?? policy.allowedPaths[0] ?? ctx.constraints.paths?.[0];
			if (typeof requestedCwd !== "string") refuse("cwd must be a folder inside the allowed paths, and none is configured");
			const cwd = await resolveInside(requestedCwd, policy, ctx.constraints.paths, ID);
			if (!(await fsp.stat(cwd).catch(() => null))?.isDirectory()) refuse(`cwd ${requestedCwd} is not a folder`, { cwd: requestedCwd });
			if (plan.checked) await checkPaths(plan.checked.paths, cwd, policy, ctx.constraints.paths);
			const searchPath = safeSearchPath();
			const program = await resolveProgram(command, searchPath, policy);
			const timeoutMs =
				typeof input.timeoutMs === "number" && input.timeoutMs > 0 ? Math.min(input.timeoutMs, policy.timeoutMs) : policy.timeoutMs;
			if (ctx.signal.aborted) throw new ToolTimeoutError(ID, timeoutMs);

			const home = await privateHome(policy);
			try {
				const env = await commandEnv(searchPath, home, policy);
				let argv = plan.argv;
				if (plan.checked && command === "git") {
					// A subcommand reads the repository; `git --version` alone reads none.
					if (plan.name !== "git") await checkGitRepository(program, cwd, env, policy, ctx.constraints.paths);
					argv = [...GIT_OVERRIDES, ...argv];
				}
				return await execute({ command, args, program, argv, cwd, env, stdin: input.stdin as string | undefined, timeoutMs }, policy, ctx);
			} finally {
				await fsp.rm(home, { recursive: true, force: true });
			}
		}
	};
}

interface Execution {
	command: string;
	/** As the caller gave them, for the result. */
	args: string[];
	program: string;
	argv: string[];
	cwd: string;
	env: Record<string, string>;
	stdin: string | undefined;
	timeoutMs: number;
}

async function execute(
	{ command, args, program, argv, cwd, env, stdin, timeoutMs }: Execution,
	policy: ToolPolicy,
	ctx: ToolContext
): Promise<{ content: ShellExecResult; truncated: boolean }> {
	const started = Date.now();
	// shell: false (the default) is execFile's guarantee: `;`, `|`, `$(…)` stay literal.
	// spawn rather than execFile so output past the limit is cut and drained, not fatal;
	// detached makes the child a process-group leader, so a timeout kills its children too.
	const child = spawn(program, argv, {
		cwd,
		env,
		stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
		detached: true,
		shell: false,
		windowsHide: true
	});
	const stdout = new Capture(policy.maxOutputBytes);
	const stderr = new Capture(policy.maxOutputBytes);
	child.stdout?.on("data", (c: Buffer) => stdout.push(c));
	child.stderr?.on("data", (c: Buffer) => stderr.push(c));
	if (child.stdin) {
		child.stdin.on("error", () => undefined); // the program may exit without reading it
		child.stdin.end(stdin);
	}

	let timedOut = false;
	const kill = (): void => {
		timedOut = true;
		try {
			if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
		} catch {
			child.kill("SIGKILL");
		}
	};
	const timer = setTimeout(kill, timeoutMs);
	ctx.signal.addEventListener("abort", kill, { once: true });
	try {
		const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
			child.once("error", reject);
			child.once("close", (code, sig) => resolve([code, sig]));
		});
		if (timedOut) throw new ToolTimeoutError(ID, timeoutMs);
		const content: ShellExecResult = {
			command,
			args,
			exitCode,
			signal,
			stdout: stdout.text(),
			stderr: stderr.text(),
			truncated: { stdout: stdout.truncated, stderr: stderr.truncated },
			durationMs: Date.now() - started
		};
		return { content, truncated: stdout.truncated || stderr.truncated };
	} catch (err) {
		if (err instanceof ToolTimeoutError) throw err;
		throw new ToolFailedError(ID, `${command} could not start: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
			command
		});
	} finally {
		clearTimeout(timer);
		ctx.signal.removeEventListener("abort", kill);
	}
}
