import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { AgentManifest } from "../manifest-types";
import { ipcChannel, stdioChannel, type WorkerChannel } from "./channel";
import type { NetworkIsolation } from "./network-isolation";
import { permissionFlags } from "./process-permissions";

export interface ProcessLaunchOptions {
	/** The compiled worker entry script (dist/actors/workers/process-entry.js). */
	entryScript: string;
	/** The agent module, resolved and allowed. */
	entryPoint: string;
	/** IPC (the default); stdio is the container protocol, run locally. */
	transport?: "ipc" | "stdio";
	/** The node's network isolation (network-isolation.ts); none when left out. */
	network?: NetworkIsolation;
}

/**
 * Starts a worker process for a code agent: its own V8 heap capped by the manifest's
 * memoryMB, a CPU-time limit (RLIMIT_CPU, via prlimit), an environment without the
 * node's secrets, Node's permission model keeping it to its own files (process-permissions.ts),
 * and, where the node can, a network namespace without a network (network-isolation.ts).
 */
export async function launchProcess(manifest: AgentManifest, options: ProcessLaunchOptions): Promise<WorkerChannel> {
	if (!fs.existsSync(options.entryScript)) throw new Error(`The worker entry ${options.entryScript} is missing; run npm run build`);
	const transport = options.transport ?? "ipc";
	const settings = {
		cwd: path.dirname(options.entryPoint),
		// Only what a Node program needs: never the node's own environment and its secrets.
		env: {
			PATH: process.env.PATH ?? "/usr/bin:/bin",
			NODE_ENV: process.env.NODE_ENV ?? "production",
			AGENTOS_AGENT_ID: manifest.id,
			...(transport === "stdio" ? { AGENTOS_WORKER_TRANSPORT: "stdio" } : {})
		}
	};
	const flags = [`--max-old-space-size=${manifest.limits.memoryMB}`, ...permissionFlags(options.entryScript, options.entryPoint)];
	const network = options.network ?? { isolated: false, prefix: [] };
	// node itself, or node exec'd in place by the isolation prefix: either way the child's pid is node's.
	const [command, ...args] = [...network.prefix, process.execPath, ...flags, options.entryScript];
	let channel: WorkerChannel;
	if (transport === "ipc") {
		channel = ipcChannel(spawn(command, args, { ...settings, stdio: ["ignore", "pipe", "pipe", "ipc"], serialization: "json" }), network.isolated);
	} else {
		const child = spawn(command, args, { ...settings, stdio: ["pipe", "pipe", "pipe"] });
		const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(resolve => child.on("exit", (code, signal) => resolve({ code, signal })));
		channel = stdioChannel({ pid: child.pid, stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, kill: () => child.kill("SIGKILL"), exited, networkIsolated: network.isolated });
	}
	if (manifest.limits.cpuTimeSeconds > 0 && channel.pid) limitCpu(channel.pid, manifest.limits.cpuTimeSeconds);
	return channel;
}

/** RLIMIT_CPU on the running child; the kernel sends SIGXCPU when it is spent. */
function limitCpu(pid: number, seconds: number): void {
	execFile("prlimit", ["--pid", String(pid), `--cpu=${seconds}:${seconds + 1}`], err => {
		if (err) process.emitWarning(`could not limit CPU time of worker ${pid}: ${err.message}`);
	});
}
