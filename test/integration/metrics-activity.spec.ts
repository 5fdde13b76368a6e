import { startTestNode, type TestNode } from "../support/test-node";
import type { ActivitySeries } from "../../lib/cluster/activity-series";

/** GET /api/v1/metrics/activity: the console's last-hour charts, minute by minute. */
describe("the activity series", () => {
	let t: TestNode;

	beforeAll(async () => {
		t = await startTestNode();
		await t.node.ready;
	});
	afterAll(() => t?.stop());

	it("counts finished and failed tasks, their p95 duration, tokens and dollars per minute, with empty minutes as zeros", async () => {
		const db = t.node.kernel.db;
		// Not across a minute boundary between writing and asking.
		if (Date.now() % 60_000 > 50_000) await new Promise(r => setTimeout(r, 60_000 - (Date.now() % 60_000) + 100));
		const now = Date.now();
		const minuteStart = Math.floor(now / 60_000) * 60_000;
		// Two minutes ago: 20 tasks of 100..2000 ms, 2 of them failed; nothing one minute ago.
		const earlier = new Date(minuteStart - 2 * 60_000 + 5_000);
		for (let i = 1; i <= 20; i++) {
			await db.query(
				"INSERT INTO agent_tasks (id, agent_id, type, input, caller, status, created_at, finished_at) VALUES (gen_random_uuid(), 'a1', 'chat', '{}', '{}', $1, $2, $3)",
				[i <= 2 ? "failed" : "succeeded", new Date(earlier.getTime() - i * 100), earlier]
			);
		}
		await db.query("INSERT INTO llm_usage (agent_id, provider, model, kind, prompt_tokens, completion_tokens, cost_usd, latency_ms, request_id, at) VALUES ('a1', 'p', 'm', 'chat', 100, 50, 0.25, 10, 'r', $1)", [earlier]);
		// Older than the window: not counted.
		await db.query(
			"INSERT INTO agent_tasks (id, agent_id, type, input, caller, status, created_at, finished_at) VALUES (gen_random_uuid(), 'a1', 'chat', '{}', '{}', 'failed', $1, $1)",
			[new Date(now - 3 * 3_600_000)]
		);

		const res = await t.request("/api/v1/metrics/activity?minutes=5");
		expect(res.status).toBe(200);
		const series = (await res.json()) as ActivitySeries;
		expect(series.points).toHaveLength(5);
		expect(series.points.map(p => new Date(p.at).getTime())).toEqual([4, 3, 2, 1, 0].map(m => minuteStart - m * 60_000));
		const busy = series.points[2];
		expect(busy).toMatchObject({ tasks: 20, failed: 2, tokens: 150, costUsd: 0.25 });
		// p95 of 100, 200 … 2000 ms (interpolated): 1905 ms.
		expect(busy.p95Ms).toBe(1905);
		expect(series.points[3]).toEqual({ at: new Date(minuteStart - 60_000).toISOString(), tasks: 0, failed: 0, p95Ms: null, tokens: 0, costUsd: 0 });
	});

	it("times a task its caller waited for from when it was received, not as zero", async () => {
		const manifest = { id: "timed-greeter", name: "Timed greeter", entryPoint: "agents/hello/index.js", taskTypes: { greet: { description: "Greet", schema: { type: "object" } } } };
		const json = { "content-type": "application/json" };
		expect((await t.request("/api/v1/agents", { method: "POST", headers: json, body: JSON.stringify({ manifest }) })).status).toBe(201);
		const answer = (await (await t.request("/api/v1/agents/timed-greeter/tasks", { method: "POST", headers: json, body: JSON.stringify({ task: { type: "greet", name: "x" } }) })).json()) as { taskId: string };
		const task = await t.json<{ createdAt: string; finishedAt: string }>(`/api/v1/tasks/${answer.taskId}`);
		expect(new Date(task.finishedAt).getTime()).toBeGreaterThan(new Date(task.createdAt).getTime());
		const series = await t.json<ActivitySeries>("/api/v1/metrics/activity?minutes=2");
		expect(Math.max(...series.points.map(p => p.p95Ms ?? 0))).toBeGreaterThan(0);
	});

	it("needs the node:read scope and refuses a window over a day", async () => {
		const created = (await (await t.request("/api/v1/tokens", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "agents", scopes: ["agents:read"] }) })).json()) as { token: string };
		const refused = await fetch(`${t.url}/api/v1/metrics/activity`, { headers: { authorization: `Bearer ${created.token}` } });
		expect(refused.status).toBe(403);
		const tooLong = await t.request("/api/v1/metrics/activity?minutes=5000");
		expect(tooLong.status).toBe(422);
	});
});
