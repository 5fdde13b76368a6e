/**
 * Where a durable task's extra time goes: its database writes timed alone on the node's
 * own database, with the journal a real chat wrote (the same rows, the same results), as
 * the durable path makes them (the run written before the agent sees it, a row per step,
 * the end) against the one write of a `durable: false` task, and the two `tasks.changed`
 * broadcasts a durable run makes.
 */
import { RunJournal, type JournalStep } from "../../actors/run-journal";
import { RunStore } from "../../actors/run-store";
import { TaskStore, type TaskEntry } from "../../actors/task-store";
import type { TestNode } from "../../test/support/test-node";
import { median } from "./stats";
import { log, row, type Row } from "./table";
import { msSince, now } from "./timing";

const SAMPLES = 200;

interface Parts {
	insert: number;
	steps: number;
	finish: number;
	broadcasts: number;
	volatile: number;
}

export async function breakdownRows(t: TestNode, journaled: number): Promise<Row[]> {
	const db = t.node.kernel.db;
	const broker = t.node.broker;
	const runs = new RunStore(db);
	const journal = new RunJournal(db);
	const tasks = new TaskStore(db);
	const { items } = await tasks.list({ agentId: "loop-durable", status: "succeeded", limit: 1 }, null);
	const model = await tasks.get(items[0].id);
	const steps: JournalStep[] = await journal.load(model.id);
	if (steps.length !== journaled) throw new Error(`the sample task has ${steps.length} steps, expected ${journaled}`);
	const entry = (id: string, agentId: string): TaskEntry => ({ id, agentId, task: model.input as TaskEntry["task"], caller: model.caller });
	const owner = `bench-${process.pid}`;

	const samples: Parts[] = [];
	const perStep: number[][] = [];
	for (let i = 0; i < SAMPLES; i++) {
		const id = TaskStore.newId();
		let start = now();
		await runs.insertRunning(entry(id, "loop-durable"), owner);
		const insert = msSince(start);
		const each = steps.map(() => 0);
		for (const [k, step] of steps.entries()) {
			start = now();
			await journal.append(id, step);
			each[k] = msSince(start);
		}
		perStep.push(each);
		const stepsMs = each.reduce((a, b) => a + b, 0);
		start = now();
		await runs.finish(id, owner, { ok: true, result: model.result });
		const finish = msSince(start);
		start = now();
		for (const status of ["running", "succeeded"] as const) await broker.broadcast("tasks.changed", { id, agentId: "loop-durable", status, node: broker.nodeID });
		const broadcasts = msSince(start);
		start = now();
		await tasks.runRecorded(entry(TaskStore.newId(), "loop-volatile"), () => Promise.resolve(model.result), { handedOver: false });
		samples.push({ insert, steps: stepsMs, finish, broadcasts, volatile: msSince(start) });
	}
	const m = (key: keyof Parts) => median(samples.map(s => s[key]));
	const eachStep = steps.map((s, k) => `${s.action} ${median(perStep.map(e => e[k])).toFixed(2)} (${JSON.stringify(s.result ?? null).length} B)`);
	log(`  each journal row, median ms (result size): ${eachStep.join(", ")}`);
	const durable = m("insert") + m("steps") + m("finish") + m("broadcasts");
	log(`  breakdown: insert ${m("insert").toFixed(2)}, ${steps.length} steps ${m("steps").toFixed(2)}, finish ${m("finish").toFixed(2)}, broadcasts ${m("broadcasts").toFixed(3)} ms; volatile write ${m("volatile").toFixed(2)} ms`);
	const n = `median of ${SAMPLES}, alone on the node's database`;
	return [
		row({ metric: "  writes of one task: durable (all below) vs durable: false (one write)", baseline: m("volatile"), ours: durable, unit: "ms", note: `${n}; the difference is what journaling adds at most` }),
		row({ metric: `  · ${steps.length} journal rows (one insert each)`, baseline: Number.NaN, ours: m("steps"), unit: "ms", note: `${(m("steps") / steps.length).toFixed(3)} ms a step` }),
		row({ metric: "  · the run written as running, then its end", baseline: Number.NaN, ours: m("insert") + m("finish"), unit: "ms", note: `insert ${m("insert").toFixed(2)} + finish ${m("finish").toFixed(2)} ms` }),
		row({ metric: "  · two tasks.changed broadcasts", baseline: Number.NaN, ours: m("broadcasts"), unit: "ms" })
	];
}
