/**
 * Durable task runs (actors/durable-runs.ts, task-run.ts, run-journal.ts), one embedded
 * node (PGlite) per part:
 *
 * - Journaling overhead: a declarative agent whose loop makes 4 model calls and 3 tool
 *   calls (`builtin:file_read`) per chat, `durable: true` (each ctx call journaled, the run
 *   written before the agent sees it) against the same agent with `durable: false` (one
 *   write when the task ends), through `chat.send` (target ≤ 1.15x, mean). The model is
 *   the local server speaking OpenAI's wire format (test/support/llm-wire), scripted by
 *   each request's tool turns, so every chat is the same 4-step loop; the offline provider
 *   cannot be used, it makes at most one tool call before it answers.
 * - Resume after a worker kill: a process agent in a loop of `ctx.llm.chat` calls; its
 *   worker is killed (SIGKILL) mid-loop, and the time from the kill to the first new (not
 *   replayed) step reaching the model server is taken (target p50 < 1 s), against the
 *   worker's own restart (kill → running again with a new pid). Defaults: restart delay
 *   100 ms (restart.baseDelayMs, kept at every crash), TASK_RETRY_DELAY_MS 200. Each run
 *   must end having asked the model once per step: no step made twice.
 * - 1,000 suspended runs: RSS added by 1,000 async tasks of an inprocess agent whose
 *   `ctx.waitFor` suspends them (all `suspended` in the database, nothing in memory)
 *   against the same tasks of a `durable: false` agent, which wait in memory for the
 *   person (target < 20 MB). It needs `approvals.waitFor`; without it the rows say so.
 *
 * Knobs: BENCH_DURABLE_CHATS (sequential chats per variant and round, default 200; a
 * third as many warm-up), BENCH_ROUNDS (default 3, the round with the median ratio),
 * BENCH_DURABLE_KILLS (default 12), BENCH_DURABLE_SUSPENDED (default 1,000),
 * BENCH_BREAKDOWN=1 (the per-task database writes timed alone; also when the target is missed),
 * BENCH_DURABLE_PARTS (default `overhead,resume,suspended`).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ServiceBroker } from "moleculer";
import type { RuntimeStatus } from "../actors/agent-runtime";
import type { AgentView } from "../lib/cluster/agent-view";
import type { TaskDetail, TaskPage, TaskRecord } from "../actors/task-store";
import { startOpenAIServer } from "../test/support/llm-wire/openai-server";
import type { RecordedRequest, Step } from "../test/support/llm-wire/script";
import { startTestNode, type TestNode } from "../test/support/test-node";
import { breakdownRows } from "./lib/durable-breakdown";
import { collectGarbage, ensureWorkerEntry } from "./lib/procs";
import { quantileSorted } from "./lib/stats";
import { log, row, type Row } from "./lib/table";
import { mean, msSince, now, positiveInt, quantile as p } from "./lib/timing";

export const title = "Durable task runs: journaling, resume after a kill, suspended runs";

const CHATS = positiveInt(process.env.BENCH_DURABLE_CHATS, 200);
const ROUNDS = positiveInt(process.env.BENCH_ROUNDS, 3);
const KILLS = positiveInt(process.env.BENCH_DURABLE_KILLS, 12);
const SUSPENDED = positiveInt(process.env.BENCH_DURABLE_SUSPENDED, 1000);
const BREAKDOWN = process.env.BENCH_BREAKDOWN === "1";
const PARTS = (process.env.BENCH_DURABLE_PARTS ?? "overhead,resume,suspended").split(",").map(part => part.trim());
const WARMUP = Math.max(10, Math.round(CHATS / 3));
const OVERHEAD_TARGET = 1.15;
const RESUME_TARGET_MS = 1000;
const RSS_TARGET_MB = 20;

const API_KEY = "sk-bench";
const TOOL_CALLS = 3;
const ANSWER = "The notes say the launch is on the 14th.";
/** The model's reply to each step of the resumed loop takes this long, so a kill lands mid-step or between steps. */
const STEP_MS = 20;
const LOOP_STEPS = 24;
/** New steps a run makes before its worker is killed. */
const KILL_AFTER = 8;
const POLL_MS = 5;
const TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const ms = (v: number) => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(2)} ms`;

function check(condition: boolean, message: string): asserts condition {
	if (!condition) throw new Error(message);
}

async function until(what: string, test: () => Promise<boolean> | boolean, timeoutMs = TIMEOUT_MS, everyMs = 20): Promise<void> {
	const started = Date.now();
	while (!(await test())) {
		if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
		await sleep(everyMs);
	}
}

async function spawn(broker: ServiceBroker, manifest: Record<string, unknown>): Promise<AgentView> {
	const view = await broker.call<AgentView, { manifest: Record<string, unknown> }>("agents.spawn", { manifest });
	check(view.state === "running", `agent ${view.id} is ${view.state} after spawn: ${view.lastError ?? ""}`);
	return view;
}

const taskDetail = (broker: ServiceBroker, id: string) => broker.call<TaskDetail, { id: string }>("tasks.get", { id });

async function withNode<T>(env: Record<string, string>, body: (t: TestNode) => Promise<T>): Promise<T> {
	const t = await startTestNode({ LOG_LEVEL: "error", ...env });
	try {
		await t.node.ready;
		return await body(t);
	} finally {
		await t.stop();
		fs.rmSync(t.dataDir, { recursive: true, force: true });
	}
}

// ---------------------------------------------------------------------------------------
// Part 1: journaling overhead of a 4-step declarative loop.

type Message = { role?: string };

/** Tool calls until the conversation holds TOOL_CALLS tool results, then the answer: the same loop for every chat. */
function fourStepModel(request: RecordedRequest): Step {
	const messages = Array.isArray(request.body.messages) ? (request.body.messages as Message[]) : [];
	const done = messages.filter(m => m.role === "tool").length;
	if (done < TOOL_CALLS) return { kind: "tool_calls", calls: [{ name: "builtin_file_read", arguments: { path: "notes.txt" } }], usage: { input: 120, output: 12 } };
	return { kind: "text", text: ANSWER, usage: { input: 200, output: 10 } };
}

interface ChatAnswer {
	taskId: string;
	answer: string | null;
	stopReason: string;
	steps: unknown[];
}

const loopManifest = (id: string, durable: boolean) => ({
	id,
	name: `Loop ${id}`,
	instructions: "You read the notes with the file tool before you answer.",
	trustLevel: "autonomous",
	tools: ["builtin:file_read"],
	permissions: ["fs.read"],
	memory: { historyWindow: 0, recall: 0 },
	durable
});

interface Sampled {
	mean: number;
	p50: number;
}

async function overheadRows(): Promise<Row[]> {
	const server = await startOpenAIServer({ apiKey: API_KEY, default: fourStepModel });
	const workspace = fs.mkdtempSync(path.join(os.tmpdir(), "agentos-bench-durable-"));
	fs.writeFileSync(path.join(workspace, "notes.txt"), "The launch is on the 14th.");
	try {
		return await withNode({ OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: server.url, ALLOWED_PATHS: workspace }, async t => {
			const broker = t.node.broker;
			const variants = [
				{ label: "volatile", id: "loop-volatile", durable: false },
				{ label: "durable", id: "loop-durable", durable: true }
			];
			for (const v of variants) await spawn(broker, loopManifest(v.id, v.durable));
			const chat = (id: string) => broker.call<ChatAnswer, { id: string; message: string }>("chat.send", { id, message: "When is the launch?" });

			// Each variant makes the whole loop; the durable one journals every ctx call of it.
			const journals: Record<string, string[]> = {};
			for (const v of variants) {
				const before = server.requests.length;
				const answer = await chat(v.id);
				check(answer.answer === ANSWER && answer.stopReason === "answer", `${v.id} answered ${JSON.stringify(answer)}`);
				check(server.requests.length - before === TOOL_CALLS + 1, `${v.id} made ${server.requests.length - before} model calls, expected ${TOOL_CALLS + 1}`);
				const task = await taskDetail(broker, answer.taskId);
				check(task.durable === v.durable && task.status === "succeeded", `${v.id}'s task is ${task.status}, durable ${String(task.durable)}`);
				journals[v.label] = task.steps.map(s => s.action);
			}
			const journal = journals.durable;
			check(journal.filter(a => a === "mal.chat").length === TOOL_CALLS + 1 && journal.filter(a => a === "tools.invoke").length === TOOL_CALLS, `the durable journal is ${journal.join(", ")}`);
			check(journals.volatile.length === 0, `the volatile task has a journal: ${journals.volatile.join(", ")}`);
			log(`  a durable chat journals ${journal.length} steps: ${journal.join(", ")}`);

			for (const v of variants) for (let i = 0; i < WARMUP; i++) await chat(v.id);
			const rounds = new Map<string, Sampled[]>(variants.map(v => [v.label, []]));
			for (let round = 0; round < ROUNDS; round++) {
				// Chat by chat, each variant in turn (the order rotating), so drift on a busy machine falls on both alike.
				const samples = new Map<string, number[]>(variants.map(v => [v.label, []]));
				for (let i = 0; i < CHATS; i++) {
					for (let k = 0; k < variants.length; k++) {
						const v = variants[(k + i + round) % variants.length];
						const start = now();
						await chat(v.id);
						samples.get(v.label)!.push(msSince(start));
					}
				}
				for (const v of variants) {
					const s = [...samples.get(v.label)!].sort((a, b) => a - b);
					rounds.get(v.label)!.push({ mean: mean(s), p50: quantileSorted(s, 0.5) });
				}
				server.requests.length = 0; // the fake server records every request
				log(`  overhead: round ${round + 1}/${ROUNDS}, mean ms: ${variants.map(v => `${v.label} ${rounds.get(v.label)![round].mean.toFixed(2)}`).join(", ")}`);
			}
			const base = rounds.get("volatile")!;
			const ours = rounds.get("durable")!;
			const ratios = base.map((s, i) => ({ i, ratio: ours[i].mean / s.mean })).sort((x, y) => x.ratio - y.ratio);
			const mid = ratios[Math.floor((ratios.length - 1) / 2)].i;
			const [b, o] = [base[mid], ours[mid]];
			const met = o.mean / b.mean <= OVERHEAD_TARGET;
			const rows = [
				row({
					metric: `chat.send, 4 model + ${TOOL_CALLS} tool calls: durable vs durable: false, mean`,
					baseline: b.mean,
					ours: o.mean,
					unit: "ms",
					target: `≤ ${OVERHEAD_TARGET}x`,
					met,
					note: `${ms(o.mean - b.mean)} per task (${journal.length} steps journaled); ${ROUNDS} rounds × ${CHATS} chats each, interleaved, the round with the median ratio (${ratios.map(r => r.ratio.toFixed(2)).join(", ")})`
				}),
				row({ metric: "the same, p50", baseline: b.p50, ours: o.p50, unit: "ms", note: ms(o.p50 - b.p50) })
			];
			if (BREAKDOWN || !met) rows.push(...(await breakdownRows(t, journal.length)));
			return rows;
		});
	} finally {
		await server.stop();
		fs.rmSync(workspace, { recursive: true, force: true });
	}
}

// ---------------------------------------------------------------------------------------
// Part 2: resume after the worker is killed.

const LOOPER = `// Asks the model once per step; the message names the run, the step and the worker that asked.
module.exports = {
	async onTask(task, ctx) {
		for (let i = 1; i <= task.steps; i++) await ctx.llm.chat({ messages: [{ role: "user", content: task.tag + " " + process.pid + " step " + i }] });
		return { steps: task.steps };
	}
};
`;

/** A request at the model server: when it arrived, and the worker process that made it. */
interface Arrival {
	at: bigint;
	pid: number;
}

/** What the model server saw of each run. */
class Arrivals {
	private readonly times = new Map<string, Arrival[]>();
	private readonly waiters: { tag: string; count: number; resolve: () => void }[] = [];

	record(request: RecordedRequest): Step {
		const messages = Array.isArray(request.body.messages) ? (request.body.messages as { content?: unknown }[]) : [];
		const [tag, pid] = String(messages.at(-1)?.content ?? "").split(" ");
		const list = this.times.get(tag) ?? [];
		list.push({ at: now(), pid: Number(pid) });
		this.times.set(tag, list);
		for (const w of this.waiters.filter(x => x.tag === tag && list.length >= x.count)) {
			this.waiters.splice(this.waiters.indexOf(w), 1);
			w.resolve();
		}
		return { kind: "delay", ms: STEP_MS, then: { kind: "text", text: "ok", usage: { input: 10, output: 1 } } };
	}

	of(tag: string): Arrival[] {
		return this.times.get(tag) ?? [];
	}

	reached(tag: string, count: number): Promise<void> {
		if (this.of(tag).length >= count) return Promise.resolve();
		return new Promise(resolve => this.waiters.push({ tag, count, resolve }));
	}
}

async function resumeRows(): Promise<Row[]> {
	ensureWorkerEntry();
	const arrivals = new Arrivals();
	const server = await startOpenAIServer({ apiKey: API_KEY, default: r => arrivals.record(r) });
	const code = fs.mkdtempSync(path.join(os.tmpdir(), "agentos-bench-looper-"));
	fs.writeFileSync(path.join(code, "looper.js"), LOOPER);
	try {
		return await withNode({ OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: server.url, AGENT_CODE_PATHS: code }, async t => {
			const broker = t.node.broker;
			const id = "looper";
			// The default restart delay at every crash (factor 1), and room for all the kills in the window.
			await spawn(broker, { id, name: "Looper", entryPoint: path.join(code, "looper.js"), runtime: "process", permissions: ["llm.execute"], restart: { baseDelayMs: 100, factor: 1, maxRestarts: 1000 } });
			const status = () => broker.call<RuntimeStatus>(`agent.${id}.status`);
			const resumes: number[] = [];
			const restarts: number[] = [];
			const replayed: number[] = [];
			let repeated = 0;
			for (let k = 0; k < KILLS; k++) {
				const tag = `run${k}`;
				const { taskId } = await broker.call<{ taskId: string }, object>("agents.submitTask", { id, task: { type: "loop", tag, steps: LOOP_STEPS }, async: true });
				let reached = false;
				void arrivals.reached(tag, KILL_AFTER).then(() => (reached = true));
				await until(`${KILL_AFTER} steps of ${tag}`, async () => {
					if (reached) return true;
					const task = await taskDetail(broker, taskId);
					check(task.status === "running" || task.status === "queued", `run ${tag} is ${task.status} before the kill: ${JSON.stringify(task.error)}`);
					return reached;
				}, TIMEOUT_MS, POLL_MS);
				// Anywhere in a step: waiting on the model, or between two calls.
				await sleep(Math.random() * STEP_MS);
				const before = await status();
				check(before.state === "running" && before.pid !== null, `${id} is ${before.state} before kill ${k + 1}`);
				const killed = now();
				process.kill(before.pid, "SIGKILL");
				let restartMs: number | undefined;
				// A new step comes from the next worker: the killed one's last call may still arrive after the kill.
				const fresh = () => arrivals.of(tag).find(a => a.pid !== before.pid);
				await until(`a new step of ${tag} after the kill`, async () => {
					if (restartMs === undefined) {
						const s = await status();
						if (s.state === "running" && s.pid !== null && s.pid !== before.pid) restartMs = msSince(killed);
						if (s.state === "crashed") throw new Error(`${id} gave up after kill ${k + 1}: ${s.lastError ?? ""}`);
					}
					return fresh() !== undefined;
				}, TIMEOUT_MS, POLL_MS);
				resumes.push(Number(fresh()!.at - killed) / 1e6);
				await until(`${id} running again after kill ${k + 1}`, async () => {
					if (restartMs !== undefined) return true;
					const s = await status();
					if (s.state === "running" && s.pid !== null && s.pid !== before.pid) restartMs = msSince(killed);
					return restartMs !== undefined;
				}, TIMEOUT_MS, POLL_MS);
				restarts.push(restartMs!);
				let task: TaskRecord | undefined;
				await until(`task ${taskId} to end`, async () => ["succeeded", "failed", "cancelled"].includes((task = await taskDetail(broker, taskId)).status));
				check(task!.status === "succeeded", `run ${tag} ended ${task!.status}: ${JSON.stringify(task!.error)}`);
				replayed.push(arrivals.of(tag).filter(a => a.pid === before.pid).length);
				repeated += arrivals.of(tag).length - LOOP_STEPS;
				log(`  kill ${k + 1}/${KILLS}: a new step ${resumes.at(-1)!.toFixed(0)} ms after the kill, running again after ${restartMs!.toFixed(0)} ms`);
			}
			const note = `${KILLS} kills, each of a fresh ${LOOP_STEPS}-step run after ${KILL_AFTER}+ steps (model replies take ${STEP_MS} ms); restart delay 100 ms, TASK_RETRY_DELAY_MS 200`;
			return [
				row({
					metric: "kill -9 → first new step at the model (vs → agent running again), p50",
					baseline: p(restarts, 0.5),
					ours: p(resumes, 0.5),
					unit: "ms",
					target: `p50 < ${RESUME_TARGET_MS} ms`,
					met: p(resumes, 0.5) < RESUME_TARGET_MS,
					note: `${note}; steps made twice: ${repeated}`
				}),
				row({ metric: "the same, p95", baseline: p(restarts, 0.95), ours: p(resumes, 0.95), unit: "ms", note: `${mean(replayed).toFixed(1)} steps replayed per resume on average` })
			];
		});
	} finally {
		await server.stop();
		fs.rmSync(code, { recursive: true, force: true });
	}
}

// ---------------------------------------------------------------------------------------
// Part 3: suspended runs hold nothing in memory.

const ASKER = `// Asks a person and answers the decision.
module.exports = {
	async onTask(task, ctx) {
		const decision = await ctx.waitFor(task.reason);
		return { approved: decision.approved };
	}
};
`;

/** Suspension is another change (approvals.waitFor, ctx.waitFor); without it this part reports why instead. */
const hasWaitFor = (broker: ServiceBroker) =>
	(broker.registry.getServiceList({ withActions: true }) as { name: string; actions?: Record<string, unknown> }[]).some(s => s.name === "approvals" && s.actions !== undefined && "approvals.waitFor" in s.actions);

interface Held {
	before: number;
	held: number;
	afterGc: number;
	/** V8 heap before and after (GC'd): what the runs hold in JavaScript, without the database's own memory. */
	heapBefore: number;
	heapAfter: number;
	seconds: number;
}

const heapMb = () => process.memoryUsage().heapUsed / 2 ** 20;

/** RSS before, with SUSPENDED tasks of the agent waiting for a person (all started, none timed out), and after a GC. */
async function holdTasks(durable: boolean): Promise<Held | undefined> {
	const code = fs.mkdtempSync(path.join(os.tmpdir(), "agentos-bench-asker-"));
	fs.writeFileSync(path.join(code, "asker.js"), ASKER);
	try {
		// Room for every in-memory wait at the approval: by default 100 calls of one action run at once and the rest queue.
		const env = { AGENT_CODE_PATHS: code, AGENT_INPROCESS_PATHS: code, APPROVAL_TIMEOUT_MS: "3600000", BULKHEAD_CONCURRENCY: String(2 * SUSPENDED) };
		return await withNode(env, async t => {
			const broker = t.node.broker;
			if (!hasWaitFor(broker)) return undefined;
			const id = durable ? "asker-durable" : "asker-memory";
			// All of them at once (in memory each holds a mailbox slot), and in time for the readings.
			const limits = { maxConcurrency: Math.min(SUSPENDED, 1000), maxQueue: SUSPENDED, timeoutMs: 600_000 };
			await spawn(broker, { id, name: "Asker", entryPoint: path.join(code, "asker.js"), runtime: "inprocess", trustLevel: "supervised", durable, limits });
			const waiting = async (n: number) =>
				durable
					? (await broker.call<TaskPage, object>("tasks.list", { agentId: id, status: "suspended", limit: 1 })).total >= n
					: (await broker.call<{ total: number }, object>("approvals.list", { status: "pending", limit: 1 })).total >= n;
			// One task asked and answered first, so the code paths are warm before the readings.
			const { taskId } = await broker.call<{ taskId: string }, object>("agents.submitTask", { id, task: { type: "ask", reason: "warm-up" }, async: true });
			await until("the warm-up task to wait", () => waiting(1));
			const asked = await broker.call<{ items: { id: string }[] }, object>("approvals.list", { status: "pending", limit: 1 });
			await broker.call("approvals.deny", { id: asked.items[0].id, note: "warm-up" });
			await until("the warm-up task to end", async () => (await taskDetail(broker, taskId)).status === "succeeded");
			collectGarbage();
			const before = rssMb();
			const heapBefore = heapMb();
			const started = now();
			for (let i = 0; i < SUSPENDED; i += 50) {
				await Promise.all(
					Array.from({ length: Math.min(50, SUSPENDED - i) }, (_, j) => broker.call("agents.submitTask", { id, task: { type: "ask", reason: `question ${i + j}` }, async: true }))
				);
			}
			await until(`${SUSPENDED} tasks to wait`, () => waiting(SUSPENDED), 300_000, 100);
			const seconds = msSince(started) / 1000;
			if (durable) {
				const running = await broker.call<TaskPage, object>("tasks.list", { agentId: id, status: "running", limit: 1 });
				check(running.total === 0, `${running.total} runs still running`);
			}
			const held = rssMb();
			collectGarbage();
			return { before, held, afterGc: rssMb(), heapBefore, heapAfter: heapMb(), seconds };
		});
	} finally {
		fs.rmSync(code, { recursive: true, force: true });
	}
}

async function suspendedRows(): Promise<Row[]> {
	const ours = await holdTasks(true);
	if (!ours) {
		const why = "not measured: this build has no approvals.waitFor (ctx.waitFor), which suspends a durable run; it runs once that is merged";
		log(`  suspended runs: ${why}`);
		return [row({ metric: `RSS added by ${SUSPENDED.toLocaleString("en-US")} suspended runs (vs waiting in memory)`, baseline: Number.NaN, ours: Number.NaN, unit: "MB", target: `< ${RSS_TARGET_MB} MB`, note: why })];
	}
	log(`  ${SUSPENDED} runs suspended in ${ours.seconds.toFixed(1)} s; now holding as many in memory`);
	const base = await holdTasks(false);
	check(base !== undefined, "approvals.waitFor went away between two nodes");
	const added = ours.afterGc - ours.before;
	const n = SUSPENDED.toLocaleString("en-US");
	return [
		row({
			metric: `RSS added by ${n} suspended runs (vs ${n} tasks waiting in memory), after GC`,
			baseline: base.afterGc - base.before,
			ours: added,
			unit: "MB",
			target: `< ${RSS_TARGET_MB} MB`,
			met: added < RSS_TARGET_MB,
			note: `inprocess agent calling ctx.waitFor; baseline: the same agent with durable: false; RSS ${ours.before.toFixed(0)} → ${ours.afterGc.toFixed(0)} MB vs ${base.before.toFixed(0)} → ${base.afterGc.toFixed(0)} MB`
		}),
		row({
			metric: "the same, before GC",
			baseline: base.held - base.before,
			ours: ours.held - ours.before,
			unit: "MB",
			note: `all ${n} waiting ${ours.seconds.toFixed(1)} s (suspended) vs ${base.seconds.toFixed(1)} s (in memory) after the first was submitted`
		}),
		row({
			metric: "V8 heap added, after GC",
			baseline: base.heapAfter - base.heapBefore,
			ours: ours.heapAfter - ours.heapBefore,
			unit: "MB",
			note: "what the tasks hold in JavaScript; RSS also counts the embedded database's memory, which grows with the rows written (tasks, approvals) and is not given back"
		})
	];
}

export default async function durableBench(): Promise<Row[]> {
	const rows: Row[] = [];
	if (PARTS.includes("overhead")) {
		log(`  overhead: ${ROUNDS} rounds × ${CHATS} chats per variant, ${WARMUP} warm-up`);
		rows.push(...(await overheadRows()));
	}
	if (PARTS.includes("resume")) {
		log(`  resume: ${KILLS} kills of a process agent's worker`);
		rows.push(...(await resumeRows()));
	}
	if (PARTS.includes("suspended")) {
		log(`  suspended: ${SUSPENDED} tasks`);
		rows.push(...(await suspendedRows()));
	}
	return rows;
}
