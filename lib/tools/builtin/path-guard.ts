import { promises as fsp } from "node:fs";
import path from "node:path";
import { ToolRefusedError } from "../errors";
import type { ToolPolicy } from "../tool";

const DEFAULT_TOOL_ID = "builtin:path_guard";

type PathPolicy = Pick<ToolPolicy, "allowedPaths" | "allowAllPaths">;

function errorCode(err: unknown): string | undefined {
	return (err as NodeJS.ErrnoException | null)?.code;
}

/** True when `file` is `dir` or below it (both already real, absolute paths). */
export function isInside(file: string, dir: string): boolean {
	const rel = path.relative(dir, file);
	return rel === "" || (rel !== ".." && !rel.startsWith(".." + path.sep) && !path.isAbsolute(rel));
}

/** The real paths of the folders that exist; a missing folder allows nothing. */
async function realFolders(folders: string[], base: string): Promise<string[]> {
	const out: string[] = [];
	for (const folder of folders) {
		try {
			out.push(await fsp.realpath(path.resolve(base, folder)));
		} catch {
			// A folder that does not exist cannot contain anything.
		}
	}
	return out;
}

/**
 * The absolute, normalised path a request names (`..` resolved lexically), before
 * symlinks are followed: relative paths are relative to the first allowed folder (or the
 * grant's first folder when the node allows all paths). The file tools use it to look at
 * the entry itself (is it a symlink?); anything that touches files uses resolveInside.
 */
export function requestedPath(requested: unknown, policy: PathPolicy, narrowed?: string[], toolId = DEFAULT_TOOL_ID): string {
	if (typeof requested !== "string" || requested.length === 0) {
		throw new ToolRefusedError(toolId, "the path must be a non-empty string", { path: requested });
	}
	if (requested.includes("\0")) {
		throw new ToolRefusedError(toolId, "the path contains a NUL byte", { path: requested.replace(/\0/g, "\\0") });
	}
	if (path.isAbsolute(requested)) return path.resolve(requested);
	const base = policy.allowedPaths[0] ?? narrowed?.[0];
	if (base === undefined) {
		throw new ToolRefusedError(toolId, `relative path ${requested} needs an allowed folder to be relative to, and none is configured`, {
			path: requested
		});
	}
	return path.resolve(path.resolve(base), requested);
}

/**
 * The real path of `abs`: of the file itself when it exists, or of its nearest existing
 * parent followed by the missing names. A dangling symlink on the way is refused: writing
 * "through" it would create its target, wherever that is.
 */
async function realPathOf(abs: string, requested: string, toolId: string): Promise<string> {
	const missing: string[] = [];
	let current = abs;
	for (;;) {
		try {
			const real = await fsp.realpath(current);
			return missing.length ? path.join(real, ...missing.reverse()) : real;
		} catch (err) {
			const code = errorCode(err);
			if (code === "ELOOP") throw new ToolRefusedError(toolId, `path ${requested} has a symlink loop`, { path: requested });
			if (code !== "ENOENT" && code !== "ENOTDIR") {
				// EACCES and the like: what cannot be resolved cannot be checked.
				throw new ToolRefusedError(toolId, `path ${requested} cannot be resolved (${code ?? "error"})`, { path: requested });
			}
		}
		let isLink = false;
		try {
			isLink = (await fsp.lstat(current)).isSymbolicLink();
		} catch {
			// Does not exist at all: walk up.
		}
		if (isLink) throw new ToolRefusedError(toolId, `path ${requested} goes through a dangling symlink`, { path: requested });
		const parent = path.dirname(current);
		if (parent === current) return abs;
		missing.push(path.basename(current));
		current = parent;
	}
}

/**
 * The real path a tool may touch for `requested`, or a ToolRefusedError. `..`, NUL bytes
 * and symlinks are resolved first, and then the REAL path must be inside one of the
 * node's allowed folders (unless it allows all paths) and inside the grant's `paths`
 * when the grant narrows (an empty list allows nothing).
 */
export async function resolveInside(
	requested: string,
	policy: PathPolicy,
	narrowed?: string[],
	toolId = DEFAULT_TOOL_ID
): Promise<string> {
	const abs = requestedPath(requested, policy, narrowed, toolId);
	const real = await realPathOf(abs, requested, toolId);
	const base = policy.allowedPaths[0] ?? "/";

	if (!policy.allowAllPaths) {
		const allowed = await realFolders(policy.allowedPaths, base);
		if (!allowed.some(dir => isInside(real, dir))) {
			throw new ToolRefusedError(
				toolId,
				`path ${requested} is outside the allowed folders (${policy.allowedPaths.join(", ") || "none configured"})`,
				{ path: requested, allowedPaths: policy.allowedPaths }
			);
		}
	}
	if (narrowed) {
		const granted = await realFolders(narrowed, base);
		if (!granted.some(dir => isInside(real, dir))) {
			throw new ToolRefusedError(toolId, `path ${requested} is outside the folders this grant allows (${narrowed.join(", ") || "none"})`, {
				path: requested,
				allowedPaths: narrowed
			});
		}
	}
	return real;
}
