import { describeAllowed } from "./config";
import { CONFIG_SCHEMA, type SettingSpec } from "./config-schema";

/**
 * `.env.example` and the README's configuration table, both generated from the one
 * config schema (`npm run env:example` rewrites the first; a test checks both).
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

if (require.main === module) process.stdout.write(renderEnvExample());
