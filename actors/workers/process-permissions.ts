import fs from "node:fs";
import path from "node:path";

/**
 * Node's permission flags for an agent's worker process: it may read only its own code
 * folder and the compiled worker with its packages — not the node's data folder (the
 * admin token, the database), not /proc (the node's own environment and its secrets) —
 * and may write nothing, start no process and no worker thread. Agent code reaches
 * everything else through ctx, under its grants. The flag is `--permission` from Node 22
 * on, `--experimental-permission` before.
 */
export function permissionFlags(entryScript: string, entryPoint: string): string[] {
	const flag = process.allowedNodeEnvironmentFlags.has("--permission") ? "--permission" : "--experimental-permission";
	// dist/actors/workers/process-entry.js → dist, and the packages beside it.
	const dist = path.resolve(path.dirname(entryScript), "..", "..");
	const readable = [path.dirname(entryPoint), dist, path.join(dist, "..", "node_modules"), path.join(dist, "..", "package.json")]
		.map(p => real(p))
		.filter((p): p is string => p !== null);
	// Node 20 warns on every start that the permission model is experimental: in each agent's
	// log, a line about us, not the agent.
	const quiet = flag === "--experimental-permission" && process.allowedNodeEnvironmentFlags.has("--disable-warning") ? ["--disable-warning=ExperimentalWarning"] : [];
	return [flag, ...quiet, ...[...new Set(readable)].map(p => `--allow-fs-read=${p}`)];
}

function real(p: string): string | null {
	try {
		return fs.realpathSync(p);
	} catch {
		return null;
	}
}
