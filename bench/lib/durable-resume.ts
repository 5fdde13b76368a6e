/**
 * The durable benchmark's resume part: a process agent in a loop of `ctx.llm.chat` calls,
 * its worker killed (SIGKILL) mid-loop; the time from the kill to the first new step at the
 * model server, against the worker's own restart (kill → running with a new pid).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RuntimeStatus } from "../../actors/agent-runtime";
import type { TaskRecord } from "../../actors/task-store";
import { startOpenAIServer } from "../../test/support/llm-wire/openai-server";
import type { RecordedRequest, Step } from "../../test/support/llm-wire/script";
import { API_KEY, check, POLL_MS, sleep, spawn, taskDetail, TIMEOUT_MS, until, withNode } from "./durable-node";
import { ensureWorkerEntry } from "./procs";
import { log, row, type Row } from "./table";
import { mean, msSince, now, positiveInt, quantile as p } from "./timing";

const KILLS = positiveInt(process.env.BENCH_DURABLE_KILLS, 12);
const RESUME_TARGET_MS = 1000;
/** The model's reply to each step takes this long, so a kill lands mid-step or between steps. */
const STEP_MS = 20;
const LOOP_STEPS = 24;
/** New steps a run makes before its worker is killed. */
const KILL_AFTER = 8;

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

export async function resumeRows(): Promise<Row[]> {
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

