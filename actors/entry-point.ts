import fs from "node:fs";
import path from "node:path";
import { ManifestInvalidError } from "./errors";
import type { AgentManifest } from "./manifest-types";

/** Splits a comma-separated list of folders and resolves each against the working directory. */
export function parsePathList(list: string | undefined): string[] {
	return (list ?? "")
		.split(",")
		.map(p => p.trim())
		.filter(Boolean)
		.map(p => path.resolve(p));
}

function realOrNull(p: string): string | null {
	try {
		return fs.realpathSync(p);
	} catch {
		return null;
	}
}

function inside(file: string, dirs: string[]): boolean {
	return dirs.some(dir => {
		const real = realOrNull(dir);
		return real !== null && (file === real || file.startsWith(real + path.sep));
	});
}

function refuse(message: string): never {
	throw new ManifestInvalidError(message, [{ field: "entryPoint", message }]);
}

/**
 * The agent's module, as a real path inside the allowed folders — after resolving
 * symlinks, so a link cannot point agent code at a file outside them. In-process
 * agents must also be inside the trusted folders.
 */
export function resolveEntryPoint(manifest: AgentManifest, codePaths: string[], inprocessPaths: string[]): string {
	// A declarative agent has no code to load.
	if (manifest.entryPoint === undefined) return "";
	const file = realOrNull(path.resolve(manifest.entryPoint));
	if (!file) refuse(`manifest.entryPoint ${manifest.entryPoint} does not exist`);
	if (!fs.statSync(file).isFile()) refuse(`manifest.entryPoint ${manifest.entryPoint} is not a file`);
	if (!inside(file, codePaths)) {
		refuse(`manifest.entryPoint ${manifest.entryPoint} is outside the agent code folders (AGENT_CODE_PATHS: ${codePaths.join(", ") || "none"})`);
	}
	if (manifest.runtime === "inprocess" && !inside(file, inprocessPaths)) {
		refuse(
			`manifest.runtime "inprocess" runs code inside the node; ${manifest.entryPoint} is not in AGENT_INPROCESS_PATHS (${inprocessPaths.join(", ") || "none set"})`
		);
	}
	return file;
}
