import fs from "node:fs";
import path from "node:path";
import { projectRoot } from "../../lib/kernel/paths";
import { expectPositionals, parseArgs, UsageError } from "../args";

export const AGENTS_NEW_USAGE = `Usage: agent-os agents new NAME [--dir DIR] [--description TEXT] [--force]
  Writes DIR/NAME (DIR: ./agents) from the agent template: index.js, manifest.json, README.md, test.js.`;

const ID = /^[a-z][a-z0-9-]{0,62}$/;
const TEMPLATE = "agents/templates/basic";

/** "price-watch" → "Price watch". */
function title(id: string): string {
	const words = id.replace(/-/g, " ");
	return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A path as a person typed it from here: relative when inside the working folder. */
function shown(p: string): string {
	const rel = path.relative(process.cwd(), p);
	return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : p;
}

/** `agent-os agents new NAME`: a new agent from the template, ready to test and spawn. */
export async function agentsNewCommand(argv: readonly string[]): Promise<number> {
	if (argv.includes("--help") || argv.includes("-h")) {
		console.log(AGENTS_NEW_USAGE);
		return 0;
	}
	try {
		const args = parseArgs(argv, { strings: ["dir", "description"], booleans: ["force"] });
		const [id] = expectPositionals(args, ["NAME"]);
		if (!ID.test(id)) throw new UsageError(`NAME must be 1 to 63 lower-case letters, digits and dashes, starting with a letter (got "${id}"); it becomes the agent's id`);
		const target = path.resolve(args.strings.dir ?? "agents", id);
		if (fs.existsSync(target) && !args.booleans.has("force")) throw new UsageError(`${shown(target)} already exists (--force writes over its files)`);
		const description = (args.strings.description ?? `What ${id} does, in a line`).replace(/["\\]/g, "");
		const values: Record<string, string> = {
			id,
			name: title(id),
			description,
			dir: shown(target),
			entryPoint: shown(path.join(target, "index.js"))
		};
		const source = path.join(projectRoot(), TEMPLATE);
		fs.mkdirSync(target, { recursive: true });
		const written: string[] = [];
		for (const file of fs.readdirSync(source).sort()) {
			const text = fs.readFileSync(path.join(source, file), "utf8").replace(/\{\{(\w+)\}\}/g, (whole, key: string) => values[key] ?? whole);
			fs.writeFileSync(path.join(target, file), text);
			written.push(shown(path.join(target, file)));
		}
		console.log(`Created agent ${id}:\n${written.map(f => `  ${f}`).join("\n")}\n`);
		console.log(`Next:\n  node --test ${values.dir}/test.js\n  agent-os agents spawn ${values.dir}/manifest.json\n  agent-os ask ${id} '{"type":"add","item":"milk"}'`);
		if (!args.strings.dir) return 0;
		console.log(`\n(${values.dir} must be inside AGENT_CODE_PATHS for the node to run it.)`);
		return 0;
	} catch (err) {
		if (!(err instanceof UsageError)) throw err;
		console.error(`${err.message}\n\n${AGENTS_NEW_USAGE}`);
		return 1;
	}
}
