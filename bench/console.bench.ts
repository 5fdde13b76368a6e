/**
 * The web console against its budgets (issue: ≤ 150 KB of gzipped JavaScript for the first
 * page, first render < 1 s against a local node). Size: the script index.html loads,
 * gzipped as the gateway serves it. Render: Chromium opens the sign-in link of a real node
 * (from dist) with 20 agents, in a fresh browser context (cold cache) each run, and we read
 * `performance.now()` (ms since navigation start) when the Overview shows the agent count
 * (after one uncounted load that warms the node).
 *
 * Needs `npm run build` and Chromium. Knob: BENCH_CONSOLE_RUNS (default 5; the median is reported).
 */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { consoleDir } from "../lib/kernel/paths";
import { declarativeAgent, startConsole } from "../test/support/console";
import { median } from "./lib/stats";
import { log, row, type Row } from "./lib/table";

export const title = "Web console: first page's gzipped JavaScript and first render (navigation → overview data) vs the budgets";

const JS_BUDGET_KB = 150;
const RENDER_BUDGET_MS = 1000;
const AGENTS = 20;
const RUNS = Math.max(1, Number(process.env.BENCH_CONSOLE_RUNS) || 5);

function firstPageScripts(): { js: number; css: number } {
	const dir = consoleDir();
	const html = fs.readFileSync(path.join(dir, "index.html"), "utf8");
	const gz = (ref: string) => zlib.gzipSync(fs.readFileSync(path.join(dir, ref)), { level: 9 }).length;
	const scripts = [...html.matchAll(/<script[^>]*src="\/([^"]+)"/g)].map(m => m[1]);
	const styles = [...html.matchAll(/<link rel="stylesheet" href="\/([^"]+)"/g)].map(m => m[1]);
	return { js: scripts.reduce((t, s) => t + gz(s), 0), css: styles.reduce((t, s) => t + gz(s), 0) };
}

export default async function run(): Promise<Row[]> {
	if (!fs.existsSync(path.join(consoleDir(), "index.html"))) throw new Error("The console is not built: run npm run build first");
	const size = firstPageScripts();
	const c = await startConsole();
	const times: number[] = [];
	try {
		await c.seedAgents(Array.from({ length: AGENTS }, (_, i) => declarativeAgent(`bench-${i}`)));
		// One load first, not counted: a node's first queries pay for its cold caches, not the console.
		for (let i = 0; i <= RUNS; i++) {
			const page = await c.open();
			await page.locator('[data-card="agents"] .value a', { hasText: String(AGENTS) }).waitFor({ timeout: 30_000 });
			const ms = Number(await page.evaluate("performance.now()"));
			if (i > 0) times.push(ms);
			else log(`  warm-up load: ${Math.round(ms)} ms`);
			await page.context().close();
		}
	} finally {
		await c.close();
	}
	log(`  first render, ms: ${times.map(t => Math.round(t)).join(", ")}`);
	const render = median(times);
	const jsKb = size.js / 1024;
	return [
		row({ metric: "first page JS, gzipped", baseline: JS_BUDGET_KB, ours: jsKb, unit: "KB", target: `≤ ${JS_BUDGET_KB} KB`, met: jsKb <= JS_BUDGET_KB, note: `+ ${(size.css / 1024).toFixed(1)} KB CSS` }),
		row({
			metric: `first render (navigation → overview data, ${AGENTS} agents)`,
			baseline: RENDER_BUDGET_MS,
			ours: render,
			unit: "ms",
			target: `< ${RENDER_BUDGET_MS} ms`,
			met: render < RENDER_BUDGET_MS,
			note: `median of ${RUNS}, cold browser cache`
		})
	];
}
