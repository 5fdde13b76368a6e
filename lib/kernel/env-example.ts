import fs from "node:fs";
import path from "node:path";
import { describeAllowed } from "./config";
import { CONFIG_SCHEMA, type SettingSpec } from "./config-schema";

/**
 * `.env.example` and the README's configuration table, both generated from the one
 * config schema (`npm run env:example` rewrites both; a test checks they are in step).
 */
export function renderEnvExample(): string {
	const lines = ["# AgentOS configuration. Every variable is optional; the defaults run a single node", "# with embedded storage. Generated from lib/kernel/config-schema.ts: npm run env:example", ""];
	let group = "";
	for (const [key, spec] of entries()) {
		if (spec.group !== group) {
			group = spec.group;
			lines.push(`# --- ${group} ---`);
		}
		lines.push(`# ${spec.description} (${describeAllowed(spec)})`);
		lines.push(`${spec.default === undefined ? "# " : ""}${key}=${spec.default ?? ""}`);
	}
	return `${lines.join("\n")}\n`;
}

export function renderConfigTable(): string {
	const rows = ["| Variable | Default | Allowed | What it does |", "|---|---|---|---|"];
	for (const [key, spec] of entries()) {
		const def = spec.default === undefined ? "—" : `\`${spec.default}\``;
		rows.push(`| \`${key}\` | ${def} | ${describeAllowed(spec)} | ${spec.description} |`);
	}
	return rows.join("\n");
}

function entries(): [string, SettingSpec][] {
	return Object.entries(CONFIG_SCHEMA);
}

/** The README with its configuration table (the run of table lines after its header) replaced. */
export function withConfigTable(readme: string): string {
	const table = renderConfigTable();
	const header = table.slice(0, table.indexOf("\n"));
	const lines = readme.split("\n");
	const start = lines.indexOf(header);
	if (start < 0) throw new Error("README.md has no configuration table to replace");
	let end = start;
	while (end < lines.length && lines[end].startsWith("|")) end++;
	return [...lines.slice(0, start), table, ...lines.slice(end)].join("\n");
}

// `npm run env:example`: rewrites .env.example and the README's table from the schema.
if (require.main === module) {
	const root = path.resolve(__dirname, "../..");
	fs.writeFileSync(path.join(root, ".env.example"), renderEnvExample());
	const readme = path.join(root, "README.md");
	fs.writeFileSync(readme, withConfigTable(fs.readFileSync(readme, "utf8")));
}
