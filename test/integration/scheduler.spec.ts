/**
 * Scheduled jobs on one node (a real PostgreSQL): intervals and cron, agent tasks and
 * service actions, pause/resume/trigger, auto-pause after failures, history and metrics.
 */
import type { ErrorBody } from "../../services/api.service";
import type { RunView, ScheduleView } from "../../lib/cluster/schedule-store";
import { echoManifest, FAST_AGENT_ENV, post, spawnAgent } from "../support/agents";
import { startNats, type NatsServer } from "../support/nats-server";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";
import { startRedis, type RedisServer } from "../support/redis-server";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

describe("the scheduler", () => {
	let pg: PostgresServer;
	let t: TestNode;

	const create = (body: Record<string, unknown>) => post<ScheduleView & ErrorBody>(t, "/api/v1/schedules", body);
	const runs = (id: string) => t.json<RunView[]>(`/api/v1/schedules/${id}/runs`);
	const schedule = (id: string) => t.json<ScheduleView>(`/api/v1/schedules/${id}`);

	beforeAll(async () => {
		pg = await startPostgres();
		t = await startTestNode({ ...FAST_AGENT_ENV, DATABASE_URL: await createDatabase(pg, "scheduler"), SCHEDULER_POLL_MS: "50", CLUSTER_LEADER_LEASE_MS: "1500" });
		await t.node.ready;
		await spawnAgent(t, echoManifest("sched-echo"));
		await eventually("the node to lead", async () => (await t.json<{ leader: unknown }>("/api/v1/cluster")).leader !== null);
	});

	afterAll(async () => {
		await t?.stop();
		await pg?.destroy();
	});

	it("fires an interval job once per tick, sending its task to the agent, and keeps the history", async () => {
		const { status, body } = await create({ intervalMs: 300, target: { agent: "sched-echo", task: { type: "echo", n: 1 } } });
		expect(status).toBe(201);
		expect(body).toMatchObject({ state: "active", intervalMs: 300, name: "sched-echo: echo", target: { kind: "agent", agent: "sched-echo" } });
		await eventually("four runs", async () => (await runs(body.id)).filter(r => r.status === "succeeded").length >= 4);
		await post(t, `/api/v1/schedules/${body.id}/pause`, {});
		const history = (await runs(body.id)).reverse();
		expect(history[0].result).toMatchObject({ result: { agent: "sched-echo", echo: { type: "echo", n: 1 } } });
		const ticks = history.map(r => Date.parse(r.tickAt!));
		expect(new Set(ticks).size).toBe(ticks.length);
		// On the beat; a tick fired more than an interval late (a starved machine) skips the next rather than bunching.
		const gaps = ticks.slice(1).map((tick, i) => tick - ticks[i]);
		expect(gaps.every(g => g % 300 === 0)).toBe(true);
		expect(gaps.filter(g => g === 300).length).toBeGreaterThanOrEqual(gaps.length / 2);
		expect(history.every(r => r.trigger === "tick" && r.node === t.node.broker.nodeID)).toBe(true);
	});

	it("pauses and resumes: no runs while paused", async () => {
		const { body } = await create({ intervalMs: 200, target: { agent: "sched-echo", task: { type: "echo" } } });
		await eventually("a run", async () => (await runs(body.id)).length >= 1);
		const paused = await post<ScheduleView>(t, `/api/v1/schedules/${body.id}/pause`, {});
		expect(paused.body).toMatchObject({ state: "paused", pausedReason: "paused by request" });
		await sleep(100);
		const before = (await runs(body.id)).length;
		await sleep(700);
		expect((await runs(body.id)).length).toBe(before);
		expect((await post<ScheduleView>(t, `/api/v1/schedules/${body.id}/resume`, {})).body.state).toBe("active");
		await eventually("runs again", async () => (await runs(body.id)).length > before);
		await t.request(`/api/v1/schedules/${body.id}`, { method: "DELETE" });
		expect((await t.request(`/api/v1/schedules/${body.id}`)).status).toBe(404);
	});

	it("triggers a job now, outside its cadence", async () => {
		const { body } = await create({ cron: "0 0 1 1 *", target: { agent: "sched-echo", task: { type: "echo", now: true } } });
		const { status, body: run } = await post<RunView>(t, `/api/v1/schedules/${body.id}/trigger`, {});
		expect(status).toBe(200);
		expect(run).toMatchObject({ trigger: "manual", tickAt: null, status: "succeeded", result: { result: { echo: { now: true } } } });
	});

	it("pauses a job by itself after N failed runs in a row, saying why", async () => {
		const { body } = await create({ intervalMs: 150, maxFailures: 2, target: { agent: "sched-echo", task: { type: "boom" } } });
		await eventually("the job to pause itself", async () => (await schedule(body.id)).state === "paused");
		const job = await schedule(body.id);
		expect(job.pausedReason).toMatch(/paused after 2 failed runs in a row; last: .*boom from the agent/);
		await sleep(400);
		const history = await runs(body.id);
		expect(history.map(r => r.status)).toEqual(["failed", "failed"]);
		expect(history[0].error).toMatchObject({ type: "AGENT_TASK_FAILED" });
	});

	it("fires cron expressions (with seconds) on their instants", async () => {
		const { body } = await create({ cron: "* * * * * *", timezone: "Europe/Paris", target: { agent: "sched-echo", task: { type: "echo" } } });
		await eventually("two cron runs", async () => (await runs(body.id)).length >= 2, 10_000);
		await post(t, `/api/v1/schedules/${body.id}/pause`, {});
		for (const run of await runs(body.id)) expect(Date.parse(run.tickAt!) % 1000).toBe(0);
	});

	it("calls a service action for an admin, and refuses it to a token with only the schedules scope", async () => {
		const { body } = await create({ intervalMs: 200, target: { action: "cluster.self" } });
		await eventually("an action run", async () => (await runs(body.id)).some(r => r.status === "succeeded"));
		await post(t, `/api/v1/schedules/${body.id}/pause`, {});
		expect((await runs(body.id)).find(r => r.status === "succeeded")?.result).toMatchObject({ id: t.node.broker.nodeID });

		const token = (await post<{ token: string }>(t, "/api/v1/tokens", { name: "scheduler", scopes: ["schedules"] })).body.token;
		const as = (target: unknown) =>
			fetch(`${t.url}/api/v1/schedules`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ intervalMs: 1000, target }) });
		const refused = await as({ action: "cluster.self" });
		expect(refused.status).toBe(403);
		expect(((await refused.json()) as ErrorBody).error.type).toBe("SCHEDULE_FORBIDDEN");
		expect((await as({ agent: "sched-echo", task: { type: "echo" } })).status).toBe(201);

		// Nor may it trigger, resume, pause or delete the admin's action schedule.
		const before = (await runs(body.id)).length;
		for (const [method, route] of [["POST", "trigger"], ["POST", "resume"], ["POST", "pause"], ["DELETE", ""]]) {
			const res = await fetch(`${t.url}/api/v1/schedules/${body.id}${route ? `/${route}` : ""}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: method === "POST" ? "{}" : undefined });
			expect(res.status).toBe(403);
			expect(((await res.json()) as ErrorBody).error).toMatchObject({ type: "SCHEDULE_FORBIDDEN", message: expect.stringContaining("cluster.self") });
		}
		expect(await runs(body.id)).toHaveLength(before);
		expect((await t.json<{ state: string }>(`/api/v1/schedules/${body.id}`)).state).toBe("paused");
	});

	it.each([
		[{ target: { agent: "sched-echo", task: { type: "echo" } } }, "cron"],
		[{ cron: "every day", target: { agent: "sched-echo", task: { type: "echo" } } }, "cron"],
		[{ cron: "* * * * *", timezone: "Mars/Base", target: { agent: "sched-echo", task: { type: "echo" } } }, "timezone"],
		[{ intervalMs: 10, target: { agent: "sched-echo", task: { type: "echo" } } }, "intervalMs"],
		[{ intervalMs: 1000, target: { agent: "nobody", task: { type: "echo" } } }, "target.agent"],
		[{ intervalMs: 1000, target: { agent: "sched-echo" } }, "target.task"],
		[{ intervalMs: 1000, target: { agent: "sched-echo", task: { type: "echo" }, action: "cluster.self" } }, "target"],
		[{ intervalMs: 1000, target: { action: "$node.list" } }, "target.action"]
	])("refuses %j with 422 naming %s", async (input, field) => {
		const { status, body } = await create(input);
		expect(status).toBe(422);
		expect(body.error).toMatchObject({ type: "SCHEDULE_INVALID", data: { field } });
	});

	it("refuses a malformed body with 422 from the validator", async () => {
		const { status, body } = await create({ intervalMs: "soon", target: { agent: "sched-echo", task: { type: "echo" } } });
		expect(status).toBe(422);
		expect(JSON.stringify(body)).toContain("intervalMs");
	});

	it("answers 404 for an unknown schedule, and counts runs in /metrics", async () => {
		expect((await t.request("/api/v1/schedules/not-a-schedule")).status).toBe(404);
		const metrics = await (await t.request("/metrics")).text();
		expect(metrics).toMatch(/agentos_schedule_runs_total\{[^}]*trigger="tick"[^}]*status="succeeded"[^}]*\} [1-9]/);
		expect(metrics).toMatch(/agentos_cluster_leader\{[^}]*\} 1/);
	});
});

describe("the scheduler on nodes without a shared database (NATS + Redis lock, PGlite each)", () => {
	let nats: NatsServer;
	let redis: RedisServer;
	let nodes: TestNode[] = [];

	beforeAll(async () => {
		[nats, redis] = await Promise.all([startNats(), startRedis()]);
		const env = { ...FAST_AGENT_ENV, TRANSPORTER: nats.url, REDIS_URL: redis.url, SCHEDULER_POLL_MS: "50", CLUSTER_LEADER_LEASE_MS: "1500" };
		nodes = await Promise.all([startTestNode({ ...env, NODE_ID: "solo-a" }), startTestNode({ ...env, NODE_ID: "solo-b" })]);
		await Promise.all(nodes.map(n => n.node.ready));
	});

	afterAll(async () => {
		await Promise.all(nodes.map(n => n.stop()));
		await Promise.all([nats?.stop(), redis?.stop()]);
	});

	it("elects one cluster leader with the Redis lock, and each node fires the jobs kept in its own database", async () => {
		await eventually("one Redis-elected leader that both nodes know", async () => {
			const views = await Promise.all(nodes.map(n => n.json<{ leader: { node: string } | null; lock: string }>("/api/v1/cluster")));
			return views.every(v => v.lock === "redis" && v.leader !== null && v.leader.node === views[0].leader?.node);
		});
		for (const n of nodes) {
			await spawnAgent(n, echoManifest(`local-${n.node.broker.nodeID}`));
			const { status, body } = await post<ScheduleView>(n, "/api/v1/schedules", { intervalMs: 200, target: { agent: `local-${n.node.broker.nodeID}`, task: { type: "echo" } } });
			expect(status).toBe(201);
			await eventually(`a run on ${n.node.broker.nodeID}`, async () => (await n.json<RunView[]>(`/api/v1/schedules/${body.id}/runs`)).some(r => r.status === "succeeded" && r.node === n.node.broker.nodeID));
			await post(n, `/api/v1/schedules/${body.id}/pause`, {});
		}
	});
});
