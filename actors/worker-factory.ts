import path from "node:path";
import { projectRoot } from "../lib/kernel/paths";
import type { AgentManifest } from "./manifest-types";
import { InProcessWorker } from "./workers/inprocess-worker";
import { ProcessWorker } from "./workers/process-worker";
import type { AgentWorker, WorkerHooks } from "./workers/worker";

export interface WorkerSettings {
	heartbeatMs: number;
	startTimeoutMs: number;
}

/** The compiled worker entry; agent code runs under plain Node, not a TypeScript loader. */
export function processEntryScript(): string {
	return path.join(projectRoot(), "dist", "actors", "workers", "process-entry.js");
}

export function createWorker(manifest: AgentManifest, entryPoint: string, settings: WorkerSettings, hooks: WorkerHooks): AgentWorker {
	switch (manifest.runtime) {
		case "inprocess":
			return new InProcessWorker(manifest, entryPoint, hooks);
		case "process":
			return new ProcessWorker(manifest, { entryScript: processEntryScript(), entryPoint, heartbeatMs: settings.heartbeatMs, startTimeoutMs: settings.startTimeoutMs }, hooks);
		case "docker":
			return new ProcessWorker(manifest, { entryScript: "", entryPoint, heartbeatMs: settings.heartbeatMs, startTimeoutMs: settings.startTimeoutMs }, hooks);
	}
}
