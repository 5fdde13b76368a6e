/**
 * Runs the benchmarks: every `bench/*.bench.ts`, or only those named on the command
 * line (`npm run bench -- action-call boot`). Each file exports `title` and a default
 * `async function (): Promise<Row[]>`. Benchmarks report, they don't gate: a missed
 * target still exits 0 (a summary line lists them); a benchmark that fails exits 1.
 */
import fs from "node:fs";
import path from "node:path";
import { jsonMode, log, printTable, type Row } from "./lib/table";

const SUFFIX = ".bench.ts";

interface BenchModule {
	title?: string;
	default: () => Promise<Row[]>;
}

function available(dir: string): string[] {
	return fs
		.readdirSync(dir)
		.filter(f => f.endsWith(SUFFIX))
		.map(f => f.slice(0, -SUFFIX.length))
		.sort();
}

async function load(file: string): Promise<BenchModule> {
	const mod = (await import(file)) as Partial<BenchModule> & { default?: unknown };
	// Loaded as CommonJS, the module's exports may sit one level down, under `default`.
	const exports = (typeof mod.default === "function" ? mod : mod.default) as Partial<BenchModule> | undefined;
	if (typeof exports?.default !== "function") throw new Error(`${path.basename(file)} has no default export function`);
	return exports as BenchModule;
}

async function main(argv: string[]): Promise<number> {
	const dir = __dirname;
	const all = available(dir);
	const wanted = argv.map(a => a.replace(/\.bench(\.ts)?$/, ""));
	const unknown = wanted.filter(name => !all.includes(name));
	if (unknown.length > 0) {
		log(`Unknown benchmark${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}. Available: ${all.join(", ")}`);
		return 2;
	}
	const names = wanted.length > 0 ? wanted : all;

	const missed: string[] = [];
	const failed: string[] = [];
	for (const name of names) {
		log(`▶ ${name}`);
		const started = Date.now();
		try {
			const bench = await load(path.join(dir, `${name}${SUFFIX}`));
			const rows = await bench.default();
			printTable(bench.title ?? name, rows, name);
			for (const r of rows) if (r.met === false) missed.push(`${name}: ${r.metric} (${r.target ?? "target"})`);
		} catch (err) {
			failed.push(name);
			log(`✖ ${name} failed: ${(err as Error).stack ?? String(err)}`);
		}
		log(`  ${name} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
	}

	const summary =
		missed.length === 0 ? "All targets met." : `Missed ${missed.length} target${missed.length > 1 ? "s" : ""}: ${missed.join("; ")}`;
	const failures = failed.length > 0 ? ` Failed: ${failed.join(", ")}.` : "";
	if (jsonMode()) process.stdout.write(`${JSON.stringify({ summary: true, missed, failed })}\n`);
	else process.stdout.write(`\n${summary}${failures}\n`);
	return failed.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
	code => process.exit(code),
	(err: Error) => {
		log(err.stack ?? String(err));
		process.exit(1);
	}
);
