/**
 * Process helpers for the runtime benchmark: the floor of a worker process (a bare
 * `child_process.fork` of a trivial script, timed to its first IPC message), a
 * process's RSS from /proc, a forced GC, and building the worker entry when missing.
 */
import { fork, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { log } from "./table";

const ROOT = path.resolve(__dirname, "..", "..");

/** RSS of a live process in MB (VmRSS of /proc/<pid>/status). */
export function rssMb(pid: number): number {
	const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
	const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
	if (!Number.isFinite(kb)) throw new Error(`no VmRSS for pid ${pid}`);
	return kb / 1024;
}

/** A full GC, so that RSS and heap readings are comparable (no-op if V8 refuses). */
export function collectGarbage(): void {
	v8.setFlagsFromString("--expose-gc");
	const gc = runInNewContext("typeof gc === 'function' ? gc : undefined") as (() => void) | undefined;
	gc?.();
}

export interface ForkSample {
	/** fork() to the child's first IPC message. */
	ms: number;
	/** The child's RSS, read `settleMs` after its first message (when asked). */
	rssMb?: number;
}

/**
 * The floor of a process worker: a forked Node process (same stdio, serialization and
 * heap cap as ProcessWorker's) whose script only sends one IPC message.
 */
export class BareFork {
	private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentos-bench-fork-"));
	private readonly script = path.join(this.dir, "child.js");

	constructor() {
		// The message listener keeps the IPC channel, and so the child, alive until it is killed.
		fs.writeFileSync(this.script, 'process.on("message", () => undefined);\nprocess.send({ t: "ready" });\n');
	}

	async sample(settleMs?: number): Promise<ForkSample> {
		const started = process.hrtime.bigint();
		const child = fork(this.script, [], {
			cwd: this.dir,
			execArgv: ["--max-old-space-size=256"],
			env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NODE_ENV: "production" },
			stdio: ["ignore", "pipe", "pipe", "ipc"],
			serialization: "json"
		});
		try {
			await new Promise<void>((resolve, reject) => {
				child.once("message", () => resolve());
				child.once("exit", code => reject(new Error(`the bare child exited (${String(code)}) before its first message`)));
			});
			const ms = Number(process.hrtime.bigint() - started) / 1e6;
			if (settleMs === undefined) return { ms };
			await new Promise(r => setTimeout(r, settleMs));
			return { ms, rssMb: rssMb(child.pid!) };
		} finally {
			await killAndWait(child);
		}
	}

	dispose(): void {
		fs.rmSync(this.dir, { recursive: true, force: true });
	}
}

async function killAndWait(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise(resolve => child.once("exit", resolve));
	child.kill("SIGKILL");
	await exited;
}

/** Builds when the compiled worker entry is missing; warns when it is older than its source. */
export function ensureWorkerEntry(): void {
	const entry = path.join(ROOT, "dist", "actors", "workers", "process-entry.js");
	if (!fs.existsSync(entry)) {
		log("  dist/actors/workers/process-entry.js is missing: npm run build");
		const result = spawnSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: ["ignore", 2, 2] });
		if (result.status !== 0 || !fs.existsSync(entry)) throw new Error("npm run build failed");
		return;
	}
	const built = fs.statSync(entry).mtimeMs;
	const dir = path.join(ROOT, "actors", "workers");
	const stale = fs.readdirSync(dir).filter(f => f.endsWith(".ts") && fs.statSync(path.join(dir, f)).mtimeMs > built);
	if (stale.length > 0) log(`  note: process-entry.js is older than actors/workers/${stale.join(", ")}; the workers run the last build`);
}
