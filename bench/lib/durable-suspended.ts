/**
 * The durable benchmark's suspended part: RSS and V8 heap added by SUSPENDED async tasks
 * of an inprocess agent whose `ctx.waitFor` suspends them, against the same tasks of a
 * `durable: false` agent waiting in memory. It needs `approvals.waitFor`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ServiceBroker } from "moleculer";
import type { TaskPage } from "../../actors/task-store";
import { check, spawn, taskDetail, until, withNode } from "./durable-node";
import { collectGarbage } from "./procs";
import { log, row, type Row } from "./table";
import { msSince, now, positiveInt } from "./timing";

const SUSPENDED = positiveInt(process.env.BENCH_DURABLE_SUSPENDED, 1000);
const RSS_TARGET_MB = 20;
const rssMb = () => process.memoryUsage().rss / 2 ** 20;

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

export async function suspendedRows(): Promise<Row[]> {
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

