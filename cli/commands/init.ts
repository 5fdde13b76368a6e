import fs from "node:fs";
import path from "node:path";
import { renderEnvExample } from "../../lib/kernel/env-example";
import { generateToken } from "../../lib/kernel/secrets";
import { expectPositionals, parseArgs, UsageError } from "../args";
import { EXIT } from "./common";

export const INIT_USAGE = `Usage: agent-os init [--force] [--dir DIR]
       writes DIR/.env (default: here) with every setting and freshly generated secrets`;

/** The secrets a node would otherwise generate per data dir, or run without. */
const GENERATED = ["GATEWAY_AUTH_TOKEN", "MANIFEST_SIGNING_SECRET", "CLUSTER_SECRET"] as const;

/**
 * Runs a command that needs no node (init, doctor, sign): --help prints the usage, a
 * UsageError prints its message with the usage and exits 1. Client commands have
 * runClientCommand, whose usage also lists --url and --token.
 */
export async function runLocalCommand(usage: string, argv: readonly string[], body: () => Promise<number> | number): Promise<number> {
	if (argv.includes("--help") || argv.includes("-h")) {
		console.log(usage);
		return EXIT.ok;
	}
	try {
		return await body();
	} catch (err) {
		if (!(err instanceof UsageError)) throw err;
		console.error(`${err.message}\n\n${usage}`);
		return EXIT.usage;
	}
}

/** `agent-os init`: a .env to start from, so a first node is not running on generated-per-dir secrets. */
export function initCommand(argv: readonly string[]): Promise<number> {
	return runLocalCommand(INIT_USAGE, argv, () => {
		const args = parseArgs(argv, { strings: ["dir"], booleans: ["force"] });
		expectPositionals(args, []);
		const dir = path.resolve(args.strings.dir ?? ".");
		if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${dir} is not a directory`);
		const file = path.join(dir, ".env");
		const text = renderEnv(Object.fromEntries(GENERATED.map(key => [key, generateToken()])));
		try {
			write(file, text, args.booleans.has("force"));
		} catch (err) {
			const code = (err as NodeJS.ErrnoException).code;
			if (code === "EEXIST") console.error(`${file} already exists; pass --force to replace it (its secrets would change: nodes and signed manifests using them stop matching)`);
			else console.error(`Cannot write ${file}: ${(err as Error).message}`);
			return EXIT.usage;
		}
		const width = Math.max(...GENERATED.map(k => k.length)) + 2;
		console.log(`Wrote ${file} (mode 0600). It holds secrets: keep it out of version control.`);
		for (const key of GENERATED) console.log(`  ${key.padEnd(width)}generated`);
		console.log(`  Every other setting is listed with its default; uncomment to change it.

Next steps:
  npm start                              boot a node with this configuration
  agent-os doctor                        check the configuration (--infra: and the servers it names)
  agent-os sign MANIFEST.json --out F    sign a manifest: with MANIFEST_SIGNING_SECRET set, unsigned ones are refused`);
		return EXIT.ok;
	});
}

/** .env.example's text under a header of its own, with the generated secrets set. */
function renderEnv(secrets: Record<string, string>): string {
	const example = renderEnvExample();
	// The example's header (up to its first blank line) says how it is generated; this file is not.
	const body = example.slice(example.indexOf("\n\n") + 2).split("\n");
	for (const [key, value] of Object.entries(secrets)) {
		const at = body.indexOf(`# ${key}=`);
		if (at === -1) throw new Error(`the config schema no longer lists ${key} as an unset setting`);
		body[at] = `${key}=${value}`;
	}
	const header = [`# AgentOS configuration, written by agent-os init on ${new Date().toISOString().slice(0, 10)}.`, "# It holds secrets (mode 0600): do not commit it. Variables set in the environment win.", ""];
	return [...header, ...body].join("\n");
}

/** Without force, "wx" refuses an existing file atomically; with it, a rename replaces it whole, mode included. */
function write(file: string, text: string, force: boolean): void {
	if (!force) {
		fs.writeFileSync(file, text, { flag: "wx", mode: 0o600 });
		return;
	}
	const tmp = `${file}.${process.pid}.tmp`;
	try {
		fs.writeFileSync(tmp, text, { flag: "wx", mode: 0o600 });
		fs.renameSync(tmp, file);
	} finally {
		fs.rmSync(tmp, { force: true });
	}
}
