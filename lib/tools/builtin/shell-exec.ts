import { spawn } from "node:child_process";
import { constants, promises as fsp } from "node:fs";
import path from "node:path";
import { ToolFailedError, ToolRefusedError, ToolTimeoutError } from "../errors";
import type { ToolDefinition, ToolPolicy } from "../tool";
import { utf8Prefix } from "./file-tools";
import { isInside, resolveInside } from "./path-guard";

const ID = "builtin:shell_exec";
/** A command is a bare program name: no path, no shell syntax, no spaces. */
const BARE_NAME = /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/;
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

function refuse(reason: string, data: Record<string, unknown> = {}): never {
	throw new ToolRefusedError(ID, reason, data);
}

/** The node's PATH without relative entries: `.` would let a file in the working folder shadow a program. */
export function safeSearchPath(envPath = process.env.PATH): string {
	const dirs = (envPath ?? "").split(path.delimiter).filter(d => d && path.isAbsolute(d));
	return dirs.length ? dirs.join(path.delimiter) : FALLBACK_PATH;
}

/** Checks the command against the node's allowlist and the grant's narrowing. */
export function checkCommand(command: unknown, policy: ToolPolicy, narrowed?: string[]): string {
	if (typeof command !== "string" || !BARE_NAME.test(command)) {
		refuse(`command must be a bare program name (no path, spaces or shell syntax), got ${JSON.stringify(command)}`, { command });
	}
	if (!policy.allowAllCommands && !policy.allowedCommands.includes(command)) {
		refuse(`command ${command} is not on the allowed commands (${policy.allowedCommands.join(", ") || "none"})`, { command });
	}
	if (narrowed && !narrowed.includes(command)) {
		refuse(`command ${command} is not among the commands this grant allows (${narrowed.join(", ") || "none"})`, { command });
	}
	return command;
}

/** The program's absolute path on the search path; never one inside the allowed folders, which agents can write. */
async function resolveProgram(command: string, searchPath: string, policy: ToolPolicy): Promise<string> {
	const writable = await Promise.all(policy.allowedPaths.map(p => fsp.realpath(p).catch(() => null)));
	for (const dir of searchPath.split(path.delimiter)) {
		const candidate = path.join(dir, command);
		try {
			await fsp.access(candidate, constants.X_OK);
			if (!(await fsp.stat(candidate)).isFile()) continue;
			const real = await fsp.realpath(candidate);
			if (writable.some(w => w !== null && isInside(real, w))) {
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
			"Run an allowlisted program with arguments (no shell: arguments are passed literally), in a folder inside the allowed ones. A non-zero exit is returned, not thrown.",
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
			const command = checkCommand(input.command, policy, ctx.constraints.commands);
			const args = argsArg(input.args);
			if (input.stdin !== undefined && typeof input.stdin !== "string") refuse("stdin must be a string");
			const requestedCwd = input.cwd ?? policy.allowedPaths[0] ?? ctx.constraints.paths?.[0];
			if (typeof requestedCwd !== "string") refuse("cwd must be a folder inside the allowed paths, and none is configured");
			const cwd = await resolveInside(requestedCwd, policy, ctx.constraints.paths, ID);
			if (!(await fsp.stat(cwd).catch(() => null))?.isDirectory()) refuse(`cwd ${requestedCwd} is not a folder`, { cwd: requestedCwd });
			const searchPath = safeSearchPath();
			const program = await resolveProgram(command, searchPath, policy);
			const timeoutMs =
				typeof input.timeoutMs === "number" && input.timeoutMs > 0 ? Math.min(input.timeoutMs, policy.timeoutMs) : policy.timeoutMs;
			if (ctx.signal.aborted) throw new ToolTimeoutError(ID, timeoutMs);

			const started = Date.now();
			// shell: false (the default) is execFile's guarantee: `;`, `|`, `$(…)` stay literal.
			// spawn rather than execFile so output past the limit is cut and drained, not fatal;
			// detached makes the child a process-group leader, so a timeout kills its children too.
			const child = spawn(program, args, {
				cwd,
				env: { PATH: searchPath, HOME: cwd, LANG: "C.UTF-8" },
				stdio: [input.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
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
				child.stdin.end(input.stdin as string);
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
	};
}
