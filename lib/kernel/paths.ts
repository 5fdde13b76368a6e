import fs from "node:fs";
import path from "node:path";

/** The folder holding AgentOS's package.json, from source (ts) or build output (dist). */
export function projectRoot(from = __dirname): string {
	let dir = from;
	for (;;) {
		const manifest = path.join(dir, "package.json");
		if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === "agent-os") return dir;
		const parent = path.dirname(dir);
		if (parent === dir) throw new Error(`Cannot find the agent-os package above ${from}`);
		dir = parent;
	}
}

export function migrationsDir(): string {
	return path.join(projectRoot(), "migrations");
}

export function packageVersion(): string {
	return JSON.parse(fs.readFileSync(path.join(projectRoot(), "package.json"), "utf8")).version;
}

/** Where `npm run build` writes the web console (index.html and its hashed assets). */
export function consoleDir(): string {
	return path.join(projectRoot(), "dist", "dashboard");
}
