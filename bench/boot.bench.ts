/**
 * Boot time of the embedded default node (`node dist/cli/agent-os.js start`, PGlite in a
 * fresh data dir) from spawn to the first 200 from GET /ready, against the floor of
 * starting any Node HTTP server. A first boot runs the migrations; a second boot
 * reuses the data dir. Also the node's RSS once ready, and how long SIGTERM takes.
 *
 * Knob: BENCH_BOOT_RUNS (default 3; the median is reported).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { CONFIG_SCHEMA } from "../lib/kernel/config";
import { median } from "./lib/stats";
import { log, row, type Row } from "./lib/table";

export const title = "Boot: embedded node (PGlite) vs a bare Node HTTP server, spawn → first 200 from /ready";

const ROOT = path.resolve(__dirname, "..");
const CLI = path.join(ROOT, "dist", "cli", "agent-os.js");
const RUNS = positiveInt(process.env.BENCH_BOOT_RUNS, 3);
const POLL_MS = 20;
const READY_TIMEOUT_MS = 120_000;
const EXIT_TIMEOUT_MS = 30_000;
const OUTPUT_KEPT = 4096;

function positiveInt(value: string | undefined, fallback: number): number {
	const n = Number(value);
	return Number.isInteger(n) && n > 0 ? n : fallback;
}

const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.once("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

/** The status of one GET, or undefined when nothing answers (yet). */
function getStatus(port: number, urlPath: string): Promise<number | undefined> {
	return new Promise(resolve => {
		const req = http.get({ host: "127.0.0.1", port, path: urlPath, agent: false, timeout: 2000 }, res => {
			res.resume();
			resolve(res.statusCode);
		});
		req.once("timeout", () => req.destroy());
		req.once("error", () => resolve(undefined));
	});
}

/** The environment of this process without any AgentOS setting, so the node boots its embedded default. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = { ...process.env };
	for (const key of Object.keys(CONFIG_SCHEMA)) delete env[key];
	delete env.NODE_OPTIONS;
	return { ...env, ...extra };
}

interface Child {
	proc: ChildProcess;
	exited: Promise<number | string | null>;
	output(): string;
}

function launch(args: string[], env: NodeJS.ProcessEnv): Child {
	const proc = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
	let output = "";
	const keep = (chunk: Buffer) => {
		output = (output + chunk.toString("utf8")).slice(-OUTPUT_KEPT);
	};
	proc.stdout?.on("data", keep);
	proc.stderr?.on("data", keep);
	const exited = new Promise<number | string | null>(resolve => proc.once("exit", (code, signal) => resolve(code ?? signal)));
	return { proc, exited, output: () => output };
}

interface BootSample {
	/** Spawn to the first HTTP answer of any status (the gateway is up; the database may not be). */
	answerMs: number;
	readyMs: number;
	rssMb: number;
	stopMs: number;
}

function rssMb(pid: number): number {
	const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
	const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
	return kb / 1024;
}

/** Spawns, polls /ready every POLL_MS until 200, reads RSS, then SIGTERMs and waits for the exit. */
async function boot(what: string, args: string[], env: NodeJS.ProcessEnv, port: number): Promise<BootSample> {
	const started = process.hrtime.bigint();
	const child = launch(args, env);
	let exitedEarly: number | string | null | undefined;
	void child.exited.then(code => (exitedEarly = code));
	let answerMs: number | undefined;
	try {
		for (;;) {
			if (exitedEarly !== undefined) throw new Error(`${what} exited (${String(exitedEarly)}) before ready:\n${child.output()}`);
			const status = await getStatus(port, "/ready");
			if (status !== undefined) answerMs ??= Number(process.hrtime.bigint() - started) / 1e6;
			if (status === 200) break;
			if (Number(process.hrtime.bigint() - started) / 1e6 > READY_TIMEOUT_MS) {
				throw new Error(`${what} not ready after ${READY_TIMEOUT_MS} ms (last status ${String(status)}):\n${child.output()}`);
			}
			await sleep(POLL_MS);
		}
		const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
		const rss = rssMb(child.proc.pid!);

		const stopping = process.hrtime.bigint();
		child.proc.kill("SIGTERM");
		const timedOut = await Promise.race([child.exited.then(() => false), sleep(EXIT_TIMEOUT_MS).then(() => true)]);
		if (timedOut) throw new Error(`${what} did not exit within ${EXIT_TIMEOUT_MS} ms of SIGTERM`);
		return { answerMs: answerMs ?? readyMs, readyMs, rssMb: rss, stopMs: Number(process.hrtime.bigint() - stopping) / 1e6 };
	} finally {
		if (child.proc.exitCode === null && child.proc.signalCode === null) {
			child.proc.kill("SIGKILL");
			await child.exited;
		}
	}
}

async function bareServer(): Promise<BootSample> {
	const port = await freePort();
	const script = `require('http').createServer((q,s)=>s.end('ok')).listen(${port})`;
	return boot("bare HTTP server", ["-e", script], cleanEnv({}), port);
}

async function agentOS(dataDir: string): Promise<BootSample> {
	const port = await freePort();
	const env = cleanEnv({ PORT: String(port), HOST: "127.0.0.1", AGENTOS_DATA_DIR: dataDir, LOG_LEVEL: "warn" });
	return boot("agent-os start", [CLI, "start"], env, port);
}

/** Spawn to exit of a command that does no work: the cost of loading the code alone. */
async function runToExit(args: string[]): Promise<number> {
	const started = process.hrtime.bigint();
	const child = launch(args, cleanEnv({}));
	const code = await child.exited;
	if (code !== 0) throw new Error(`node ${args.join(" ")} exited ${String(code)}:\n${child.output()}`);
	return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Builds when the CLI is missing; warns when a compiled file is older than its source. */
function ensureBuilt(): void {
	if (!fs.existsSync(CLI)) {
		log("  dist/cli/agent-os.js is missing: npm run build");
		const result = spawnSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: ["ignore", 2, 2] });
		if (result.status !== 0 || !fs.existsSync(CLI)) throw new Error("npm run build failed");
		return;
	}
	const stale: string[] = [];
	const visit = (rel: string) => {
		const abs = path.join(ROOT, rel);
		if (fs.statSync(abs).isDirectory()) {
			for (const name of fs.readdirSync(abs)) visit(path.join(rel, name));
		} else if (rel.endsWith(".ts") && !rel.endsWith(".d.ts")) {
			const compiled = path.join(ROOT, "dist", rel.replace(/\.ts$/, ".js"));
			if (!fs.existsSync(compiled) || fs.statSync(compiled).mtimeMs < fs.statSync(abs).mtimeMs) stale.push(rel);
		}
	};
	for (const rel of ["cli", "lib", "services", "moleculer.config.ts"]) if (fs.existsSync(path.join(ROOT, rel))) visit(rel);
	if (stale.length > 0) log(`  note: dist is older than ${stale.length} source file(s) (${stale.slice(0, 5).join(", ")}${stale.length > 5 ? ", …" : ""}); this measures the last build`);
}

export default async function bootBench(): Promise<Row[]> {
	ensureBuilt();
	const bare: BootSample[] = [];
	const first: BootSample[] = [];
	const second: BootSample[] = [];
	const nodeOnly: number[] = [];
	const loadOnly: number[] = [];
	for (let run = 1; run <= RUNS; run++) {
		bare.push(await bareServer());
		nodeOnly.push(await runToExit(["-e", ""]));
		loadOnly.push(await runToExit([CLI, "version"]));
		const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "agentos-bench-boot-"));
		try {
			first.push(await agentOS(dataDir));
			second.push(await agentOS(dataDir));
		} finally {
			fs.rmSync(dataDir, { recursive: true, force: true });
		}
		const fmt = (s: BootSample) => `${Math.round(s.readyMs)} ms`;
		log(`  run ${run}/${RUNS}: bare ${fmt(bare.at(-1)!)}, first boot ${fmt(first.at(-1)!)}, second boot ${fmt(second.at(-1)!)}`);
	}

	const m = (samples: BootSample[], key: keyof BootSample) => median(samples.map(s => s[key]));
	const runs = `median of ${RUNS}`;
	return [
		row({ metric: "first boot (new data dir, migrations) → ready", baseline: m(bare, "readyMs"), ours: m(first, "readyMs"), unit: "ms", note: runs }),
		row({ metric: "first boot → gateway answers (any status)", baseline: m(bare, "answerMs"), ours: m(first, "answerMs"), unit: "ms", note: runs }),
		row({ metric: "second boot (same data dir) → ready", baseline: m(bare, "readyMs"), ours: m(second, "readyMs"), unit: "ms", note: runs }),
		row({ metric: "second boot → gateway answers (any status)", baseline: m(bare, "answerMs"), ours: m(second, "answerMs"), unit: "ms", note: runs }),
		row({ metric: "`agent-os version` (load the code, exit) vs `node -e \"\"`", baseline: median(nodeOnly), ours: median(loadOnly), unit: "ms", note: runs }),
		row({ metric: "RSS after ready (second boot)", baseline: m(bare, "rssMb"), ours: m(second, "rssMb"), unit: "MB", note: `first boot ${m(first, "rssMb").toFixed(0)} MB` }),
		row({ metric: "SIGTERM → exit (second boot)", baseline: m(bare, "stopMs"), ours: m(second, "stopMs"), unit: "ms", note: `first boot ${Math.round(m(first, "stopMs"))} ms` })
	];
}
