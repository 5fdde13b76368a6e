import path from "node:path";
import Dockerode from "dockerode";
import type { Config } from "../lib/kernel/config";
import { projectRoot } from "../lib/kernel/paths";
import { DockerUnavailableError } from "./errors";
import type { AgentManifest } from "./manifest-types";
import { stdioChannel } from "./workers/channel";
import { ChannelWorker } from "./workers/channel-worker";
import type { DockerWorkerOptions } from "./workers/docker-spec";
import { DockerWorkerLauncher } from "./workers/docker-worker";
import { DeclarativeWorker } from "./workers/declarative-worker";
import { InProcessWorker } from "./workers/inprocess-worker";
import { resolveNetworkIsolation, type NetworkIsolation } from "./workers/network-isolation";
import { launchProcess } from "./workers/process-launcher";
import type { AgentWorker, WorkerHooks } from "./workers/worker";

export interface WorkerSettings {
	heartbeatMs: number;
	startTimeoutMs: number;
	docker: Omit<DockerWorkerOptions, "agentCodeDir" | "networkGranted">;
	/**
	 * How process workers are cut off from the network: probed once per node, on first use
	 * (the agents service asks at boot). Rejects with NETWORK_ISOLATION_UNAVAILABLE when
	 * AGENT_NETWORK_ISOLATION is namespace and the node cannot make one.
	 */
	network(): Promise<NetworkIsolation>;
}

/** The workers' settings, from the node's configuration. */
export function workerSettings(
	config: Pick<
		Config,
		"AGENT_HEARTBEAT_INTERVAL_MS" | "AGENT_START_TIMEOUT_MS" | "AGENT_WORKER_IMAGE" | "AGENT_WORKER_APPARMOR_PROFILE" | "AGENT_WORKER_REQUIRE_APPARMOR" | "AGENT_NETWORK_ISOLATION"
	>
): WorkerSettings {
	let network: Promise<NetworkIsolation> | undefined;
	return {
		network: () => (network ??= resolveNetworkIsolation(config.AGENT_NETWORK_ISOLATION)),
		heartbeatMs: config.AGENT_HEARTBEAT_INTERVAL_MS,
		startTimeoutMs: config.AGENT_START_TIMEOUT_MS,
		docker: {
			image: config.AGENT_WORKER_IMAGE,
			workerEntry: IMAGE_ENTRY_SCRIPT,
			apparmorProfile: config.AGENT_WORKER_APPARMOR_PROFILE,
			requireApparmor: config.AGENT_WORKER_REQUIRE_APPARMOR
		}
	};
}

/** The compiled worker entry; agent code runs under plain Node, not a TypeScript loader. */
export function processEntryScript(): string {
	return path.join(projectRoot(), "dist", "actors", "workers", "process-entry.js");
}

/** Where the image keeps the worker entry (the Dockerfile copies dist/ to /app/dist). */
export const IMAGE_ENTRY_SCRIPT = "/app/dist/actors/workers/process-entry.js";

let docker: Dockerode | undefined;

export function createWorker(manifest: AgentManifest, entryPoint: string, settings: WorkerSettings, hooks: WorkerHooks): AgentWorker {
	const common = { heartbeatMs: settings.heartbeatMs, startTimeoutMs: settings.startTimeoutMs };
	switch (manifest.runtime) {
		case "declarative":
			return new DeclarativeWorker(manifest, hooks);
		case "inprocess":
			return new InProcessWorker(manifest, entryPoint, hooks);
		case "process":
			return new ChannelWorker(
				manifest,
				{ ...common, runtime: "process", entryPoint, launch: async () => launchProcess(manifest, { entryScript: processEntryScript(), entryPoint, network: await settings.network() }) },
				hooks
			);
		case "docker": {
			// The agent's folder is mounted read-only at /agent; the worker speaks JSON lines on stdio.
			const networkGranted = manifest.permissions.includes("network.fetch");
			const launcher = new DockerWorkerLauncher((docker ??= new Dockerode()), {
				...settings.docker,
				agentCodeDir: path.dirname(entryPoint),
				networkGranted,
				env: { ...settings.docker.env, AGENTOS_WORKER_TRANSPORT: "stdio" }
			});
			return new ChannelWorker(
				manifest,
				{
					...common,
					runtime: "docker",
					entryPoint: `/agent/${path.basename(entryPoint)}`,
					launch: async () => {
						const handle = await launcher.launch(manifest).catch((err: Error) => {
							throw new DockerUnavailableError(err.message);
						});
						const exited = handle.wait().then(
							({ StatusCode }) => ({ code: StatusCode, signal: null }),
							() => ({ code: null, signal: "SIGKILL" as NodeJS.Signals })
						);
						return stdioChannel({ stdin: handle.stdin, stdout: handle.stdout, stderr: handle.stderr, kill: () => void handle.kill(), exited, networkIsolated: !networkGranted });
					}
				},
				hooks
			);
		}
	}
}
