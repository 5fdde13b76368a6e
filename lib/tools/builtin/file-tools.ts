import { constants, promises as fsp } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { ToolFailedError, ToolRefusedError } from "../errors";
import type { ToolDefinition, ToolPolicy } from "../tool";
import { requestedPath, resolveInside } from "./path-guard";

export const MAX_LIST_ENTRIES = 5000;
const DEFAULT_LIST_ENTRIES = 1000;

export type FileEncoding = "utf8" | "base64";

export interface FileListEntry {
	/** Relative to the listed folder (`sub/file.ts` when recursive). */
	name: string;
	type: "file" | "dir" | "link";
	size: number;
}

function stringArg(toolId: string, args: Record<string, unknown>, name: string): string {
	const value = args[name];
	if (typeof value !== "string") throw new ToolRefusedError(toolId, `${name} must be a string`, { [name]: typeof value });
	return value;
}

function encodingArg(toolId: string, args: Record<string, unknown>): FileEncoding {
	const value = args.encoding ?? "utf8";
	if (value !== "utf8" && value !== "base64") throw new ToolRefusedError(toolId, "encoding must be utf8 or base64");
	return value;
}

function positiveInt(value: unknown, fallback: number, max: number): number {
	return typeof value === "number" && Number.isInteger(value) && value > 0 ? Math.min(value, max) : fallback;
}

/** Cuts a UTF-8 buffer back to the last whole character, so truncation never yields U+FFFD. */
export function utf8Prefix(buf: Buffer): Buffer {
	let end = buf.length;
	let i = end - 1;
	while (i >= 0 && i > end - 4 && (buf[i] & 0xc0) === 0x80) i--;
	if (i >= 0) {
		const lead = buf[i];
		const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
		if (end - i < need) end = i;
	}
	return buf.subarray(0, end);
}

/** Reads up to `maxBytes` of a regular file, without following a symlink swapped in after the check. */
export async function readPrefix(real: string, maxBytes: number): Promise<{ size: number; data: Buffer }> {
	const handle = await fsp.open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
	try {
		const stat = await handle.stat();
		if (!stat.isFile()) throw new Error("not a regular file");
		const want = Math.min(stat.size, maxBytes);
		const data = Buffer.alloc(want);
		let read = 0;
		while (read < want) {
			const { bytesRead } = await handle.read(data, read, want - read, read);
			if (bytesRead === 0) break;
			read += bytesRead;
		}
		return { size: stat.size, data: data.subarray(0, read) };
	} finally {
		await handle.close();
	}
}

function failed(toolId: string, requested: string, err: unknown): ToolFailedError {
	const code = (err as NodeJS.ErrnoException).code;
	return new ToolFailedError(toolId, `${requested}: ${code ?? (err as Error).message}`, { path: requested, code });
}

export function fileReadTool(policy: ToolPolicy): ToolDefinition {
	const id = "builtin:file_read";
	return {
		id,
		description: "Read a file inside the allowed folders (text as UTF-8, or binary as base64), up to a size limit.",
		capability: "fs.read",
		source: "builtin",
		parameters: {
			type: "object",
			properties: {
				path: { type: "string", description: "Absolute, or relative to the first allowed folder." },
				encoding: { type: "string", enum: ["utf8", "base64"], default: "utf8" },
				maxBytes: { type: "integer", minimum: 1, maximum: policy.maxOutputBytes }
			},
			required: ["path"],
			additionalProperties: false
		},
		async run(args, ctx) {
			const requested = stringArg(id, args, "path");
			const encoding = encodingArg(id, args);
			const maxBytes = positiveInt(args.maxBytes, policy.maxOutputBytes, policy.maxOutputBytes);
			const real = await resolveInside(requested, policy, ctx.constraints.paths, id);
			let read: { size: number; data: Buffer };
			try {
				read = await readPrefix(real, maxBytes);
			} catch (err) {
				throw failed(id, requested, err);
			}
			const truncated = read.data.length < read.size;
			const bytes = truncated && encoding === "utf8" ? utf8Prefix(read.data) : read.data;
			return { content: { path: real, size: read.size, content: bytes.toString(encoding), truncated }, truncated };
		}
	};
}

/** Writes `data` to `real` by a temp file in the same folder and a rename, so readers never see half a file. */
async function writeAtomically(real: string, data: Buffer, mode: number): Promise<void> {
	const temp = path.join(path.dirname(real), `.${path.basename(real)}.${randomBytes(6).toString("hex")}.tmp`);
	const handle = await fsp.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
	try {
		try {
			await handle.writeFile(data);
			await handle.sync();
		} finally {
			await handle.close();
		}
		await fsp.rename(temp, real);
	} catch (err) {
		await fsp.rm(temp, { force: true });
		throw err;
	}
}

export function fileWriteTool(policy: ToolPolicy): ToolDefinition {
	const id = "builtin:file_write";
	return {
		id,
		description: "Write (or append to) a file inside the allowed folders, atomically. Refuses to write through a symlink.",
		capability: "fs.write",
		requiresConfirmation: true,
		source: "builtin",
		parameters: {
			type: "object",
			properties: {
				path: { type: "string", description: "Absolute, or relative to the first allowed folder." },
				content: { type: "string" },
				encoding: { type: "string", enum: ["utf8", "base64"], default: "utf8" },
				append: { type: "boolean", default: false },
				createDirs: { type: "boolean", default: false, description: "Create missing parent folders." }
			},
			required: ["path", "content"],
			additionalProperties: false
		},
		async run(args, ctx) {
			const requested = stringArg(id, args, "path");
			const content = stringArg(id, args, "content");
			const encoding = encodingArg(id, args);
			const narrowed = ctx.constraints.paths;
			if (encoding === "base64" && !/^[A-Za-z0-9+/_-]*={0,2}$/.test(content.replace(/\s/g, ""))) {
				throw new ToolRefusedError(id, "content is not valid base64");
			}
			const data = Buffer.from(content, encoding);

			// The entry itself, before symlinks are followed: a link here would redirect the write.
			const entry = await fsp.lstat(requestedPath(requested, policy, narrowed, id)).catch(() => null);
			if (entry?.isSymbolicLink()) throw new ToolRefusedError(id, `path ${requested} is a symlink; not writing through it`, { path: requested });
			let real = await resolveInside(requested, policy, narrowed, id);

			const existing = await fsp.lstat(real).catch(() => null);
			if (existing && !existing.isFile()) throw new ToolRefusedError(id, `path ${requested} is not a regular file`, { path: requested });
			const dir = path.dirname(real);
			try {
				if (args.createDirs === true) {
					await fsp.mkdir(dir, { recursive: true });
					// Folders created just now: check again that the real path stays inside.
					real = await resolveInside(requested, policy, narrowed, id);
				}
				const prefix = args.append === true && existing ? (await readPrefix(real, Number.MAX_SAFE_INTEGER)).data : null;
				await writeAtomically(real, prefix ? Buffer.concat([prefix, data]) : data, existing ? existing.mode & 0o7777 : 0o644);
			} catch (err) {
				if (err instanceof ToolRefusedError) throw err;
				throw failed(id, requested, err);
			}
			return { content: { path: real, bytesWritten: data.length } };
		}
	};
}

async function listFolder(root: string, recursive: boolean, max: number): Promise<{ entries: FileListEntry[]; truncated: boolean }> {
	const entries: FileListEntry[] = [];
	const queue: string[] = [""];
	while (queue.length) {
		const rel = queue.shift() as string;
		const dirents = await fsp.readdir(path.join(root, rel), { withFileTypes: true });
		dirents.sort((a, b) => a.name.localeCompare(b.name));
		for (const d of dirents) {
			if (entries.length >= max) return { entries, truncated: true };
			const name = rel ? path.join(rel, d.name) : d.name;
			// lstat: a link is listed as a link and never followed, so the walk stays inside.
			const stat = await fsp.lstat(path.join(root, name)).catch(() => null);
			if (!stat) continue;
			const type = stat.isSymbolicLink() ? "link" : stat.isDirectory() ? "dir" : "file";
			entries.push({ name, type, size: type === "dir" ? 0 : stat.size });
			if (recursive && type === "dir") queue.push(name);
		}
	}
	return { entries, truncated: false };
}

export function fileListTool(policy: ToolPolicy): ToolDefinition {
	const id = "builtin:file_list";
	return {
		id,
		description: "List a folder inside the allowed folders (optionally recursively); symlinks are listed, never followed.",
		capability: "fs.read",
		source: "builtin",
		parameters: {
			type: "object",
			properties: {
				path: { type: "string", description: "Absolute, or relative to the first allowed folder." },
				recursive: { type: "boolean", default: false },
				maxEntries: { type: "integer", minimum: 1, maximum: MAX_LIST_ENTRIES, default: DEFAULT_LIST_ENTRIES }
			},
			required: ["path"],
			additionalProperties: false
		},
		async run(args, ctx) {
			const requested = stringArg(id, args, "path");
			const max = positiveInt(args.maxEntries, DEFAULT_LIST_ENTRIES, MAX_LIST_ENTRIES);
			const real = await resolveInside(requested, policy, ctx.constraints.paths, id);
			try {
				const { entries, truncated } = await listFolder(real, args.recursive === true, max);
				return { content: { path: real, entries, truncated }, truncated };
			} catch (err) {
				throw failed(id, requested, err);
			}
		}
	};
}
