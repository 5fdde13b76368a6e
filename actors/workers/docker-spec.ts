/**
 * The container spec of the `docker` worker runtime: the same worker entry script as a
 * process worker, run in a locked-down container (no capabilities, read-only root, no
 * network unless granted, hard memory/CPU/pids/disk limits). Pure: builds the dockerode
 * `ContainerCreateOptions` and nothing else, so the hardening is testable without an engine.
 */
import { posix } from "node:path";
import type { ContainerCreateOptions } from "dockerode";
import type { AgentManifest } from "../manifest-types";

export interface DockerWorkerOptions {
	image: string;
	/** Host dir with the agent's code, mounted read-only at /agent. */
	agentCodeDir: string;
	/** Path inside the image of the worker entry script, e.g. /app/dist/actors/workers/process-entry.js. */
	workerEntry: string;
	/** True when the agent has the network.fetch capability. */
	networkGranted: boolean;
	apparmorProfile?: string;
	requireApparmor: boolean;
	/** JSON text of a seccomp profile; undefined = Docker's default profile. */
	seccompProfile?: string;
	env?: Record<string, string>;
}

/** The docker runtime is configured in a way that cannot give a safe container. */
export class WorkerConfigError extends Error {
	readonly type = "WORKER_CONFIG_INVALID";
	constructor(message: string) {
		super(message);
		this.name = "WorkerConfigError";
	}
}

const MB = 1024 * 1024;

export function buildContainerSpec(manifest: AgentManifest, opts: DockerWorkerOptions): ContainerCreateOptions {
	const { limits } = manifest;
	checkOptions(opts);
	// Docker reads 0 (or -1) as "unlimited" for memory, CPU and pids: refuse rather than unbox.
	for (const key of ["memoryMB", "cpuCores", "pids", "diskQuotaMB"] as const) {
		if (!(Number.isFinite(limits[key]) && limits[key] > 0)) {
			throw new WorkerConfigError(`limits.${key} of agent "${manifest.id}" must be a positive number, got ${limits[key]}`);
		}
	}

	const securityOpt = ["no-new-privileges:true"];
	// No seccomp entry means Docker's default profile; never "unconfined".
	if (opts.seccompProfile !== undefined) securityOpt.push(`seccomp=${opts.seccompProfile}`);
	if (opts.apparmorProfile) securityOpt.push(`apparmor=${opts.apparmorProfile}`);

	// No nproc ulimit: RLIMIT_NPROC counts every process and thread of the UID across all
	// containers (all agents run as 1000), so a per-agent value would starve the others.
	// PidsLimit is the per-container cap.
	const ulimits = [{ Name: "nofile", Soft: 1024, Hard: 1024 }];
	// Soft = hard: SIGXCPU at the limit, whose default action ends the worker.
	if (limits.cpuTimeSeconds > 0) ulimits.push({ Name: "cpu", Soft: limits.cpuTimeSeconds, Hard: limits.cpuTimeSeconds });

	const memory = limits.memoryMB * MB;
	return {
		Image: opts.image,
		// Heap below the container limit so V8 fails with a heap error before the OOM killer.
		Cmd: ["node", `--max-old-space-size=${Math.round(limits.memoryMB * 0.8)}`, opts.workerEntry],
		// Only what the caller passes: the host's process.env (tokens, DB URLs) never enters.
		Env: [
			...Object.entries(opts.env ?? {})
				.filter(([k]) => k !== "AGENTOS_AGENT_ID")
				.map(([k, v]) => `${k}=${v}`),
			`AGENTOS_AGENT_ID=${manifest.id}`
		],
		User: "1000:1000",
		WorkingDir: "/agent",
		// The JSON-lines protocol runs over stdio, so stdin stays open and nothing is a TTY.
		OpenStdin: true,
		StdinOnce: false,
		AttachStdin: true,
		AttachStdout: true,
		AttachStderr: true,
		Tty: false,
		NetworkDisabled: !opts.networkGranted,
		Labels: { "agentos.agent": manifest.id, "agentos.version": manifest.version },
		HostConfig: {
			ReadonlyRootfs: true,
			Tmpfs: { "/tmp": "rw,noexec,nosuid,size=64m" },
			CapDrop: ["ALL"],
			SecurityOpt: securityOpt,
			NetworkMode: opts.networkGranted ? "bridge" : "none",
			Memory: memory,
			MemorySwap: memory, // equal to Memory: no swap on top
			NanoCpus: Math.round(limits.cpuCores * 1e9),
			PidsLimit: limits.pids,
			Ulimits: ulimits,
			// Needs the overlay2 driver on xfs mounted with pquota; Docker refuses to create otherwise.
			StorageOpt: { size: `${limits.diskQuotaMB}M` },
			Binds: [`${opts.agentCodeDir}:/agent:ro`],
			AutoRemove: true,
			// A real PID 1 (docker-init) reaps zombies and forwards signals to node.
			Init: true
		}
	};
}

function checkOptions(opts: DockerWorkerOptions): void {
	if (opts.requireApparmor && !opts.apparmorProfile) {
		throw new WorkerConfigError(
			"AGENT_WORKER_REQUIRE_APPARMOR is set but no AppArmor profile is configured: set AGENT_WORKER_APPARMOR_PROFILE " +
				"to a profile loaded on the Docker host, or unset AGENT_WORKER_REQUIRE_APPARMOR"
		);
	}
	// The bind is "<host>:<container>:<mode>": a relative path would name a volume, a ':' would split the spec.
	if (!posix.isAbsolute(opts.agentCodeDir) || opts.agentCodeDir.includes(":")) {
		throw new WorkerConfigError(`agentCodeDir must be an absolute path without ':', got "${opts.agentCodeDir}"`);
	}
	if (opts.seccompProfile !== undefined) {
		try {
			JSON.parse(opts.seccompProfile);
		} catch {
			throw new WorkerConfigError("seccompProfile must be the JSON text of a seccomp profile");
		}
	}
}
