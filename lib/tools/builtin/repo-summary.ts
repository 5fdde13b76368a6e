import { promises as fsp } from "node:fs";
import path from "node:path";
import { ToolFailedError, ToolRefusedError } from "../errors";
import type { ToolDefinition, ToolPolicy } from "../tool";
import { readPrefix } from "./file-tools";
import { resolveInside } from "./path-guard";

const ID = "builtin:repo_summary";
export const DEFAULT_MAX_FILES = 5000;
const MAX_FILES_CAP = 50000;
const README_LINES = 40;
const MANIFEST_BYTES = 256 * 1024;

/** Folders of dependencies, build output and VCS data: not the project's own code. */
export const SKIPPED_DIRS = new Set(["node_modules", ".git", ".hg", ".svn", "dist", "build", "vendor", "__pycache__", ".venv"]);

const LANGUAGES: Record<string, string> = {
	".ts": "TypeScript", ".tsx": "TypeScript", ".mts": "TypeScript", ".cts": "TypeScript",
	".js": "JavaScript", ".jsx": "JavaScript", ".mjs": "JavaScript", ".cjs": "JavaScript",
	".py": "Python", ".go": "Go", ".rs": "Rust", ".java": "Java", ".kt": "Kotlin",
	".c": "C", ".h": "C", ".cpp": "C++", ".cc": "C++", ".cxx": "C++", ".hpp": "C++",
	".cs": "C#", ".rb": "Ruby", ".php": "PHP", ".swift": "Swift", ".scala": "Scala",
	".md": "Markdown", ".json": "JSON", ".yaml": "YAML", ".yml": "YAML", ".toml": "TOML",
	".sh": "Shell", ".bash": "Shell", ".sql": "SQL", ".html": "HTML", ".css": "CSS"
};

export interface LanguageStat {
	language: string;
	files: number;
	bytes: number;
}

export interface Manifest {
	file: string;
	name?: string;
	version?: string;
	scripts?: Record<string, string>;
}

export interface RepoSummary {
	path: string;
	files: number;
	directories: number;
	bytes: number;
	languages: LanguageStat[];
	largestFiles: { path: string; bytes: number }[];
	readme: { file: string; lines: string; truncated: boolean } | null;
	manifests: Manifest[];
	truncated: boolean;
}

interface FileInfo {
	rel: string;
	bytes: number;
}

/** Walks without following symlinks, so the walk cannot leave the resolved folder. */
async function walk(root: string, maxFiles: number): Promise<{ files: FileInfo[]; directories: number; truncated: boolean }> {
	const files: FileInfo[] = [];
	let directories = 0;
	const queue = [""];
	while (queue.length) {
		const rel = queue.shift() as string;
		const dirents = await fsp.readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
		dirents.sort((a, b) => a.name.localeCompare(b.name));
		for (const d of dirents) {
			const name = rel ? path.join(rel, d.name) : d.name;
			if (d.isDirectory()) {
				if (SKIPPED_DIRS.has(d.name)) continue;
				directories++;
				queue.push(name);
			} else if (d.isFile()) {
				if (files.length >= maxFiles) return { files, directories, truncated: true };
				const stat = await fsp.lstat(path.join(root, name)).catch(() => null);
				if (stat?.isFile()) files.push({ rel: name, bytes: stat.size });
			}
		}
	}
	return { files, directories, truncated: false };
}

function languagesOf(files: FileInfo[]): LanguageStat[] {
	const by = new Map<string, LanguageStat>();
	for (const f of files) {
		const language = LANGUAGES[path.extname(f.rel).toLowerCase()];
		if (!language) continue;
		const stat = by.get(language) ?? { language, files: 0, bytes: 0 };
		stat.files++;
		stat.bytes += f.bytes;
		by.set(language, stat);
	}
	return [...by.values()].sort((a, b) => b.bytes - a.bytes || a.language.localeCompare(b.language));
}

async function readText(file: string): Promise<string | null> {
	try {
		return (await readPrefix(file, MANIFEST_BYTES)).data.toString("utf8");
	} catch {
		return null;
	}
}

/** `key = "value"` pairs of one TOML table; enough for a name and a version, not a TOML parser. */
function tomlTable(text: string, table: string): Record<string, string> {
	const out: Record<string, string> = {};
	let inTable = false;
	for (const line of text.split(/\r?\n/)) {
		const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
		if (header) {
			inTable = header[1].trim() === table;
			continue;
		}
		const pair = inTable ? /^\s*([A-Za-z0-9_-]+)\s*=\s*"([^"]*)"/.exec(line) : null;
		if (pair) out[pair[1]] = pair[2];
	}
	return out;
}

async function manifestsIn(root: string, present: Set<string>): Promise<Manifest[]> {
	const out: Manifest[] = [];
	const text = async (name: string): Promise<string | null> => (present.has(name) ? readText(path.join(root, name)) : null);
	const pkg = await text("package.json");
	if (pkg !== null) {
		try {
			const json = JSON.parse(pkg) as { name?: unknown; version?: unknown; scripts?: unknown };
			const scripts = json.scripts && typeof json.scripts === "object" ? (json.scripts as Record<string, string>) : undefined;
			out.push({ file: "package.json", name: str(json.name), version: str(json.version), scripts });
		} catch {
			out.push({ file: "package.json" });
		}
	}
	const pyproject = await text("pyproject.toml");
	if (pyproject !== null) {
		const project = { ...tomlTable(pyproject, "tool.poetry"), ...tomlTable(pyproject, "project") };
		out.push({ file: "pyproject.toml", name: project.name, version: project.version });
	}
	const cargo = await text("Cargo.toml");
	if (cargo !== null) {
		const pkgTable = tomlTable(cargo, "package");
		out.push({ file: "Cargo.toml", name: pkgTable.name, version: pkgTable.version });
	}
	const gomod = await text("go.mod");
	if (gomod !== null) {
		out.push({ file: "go.mod", name: /^module\s+(\S+)/m.exec(gomod)?.[1], version: /^go\s+(\S+)/m.exec(gomod)?.[1] });
	}
	return out;
}

function str(value: unknown): string | undefined {
	return typeof value === "string" ? value : undefined;
}

async function readmeIn(root: string, topFiles: string[]): Promise<RepoSummary["readme"]> {
	const file = topFiles.filter(f => /^readme(\.|$)/i.test(f)).sort((a, b) => a.length - b.length)[0];
	if (!file) return null;
	const text = await readText(path.join(root, file));
	if (text === null) return null;
	const lines = text.split(/\r?\n/);
	return { file, lines: lines.slice(0, README_LINES).join("\n"), truncated: lines.length > README_LINES };
}

export async function summarizeRepo(root: string, maxFiles: number): Promise<RepoSummary> {
	const { files, directories, truncated } = await walk(root, maxFiles);
	const top = files.filter(f => !f.rel.includes(path.sep)).map(f => f.rel);
	return {
		path: root,
		files: files.length,
		directories,
		bytes: files.reduce((sum, f) => sum + f.bytes, 0),
		languages: languagesOf(files),
		largestFiles: [...files]
			.sort((a, b) => b.bytes - a.bytes || a.rel.localeCompare(b.rel))
			.slice(0, 10)
			.map(f => ({ path: f.rel, bytes: f.bytes })),
		readme: await readmeIn(root, top),
		manifests: await manifestsIn(root, new Set(top)),
		truncated
	};
}

export function repoSummaryTool(policy: ToolPolicy): ToolDefinition {
	return {
		id: ID,
		description:
			"Summarize a source tree inside the allowed folders: file and byte counts, languages, largest files, the README's start and the manifests (package.json, pyproject.toml, Cargo.toml, go.mod).",
		capability: "fs.read",
		source: "builtin",
		parameters: {
			type: "object",
			properties: {
				path: { type: "string", description: "Absolute, or relative to the first allowed folder." },
				maxFiles: { type: "integer", minimum: 1, maximum: MAX_FILES_CAP, default: DEFAULT_MAX_FILES }
			},
			required: ["path"],
			additionalProperties: false
		},
		async run(args, ctx) {
			if (typeof args.path !== "string") throw new ToolRefusedError(ID, "path must be a string");
			const maxFiles =
				typeof args.maxFiles === "number" && Number.isInteger(args.maxFiles) && args.maxFiles > 0
					? Math.min(args.maxFiles, MAX_FILES_CAP)
					: DEFAULT_MAX_FILES;
			const root = await resolveInside(args.path, policy, ctx.constraints.paths, ID);
			const stat = await fsp.stat(root).catch(() => null);
			if (!stat) throw new ToolFailedError(ID, `${args.path} does not exist`, { path: args.path });
			if (!stat.isDirectory()) throw new ToolRefusedError(ID, `${args.path} is not a folder`, { path: args.path });
			const summary = await summarizeRepo(root, maxFiles);
			return { content: summary, truncated: summary.truncated };
		}
	};
}
