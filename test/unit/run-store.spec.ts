import type { Caller } from "../../actors/agent-api";
import { RunJournal } from "../../actors/run-journal";
import { RunStore } from "../../actors/run-store";
import { TaskStore } from "../../actors/task-store";
import { PgliteDatabase } from "../../lib/kernel/database/pglite-database";
import { migrate, readMigrations } from "../../lib/kernel/migrations";
import { migrationsDir } from "../../lib/kernel/paths";

/** The durable-run rows on a real (embedded) PostgreSQL: who runs what, and what retention removes. */
let db: PgliteDatabase;
const caller: Caller = { kind: "user", id: "tester" };

beforeAll(async () => {
	db = await PgliteDatabase.open(undefined);
	await migrate(db, readMigrations(migrationsDir()));
}, 120_000);
afterAll(() => db?.close());

const entry = (agentId = "a") => ({ id: TaskStore.newId(), agentId, task: { type: "t" }, caller });
const step = (seq: number) => ({ seq, action: "mal.chat", label: null, ok: true, result: { n: seq }, error: null, startedAt: new Date().toISOString(), durationMs: 1, costUsd: 0.01, tokens: 3 });

describe("the run store", () => {
	it("lets one node take a queued run: the second claim of the same row finds it taken", async () => {
		const runs = new RunStore(db);
		const queued = await runs.insertQueued(entry());
		const [first, second] = await Promise.all([runs.claimQueued(queued.id, "node-a"), runs.claimQueued(queued.id, "node-b")]);
		expect([first?.owner, second?.owner].filter(Boolean)).toHaveLength(1);
		expect((first ?? second)!).toMatchObject({ status: "running", attempts: 1 });
	});

	it("finds the runs whose owner is gone, not those of live owners, and those suspended past their wait", async () => {
		const runs = new RunStore(db);
		const agent = `orphans-${Date.now()}`;
		const dead = await runs.insertRunning(entry(agent), "gone-instance");
		await runs.insertRunning(entry(agent), "live-instance");
		const waiting = await runs.insertRunning(entry(agent), "live-instance");
		const wait = { kind: "approval" as const, approvalId: "ap", action: "x", reason: "r", step: 1, since: new Date().toISOString(), until: new Date(Date.now() - 1000).toISOString() };
		expect(await runs.suspend(waiting.id, "live-instance", wait)).toBe(true);
		const found = await runs.orphans([agent], ["live-instance"]);
		expect(found.map(r => r.id).sort()).toEqual([dead.id, waiting.id].sort());
		expect(found.find(r => r.id === waiting.id)?.waitingFor).toMatchObject({ approvalId: "ap", step: 1 });
	});

	it("removes tasks that ended before the retention date together with their journals, and keeps the rest", async () => {
		const runs = new RunStore(db);
		const journal = new RunJournal(db);
		const old = await runs.insertRunning(entry(), "me");
		const open = await runs.insertRunning(entry(), "me");
		for (const id of [old.id, open.id]) for (const seq of [1, 2]) await journal.append(id, step(seq));
		expect(await runs.finish(old.id, "me", { ok: true, result: 1 })).toBe(true);
		await db.query("UPDATE agent_tasks SET finished_at = now() - interval '40 days' WHERE id = $1", [old.id]);

		expect(await runs.purgeEnded(new Date(Date.now() - 30 * 86_400_000))).toBeGreaterThanOrEqual(1);
		expect(await new TaskStore(db).find(old.id)).toBeUndefined();
		expect(await journal.load(old.id)).toEqual([]);
		expect((await journal.load(open.id)).map(s => s.seq)).toEqual([1, 2]);
	});

	it("cancels a run's open child runs and theirs, leaves ended ones, and says which it cancelled", async () => {
		const runs = new RunStore(db);
		const tasks = new TaskStore(db);
		const parent = await runs.insertRunning(entry("boss"), "me");
		const child = await runs.insertRunning({ ...entry("helper"), parentTaskId: parent.id }, "me");
		const done = await runs.insertRunning({ ...entry("helper"), parentTaskId: parent.id }, "me");
		expect(await runs.finish(done.id, "me", { ok: true, result: 1 })).toBe(true);
		const grandchild = await runs.insertQueued({ ...entry("deep"), parentTaskId: child.id });

		expect((await tasks.children(parent.id)).map(c => c.id)).toEqual([child.id, done.id]);
		const cancelled = await runs.cancel(parent.id);
		expect(cancelled).toMatchObject({ agentId: "boss", status: "running", ended: false });
		expect(cancelled!.children.map(c => [c.id, c.agentId]).sort()).toEqual([[child.id, "helper"], [grandchild.id, "deep"]].sort());
		expect(await tasks.get(grandchild.id)).toMatchObject({ status: "cancelled", parentTaskId: child.id });
		expect(await tasks.get(done.id)).toMatchObject({ status: "succeeded", parentTaskId: parent.id });
		expect(await tasks.get(parent.id)).toMatchObject({ status: "cancelled", parentTaskId: null });
	});

	it("a taken task id is TASK_EXISTS, and a child run refused before it began is removed so that the step made again starts it afresh", async () => {
		const runs = new RunStore(db);
		const parent = await runs.insertRunning(entry("boss"), "me");
		const child = { ...entry("helper"), parentTaskId: parent.id };
		await runs.insertRunning(child, "me");
		await expect(runs.insertRunning(child, "me")).rejects.toMatchObject({ type: "TASK_EXISTS", code: 409, data: { taskId: child.id } });
		expect(await runs.finish(child.id, "me", { ok: false, error: { type: "AGENT_BUSY" } })).toBe(true);
		await runs.discardRefused(child.id);
		expect(await new TaskStore(db).find(child.id)).toBeUndefined();
		expect((await runs.insertRunning(child, "me")).id).toBe(child.id);
	});
});
