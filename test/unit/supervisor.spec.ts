import fs from "node:fs";
import path from "node:path";
import { ServiceBroker, type Logger } from "moleculer";
import type { DurableAsk } from "../../actors/agent-actor";
import type { AgentTask, Caller } from "../../actors/agent-api";
import { AgentStore } from "../../actors/agent-store";
import { EnvelopeSigner } from "../../actors/envelope";
import { parseManifest } from "../../actors/manifest";
import type { AgentManifest } from "../../actors/manifest-types";
import { Supervisor, type NodeCall, type SupervisorConfig } from "../../actors/supervisor";
import { RunStore } from "../../actors/run-store";
import { RunJournal } from "../../actors/run-journal";
import { TaskStore } from "../../actors/task-store";
import type { Database, QueryResult, Queryable, SqlParam } from "../../lib/kernel/database";
import { PgliteDatabase } from "../../lib/kernel/database/pglite-database";
import { migrate, readMigrations } from "../../lib/kernel/migrations";
import { migrationsDir } from "../../lib/kernel/paths";
import { seededDataDir } from "../support/pgdata-template";
import { ScriptedWorker } from "../support/scripted-worker";

const FIXTURE_AGENTS = path.resolve(__dirname, "../fixtures/agents");
const caller: Caller = { kind: "user", id: "tester" };
const logger = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;
const config: SupervisorConfig = {
	TRANSPORTER: undefined,
	DATABASE_URL: undefined,
	AGENT_CODE_PATHS: FIXTURE_AGENTS,
	AGENT_INPROCESS_PATHS: undefined,
	MAX_AGENT_TASK_TIMEOUT_MS: 10_000,
	AGENT_HEARTBEAT_INTERVAL_MS: 60_000,
	AGENT_HEARTBEAT_TIMEOUT_MS: 60_000,
	AGENT_STOP_GRACE_MS: 1000,
	AGENT_START_TIMEOUT_MS: 5000,
	CLUSTER_TASK_WAIT_MS: 1000,
	TASK_STEP_ATTEMPTS: 3,
	TASK_RETRY_DELAY_MS: 50,
	TASK_OUTAGE_RETRY_MS: 50
};
/** On a lone node nothing is ever asked of another node. */
const noNodes: NodeCall = () => Promise.reject(new Error("no other node"));

/** The database, counting the statements that go through it, and slowing down those the test says. */
class CountingDatabase implements Database {
	readonly statements: string[] = [];
	constructor(
		private readonly inner: Database,
		private readonly delayMs: (sql: string, params?: readonly SqlParam[]) => number = () => 0
	) {}
	get kind() {
		return this.inner.kind;
	}
	query<Row = Record<string, unknown>>(sql: string, params?: readonly SqlParam[]): Promise<QueryResult<Row>> {
		this.statements.push(sql);
		const delay = this.delayMs(sql, params);
		if (delay) return new Promise(resolve => setTimeout(resolve, delay)).then(() => this.inner.query<Row>(sql, params));
		return this.inner.query<Row>(sql, params);
	}
	exec(sql: string): Promise<void> {
		return this.inner.exec(sql);
	}
	transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
		return this.inner.transaction(fn);
	}
	ping(timeoutMs?: number): Promise<void> {
		return this.inner.ping(timeoutMs);
	}
	hasVectorExtension(): Promise<boolean> {
		return this.inner.hasVectorExtension();
	}
	close(): Promise<void> {
		return this.inner.close();
	}
	reads(): string[] {
		return this.statements.filter(sql => /^\s*SELECT/i.test(sql));
	}
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
	const end = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise(resolve => setTimeout(resolve, 10));
	}
}

let pglite: PgliteDatabase;
let pgliteDir: string | undefined;
let n = 0;

beforeAll(async () => {
	pgliteDir = await seededDataDir();
	pglite = await PgliteDatabase.open(pgliteDir);
	await migrate(pglite, readMigrations(migrationsDir()));
}, 120_000);
afterAll(async () => {
	await pglite?.close();
	if (pgliteDir) fs.rmSync(pgliteDir, { recursive: true, force: true });
});

/** A supervisor on a broker of its own (a node), over the shared database, with scripted workers. */
async function node(delayMs?: (sql: string, params?: readonly SqlParam[]) => number) {
	const broker = new ServiceBroker({ logger: false, nodeID: `node-${++n}` });
	await broker.start();
	const db = new CountingDatabase(pglite, delayMs);
	const workers: ScriptedWorker[] = [];
	const launched: string[] = [];
	const supervisor = new Supervisor({
		broker,
		logger,
		agents: new AgentStore(db, false),
		tasks: new TaskStore(db),
		runs: new RunStore(db),
		journal: new RunJournal(db),
		onTaskChange: () => undefined,
		config,
		signer: new EnvelopeSigner("a test secret of enough length"),
		createWorker: (manifest, _entryPoint, hooks) => {
			launched.push(manifest.id);
			const worker: ScriptedWorker = new ScriptedWorker(hooks, workers.length, async task => {
				if (task.type === "fail") throw { name: "Oops", message: "failed on purpose" };
				if (task.type === "sleep") await new Promise(resolve => setTimeout(resolve, task.ms ?? 0));
				return { by: worker.n };
			});
			workers.push(worker);
			return worker;
		},
		createBridge: () => async () => null,
		pendingCapabilities: async () => new Map()
	});
	const ask = (id: string, task: AgentTask) => (taskId: string, durable?: DurableAsk) => broker.call(`agent.${id}.ask`, { task, taskId, durable }, { meta: { caller } });
	const stop = async () => {
		await supervisor.stopAll();
		await broker.stop();
	};
	return { broker, db, supervisor, workers, launched, ask, stop };
}

function manifestOf(extra: Record<string, unknown> = {}): { manifest: AgentManifest; raw: Record<string, unknown> } {
	const raw = { id: `agent-${++n}`, name: "Scripted", entryPoint: path.join(FIXTURE_AGENTS, "echo.js"), restart: { baseDelayMs: 10, maxDelayMs: 20 }, ...extra };
	return { manifest: parseManifest(raw), raw };
}

async function spawn(supervisor: Supervisor, extra: Record<string, unknown> = {}): Promise<AgentManifest> {
	const { manifest, raw } = manifestOf(extra);
	await supervisor.register(manifest, raw, "tester");
	await supervisor.place(manifest);
	return manifest;
}

async function history(supervisor: Supervisor, id: string): Promise<string[]> {
	return (await supervisor.transitions(id, 100)).reverse().map(t => `${t.from}>${t.to}`);
}

async function tasksOf(id: string) {
	const { rows } = await pglite.query<{ id: string; status: string; result: unknown; error: unknown }>("SELECT id, status, result, error FROM agent_tasks WHERE agent_id = $1", [id]);
	return rows;
}

describe("the supervisor", () => {
	it("launches a spawned agent on a lone node: running, its actor registered, each transition recorded in order", async () => {
		// The first transition's write is slow: the second must still be written after it.
		const { broker, supervisor, stop } = await node((sql, params) => (sql.startsWith("INSERT INTO agent_transitions") && params?.[2] === "starting" ? 50 : 0));
		const { id } = await spawn(supervisor);
		expect(await supervisor.view(id)).toMatchObject({ id, desiredState: "running", state: "running", node: broker.nodeID, pid: 1000, owner: "tester" });
		expect(broker.getLocalService(`agent.${id}`)).toBeDefined();
		expect(await history(supervisor, id)).toEqual(["pending>starting", "starting>running"]);
		const { rows } = await pglite.query<{ state: string; node_id: string; pid: number }>("SELECT state, node_id, pid FROM agents WHERE id = $1", [id]);
		expect(rows[0]).toEqual({ state: "running", node_id: broker.nodeID, pid: 1000 });
		await expect(supervisor.register(parseManifest({ id, name: "Again", entryPoint: path.join(FIXTURE_AGENTS, "echo.js") }), { id }, null)).rejects.toMatchObject({
			type: "AGENT_EXISTS",
			code: 409
		});
		await stop();
	});

	it("records a task it delivers once, with its result or error, whether the caller waits or hands it over", async () => {
		const { broker, supervisor, ask, stop } = await node();
		const { id } = await spawn(supervisor);
		const awaited = await supervisor.submit(id, { type: "echo" }, caller, false, ask(id, { type: "echo" }));
		expect(awaited).toEqual({ taskId: expect.any(String), status: "succeeded", result: { by: 0 } });

		await expect(supervisor.submit(id, { type: "fail" }, caller, false, ask(id, { type: "fail" }))).rejects.toMatchObject({ type: "AGENT_TASK_FAILED" });

		const handedOver = await supervisor.submit(id, { type: "sleep", ms: 100 }, caller, true, ask(id, { type: "sleep", ms: 100 }));
		expect(handedOver).toEqual({ taskId: expect.any(String), status: "queued" });
		// Written before it was acknowledged.
		// Written before it was acknowledged (and by now, maybe, taken by the agent's node).
		expect(["queued", "running"]).toContain((await tasksOf(id)).find(t => t.id === handedOver.taskId)?.status);
		await until("the handed-over task to end", async () => (await new TaskStore(pglite).get(handedOver.taskId)).status === "succeeded");

		// The actor's tell goes through the same recording.
		const told = await broker.call<{ taskId: string }, object>(`agent.${id}.tell`, { task: { type: "fail" } }, { meta: { caller } });
		await until("the told task to end", async () => (await new TaskStore(pglite).get(told.taskId)).status === "failed");

		const tasks = await tasksOf(id);
		expect(tasks).toHaveLength(4);
		expect(new Set(tasks.map(t => t.id)).size).toBe(4);
		expect(tasks.find(t => t.id === awaited.taskId)).toMatchObject({ status: "succeeded", result: { by: 0 }, error: null });
		expect(tasks.filter(t => t.status === "failed").map(t => t.error)).toEqual([
			expect.objectContaining({ type: "AGENT_TASK_FAILED" }),
			expect.objectContaining({ type: "AGENT_TASK_FAILED" })
		]);
		expect(tasks.find(t => t.id === handedOver.taskId)).toMatchObject({ status: "succeeded", result: { by: 0 } });
		await stop();
	});

	it("persists a crash and the restart that follows, with the restart count", async () => {
		const { supervisor, workers, stop } = await node();
		const { id } = await spawn(supervisor);
		workers[0].die("exited with code 1");
		await until("the agent to run again", async () => (await history(supervisor, id)).length === 5);
		expect(await history(supervisor, id)).toEqual(["pending>starting", "starting>running", "running>restarting", "restarting>starting", "starting>running"]);
		const { rows } = await pglite.query<{ state: string; restarts: number; pid: number; last_error: string }>("SELECT state, restarts, pid, last_error FROM agents WHERE id = $1", [id]);
		expect(rows[0]).toMatchObject({ state: "running", restarts: 1, pid: 1001, last_error: expect.stringContaining("worker exited with code 1") });
		await stop();
	});

	it("as the leader's host, leaves an agent stopped when a stop came while it started (before its node was written)", async () => {
		// Placing it: its node is written slowly, and the stop lands meanwhile, finding it nowhere.
		const { supervisor, stop } = await node(sql => (sql.startsWith("UPDATE agents SET node_id") ? 150 : 0));
		const { manifest, raw } = manifestOf();
		await supervisor.register(manifest, raw, "tester");
		const hosting = supervisor.host(manifest.id, "placed", false);
		await new Promise(resolve => setTimeout(resolve, 50));
		await pglite.query("UPDATE agents SET desired_state = 'stopped' WHERE id = $1", [manifest.id]);
		expect(await hosting).toMatchObject({ desiredState: "stopped", state: "stopped" });
		expect([...supervisor.runtimes()]).toEqual([]);
		await stop();
	});

	it("stops an agent: desired state stopped, gone from this node with its actor service, and its tasks refused", async () => {
		const { broker, supervisor, ask, stop } = await node();
		const { id } = await spawn(supervisor);
		expect(await supervisor.stop(id, noNodes)).toMatchObject({ desiredState: "stopped", state: "stopped", pid: null, mailbox: null });
		expect([...supervisor.runtimes()]).toEqual([]);
		expect(broker.getLocalService(`agent.${id}`)).toBeUndefined();
		expect(await history(supervisor, id)).toEqual(["pending>starting", "starting>running", "running>stopping", "stopping>stopped"]);
		const { rows } = await pglite.query<{ desired_state: string; state: string }>("SELECT desired_state, state FROM agents WHERE id = $1", [id]);
		expect(rows[0]).toEqual({ desired_state: "stopped", state: "stopped" });
		// Known, so not AGENT_NOT_FOUND: the broker answers that no actor takes it.
		await expect(supervisor.submit(id, { type: "echo" }, caller, false, ask(id, { type: "echo" }))).rejects.toThrow(`Service 'agent.${id}.ask' is not available`);
		await expect(supervisor.submit("no-such-agent", { type: "echo" }, caller, false, ask("no-such-agent", { type: "echo" }))).rejects.toMatchObject({
			type: "AGENT_NOT_FOUND",
			code: 404
		});

		const removed = await spawn(supervisor);
		await supervisor.remove(removed.id, noNodes);
		await expect(supervisor.view(removed.id)).rejects.toMatchObject({ type: "AGENT_NOT_FOUND" });
		await expect(supervisor.submit(removed.id, { type: "echo" }, caller, false, ask(removed.id, { type: "echo" }))).rejects.toMatchObject({ type: "AGENT_NOT_FOUND" });
		await stop();
	});

	it("on restore launches the agents whose desired state is running and are not running here, and only those", async () => {
		const first = await node();
		const a = await spawn(first.supervisor);
		const b = await spawn(first.supervisor);
		const stopped = await spawn(first.supervisor);
		await first.supervisor.stop(stopped.id, noNodes);
		// The node goes down; its agents' desired state stays running.
		await first.stop();

		const second = await node();
		const running = await spawn(second.supervisor);
		await second.supervisor.restore();
		const here = [...second.supervisor.runtimes()].map(r => r.id);
		expect(here).toEqual(expect.arrayContaining([a.id, b.id, running.id]));
		expect(here).not.toContain(stopped.id);
		expect(second.launched.filter(id => id === running.id)).toHaveLength(1);
		expect((await second.supervisor.view(a.id)).state).toBe("running");
		// Again: nothing is missing now, nothing is launched twice.
		const launches = second.launched.length;
		await second.supervisor.restore();
		expect(second.launched).toHaveLength(launches);
		await second.stop();
	});

	it("on a lone node delivers tasks to an agent running here without reading the database", async () => {
		const { db, supervisor, ask, stop } = await node();
		const { id } = await spawn(supervisor);
		// Its transitions are written meanwhile.
		await supervisor.view(id);
		db.statements.length = 0;
		for (let i = 0; i < 5; i++) await supervisor.submit(id, { type: "echo" }, caller, false, ask(id, { type: "echo" }));
		await supervisor.submit(id, { type: "echo" }, caller, true, ask(id, { type: "echo" }));
		expect(db.reads()).toEqual([]);
		// What it writes is the tasks themselves.
		expect(db.statements.every(sql => /agent_tasks/.test(sql))).toBe(true);
		await stop();
	});
});
