/**
 * The agent runtime on one node (PGlite, FAST_AGENT_ENV): an `ask` round trip to an
 * inprocess and to a process agent against a bare action on the same broker; spawning
 * process agents against a bare fork; RSS of a worker; how the cost of an inprocess
 * spawn grows with the agents already there; and crash (SIGKILL) → running again.
 *
 * Knobs: BENCH_CALLS (default 20,000 timed asks per round, a tenth as many warm-up),
 * BENCH_ROUNDS (default 3, median reported), BENCH_INPROCESS_SPAWNS (default 1,000),
 * BENCH_SPAWN_BUDGET_MS (default 180,000: the inprocess spawns stop early past it).
 */
import fs from "node:fs";
import { ServiceBroker, type Context } from "moleculer";
import type { RuntimeStatus } from "../actors/agent-runtime";
import type { AgentView } from "../lib/cluster/agent-view";
import { echoManifest, FAST_AGENT_ENV, FIXTURE_AGENTS } from "../test/support/agents";
import { startTestNode } from "../test/support/test-node";
import { BareFork, collectGarbage, ensureWorkerEntry, rssMb, type ForkSample } from "./lib/procs";
import { measure, medianStats, quantileSorted, type Stats } from "./lib/stats";
import { log, row, type Row } from "./lib/table";

export const title = "Agent runtime: ask, spawn, memory and restart (inprocess and process workers)";

const CALLS = positiveInt(process.env.BENCH_CALLS, 20_000);
const ROUNDS = positiveInt(process.env.BENCH_ROUNDS, 3);
const INPROCESS_SPAWNS = positiveInt(process.env.BENCH_INPROCESS_SPAWNS, 1000);
const SPAWN_BUDGET_MS = positiveInt(process.env.BENCH_SPAWN_BUDGET_MS, 180_000);
const PROCESS_SPAWNS = 20;
const FORKS = 20;
const CRASHES = 20;
const POLL_MS = 5;
const RESTART_TIMEOUT_MS = 10_000;
/** A constant, small restart delay: the policy's backoff is part of crash → running. */
const FAST_RESTART = { policy: "always", baseDelayMs: 10, factor: 1, maxDelayMs: 10, maxRestarts: 1000, windowMs: 1000 };

function positiveInt(value: string | undefined, fallback: number): number {
	const n = Number(value);
	return Number.isInteger(n) && n > 0 ? n : fallback;
}

const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));
const elapsedMs = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;
const sorted = (values: readonly number[]) => [...values].sort((a, b) => a - b);
const p = (values: readonly number[], q: number) => quantileSorted(sorted(values), q);
const mean = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length;

/** Spawns through the supervisor action (no HTTP); resolves once the agent is running. */
async function spawn(broker: ServiceBroker, manifest: Record<string, unknown>): Promise<{ ms: number; view: AgentView }> {
	const started = process.hrtime.bigint();
	const view = await broker.call<AgentView, { manifest: Record<string, unknown> }>("agents.spawn", { manifest });
	const ms = elapsedMs(started);
	if (view.state !== "running") throw new Error(`agent ${view.id} is ${view.state} after spawn: ${view.lastError ?? ""}`);
	return { ms, view };
}

const status = (broker: ServiceBroker, id: string) => broker.call<RuntimeStatus>(`agent.${id}.status`);

/** Rows 1–2: sequential ask round trips against a bare action on the same broker. */
async function askRows(broker: ServiceBroker): Promise<Row[]> {
	broker.createService({ name: "bare", actions: { echo: (ctx: Context) => ctx.params } });
	await broker.waitForServices(["bare"]);
	await spawn(broker, echoManifest("ask-inprocess", { runtime: "inprocess" }));
	await spawn(broker, echoManifest("ask-process", { runtime: "process" }));
	const task = { task: { type: "echo" } };
	const targets = {
		bare: () => broker.call("bare.echo", task),
		inprocess: () => broker.call("agent.ask-inprocess.ask", task),
		process: () => broker.call("agent.ask-process.ask", task)
	};
	const runs: Record<keyof typeof targets, Stats[]> = { bare: [], inprocess: [], process: [] };
	const names = Object.keys(targets) as Array<keyof typeof targets>;
	for (const name of names) await measure(targets[name], { iterations: Math.round(CALLS / 10) }); // JIT, caches
	for (let round = 0; round < ROUNDS; round++) {
		// Interleaved, rotating order: drift on a busy machine spreads evenly.
		for (let i = 0; i < names.length; i++) {
			const name = names[(i + round) % names.length];
			runs[name].push(await measure(targets[name], { iterations: CALLS, warmup: Math.round(CALLS / 10) }));
		}
		log(`  ask: round ${round + 1}/${ROUNDS} done: ${names.map(n => `${n} ${runs[n][round].meanUs.toFixed(2)} µs`).join(", ")}`);
	}
	const [bare, inproc, proc] = names.map(n => medianStats(runs[n]));
	const calls = `${CALLS.toLocaleString("en-US")} sequential calls, median of ${ROUNDS} rounds`;
	return [
		row({
			metric: "ask round trip, inprocess agent (vs bare.echo action)",
			baseline: bare.meanUs,
			ours: inproc.meanUs,
			unit: "µs/call",
			target: "≤ 1.5x",
			met: inproc.meanUs / bare.meanUs <= 1.5,
			note: `+${(inproc.meanUs - bare.meanUs).toFixed(2)} µs per call; ${calls}; p99 ${inproc.p99Us.toFixed(0)} vs ${bare.p99Us.toFixed(0)} µs`
		}),
		row({
			metric: "ask round trip, process agent over IPC (vs bare.echo action)",
			baseline: bare.meanUs,
			ours: proc.meanUs,
			unit: "µs/call",
			note: `${calls}; p99 ${proc.p99Us.toFixed(0)} µs`
		})
	];
}

/** Row 3: process agents spawned one after another, and the RSS of one worker. */
async function processSpawnRows(broker: ServiceBroker, forks: ForkSample[], bareRssMb: number): Promise<Row[]> {
	const times: number[] = [];
	let pid: number | null = null;
	for (let i = 0; i < PROCESS_SPAWNS; i++) {
		const { ms, view } = await spawn(broker, echoManifest(`proc-${i}`, { runtime: "process" }));
		times.push(ms);
		pid ??= view.pid;
	}
	const got = await broker.call<AgentView, { id: string }>("agents.get", { id: "proc-0" });
	if (!got.pid || got.pid !== pid) throw new Error(`proc-0 has pid ${String(got.pid)}, spawned as ${String(pid)}`);
	const workerRss = rssMb(got.pid);
	for (let i = 0; i < PROCESS_SPAWNS; i++) await broker.call("agents.remove", { id: `proc-${i}` });
	const forkMs = forks.map(f => f.ms);
	const n = `${PROCESS_SPAWNS} spawns vs ${FORKS} bare forks`;
	return [
		row({ metric: "spawn process agent → running (agents.spawn), p50", baseline: p(forkMs, 0.5), ours: p(times, 0.5), unit: "ms", note: `${n}; baseline: bare fork → first IPC message` }),
		row({ metric: "spawn process agent → running (agents.spawn), p99", baseline: p(forkMs, 0.99), ours: p(times, 0.99), unit: "ms", note: n }),
		row({ metric: "RSS of one worker process (idle echo agent)", baseline: bareRssMb, ours: workerRss, unit: "MB", note: "baseline: a bare forked node, 500 ms after its first message" })
	];
}

/** Row 5: SIGKILL a worker, poll its status until it runs again with a new pid. */
async function restartRows(broker: ServiceBroker, forks: ForkSample[]): Promise<Row[]> {
	const id = "crashy";
	await spawn(broker, echoManifest(id, { runtime: "process", restart: FAST_RESTART }));
	const times: number[] = [];
	for (let i = 0; i < CRASHES; i++) {
		const before = await status(broker, id);
		if (before.state !== "running" || !before.pid) throw new Error(`${id} is ${before.state} before crash ${i + 1}`);
		const started = process.hrtime.bigint();
		process.kill(before.pid, "SIGKILL");
		for (;;) {
			await sleep(POLL_MS);
			const now = await status(broker, id);
			if (now.state === "running" && now.pid !== null && now.pid !== before.pid) break;
			if (now.state === "crashed") throw new Error(`${id} gave up after crash ${i + 1}: ${now.lastError ?? ""}`);
			if (elapsedMs(started) > RESTART_TIMEOUT_MS) throw new Error(`${id} not running ${RESTART_TIMEOUT_MS} ms after crash ${i + 1} (${now.state})`);
		}
		times.push(elapsedMs(started));
		await sleep(50);
	}
	await broker.call("agents.remove", { id });
	const forkP50 = p(forks.map(f => f.ms), 0.5);
	const note = `${CRASHES} crashes, polled every ${POLL_MS} ms; includes the policy's ${FAST_RESTART.baseDelayMs} ms restart delay`;
	return [
		row({ metric: "crash (SIGKILL) → running again, process agent, p50", baseline: forkP50, ours: p(times, 0.5), unit: "ms", target: "< 500 ms", met: p(times, 0.5) < 500, note: `${note}; baseline: bare fork p50` }),
		row({ metric: "crash (SIGKILL) → running again, process agent, p99", baseline: forkP50, ours: p(times, 0.99), unit: "ms", note })
	];
}

/** V8 heap of N bare services (the same three actions as an actor) on a bare broker in this process, per service. */
async function bareServiceMemory(n: number): Promise<{ heapKb: number }> {
	collectGarbage();
	const before = process.memoryUsage();
	const bare = new ServiceBroker({ logger: false });
	const echo = (ctx: Context) => ctx.params;
	for (let i = 0; i < n; i++) bare.createService({ name: `svc-${i}`, actions: { ask: echo, tell: echo, status: echo } });
	await bare.start();
	collectGarbage();
	const after = process.memoryUsage();
	await bare.stop();
	return { heapKb: (after.heapUsed - before.heapUsed) / n / 1024 };
}

/** Row 4: does an inprocess spawn get slower as agents accumulate? And what does one cost in memory? */
async function growthRows(broker: ServiceBroker): Promise<Row[]> {
	collectGarbage();
	const before = process.memoryUsage();
	const times: number[] = [];
	const started = process.hrtime.bigint();
	while (times.length < INPROCESS_SPAWNS && elapsedMs(started) < SPAWN_BUDGET_MS) {
		const n = times.length + 1;
		times.push((await spawn(broker, echoManifest(`inp-${n}`, { runtime: "inprocess" }))).ms);
		if (n % 100 === 0) log(`  inprocess spawn #${n}: mean of the last 10 ${mean(times.slice(-10)).toFixed(2)} ms (${(elapsedMs(started) / 1000).toFixed(0)} s so far)`);
	}
	const totalS = elapsedMs(started) / 1000;
	collectGarbage();
	const after = process.memoryUsage();
	const n = times.length;
	if (n < 30) throw new Error(`only ${n} inprocess spawns within ${SPAWN_BUDGET_MS} ms`);
	const early = mean(times.slice(5, 15));
	const late = mean(times.slice(n - 10));
	const cut = n < INPROCESS_SPAWNS ? `; STOPPED at ${n} of ${INPROCESS_SPAWNS} (budget ${SPAWN_BUDGET_MS / 1000} s)` : "";
	const perAgent = (bytes: number) => bytes / n / 1024;
	const service = await bareServiceMemory(n);
	return [
		row({
			metric: `spawn inprocess agent: #10 (mean #6–15) vs #${n} (mean #${n - 9}–${n})`,
			baseline: early,
			ours: late,
			unit: "ms",
			target: "≤ 2x",
			met: late / early <= 2,
			note: `${n} spawns in ${totalS.toFixed(1)} s; median ${p(times, 0.5).toFixed(2)} ms${cut}`
		}),
		row({
			metric: "node RSS growth per inprocess agent, (after − before) / N",
			baseline: Number.NaN,
			ours: perAgent(after.rss - before.rss),
			unit: "KB",
			note: `N = ${n}, after a forced GC; no baseline: RSS growth of bare services is not separable in this process`
		}),
		row({
			metric: "V8 heap per inprocess agent (vs a bare 3-action service)",
			baseline: service.heapKb,
			ours: perAgent(after.heapUsed - before.heapUsed),
			unit: "KB",
			note: `N = ${n}, after a forced GC; baseline: N services with actions ask, tell, status on a bare broker`
		})
	];
}

export default async function runtimeBench(): Promise<Row[]> {
	ensureWorkerEntry();
	const bare = new BareFork();
	const t = await startTestNode({ ...FAST_AGENT_ENV, AGENT_INPROCESS_PATHS: FIXTURE_AGENTS, LOG_LEVEL: "error" });
	try {
		await t.node.ready;
		const broker = t.node.broker;
		const ask = await askRows(broker);
		log("  ask done; forking bare children");
		const forks: ForkSample[] = [];
		for (let i = 0; i < FORKS; i++) forks.push(await bare.sample());
		const bareRss = (await bare.sample(500)).rssMb!;
		const spawns = await processSpawnRows(broker, forks, bareRss);
		log("  process spawns done; crashing a worker");
		const restarts = await restartRows(broker, forks);
		log(`  restarts done; spawning up to ${INPROCESS_SPAWNS} inprocess agents`);
		const growth = await growthRows(broker);
		return [...ask, ...spawns, ...growth, ...restarts];
	} finally {
		await t.stop();
		bare.dispose();
		fs.rmSync(t.dataDir, { recursive: true, force: true });
	}
}
