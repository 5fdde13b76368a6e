import type { TaskPage } from "../../actors/task-store";
import type { ErrorBody } from "../../services/api.service";
import { echoManifest, FAST_AGENT_ENV, post, spawnAgent, task, untilState } from "../support/agents";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

describe("GET /api/v1/tasks: the recent tasks of every agent, with status, duration and error", () => {
	let t: TestNode;
	let before: string;

	const list = (query: string, token?: string) =>
		t.request(`/api/v1/tasks${query}`, token ? { auth: false, headers: { authorization: `Bearer ${token}` } } : {});
	const page = async (query = "") => (await list(query)).json() as Promise<TaskPage>;

	beforeAll(async () => {
		t = await startTestNode(FAST_AGENT_ENV);
		await t.node.ready;
		await Promise.all(["ada", "bob"].map(id => spawnAgent(t, echoManifest(id))));
		await Promise.all(["ada", "bob"].map(id => untilState(t, id, "running")));
		expect((await task(t, "ada", { task: { type: "echo" } })).status).toBe(200);
		expect((await task(t, "ada", { task: { type: "boom" } })).status).toBeGreaterThanOrEqual(400);
		before = new Date().toISOString();
		expect((await task(t, "ada", { task: { type: "sleep", ms: 300 } })).status).toBe(200);
		expect((await task(t, "bob", { task: { type: "echo" } })).status).toBe(200);
		const handed = await task(t, "bob", { task: { type: "sleep", ms: 200 }, async: true });
		expect(handed.status).toBe(202);
		await eventually("the handed-over task to end", async () => (await page("?agentId=bob&status=succeeded")).total === 2);
	}, 60_000);

	afterAll(() => t?.stop());

	it("lists every task newest first, with how long each took and how failed ones ended", async () => {
		const all = await page();
		expect(all.total).toBe(5);
		expect(all.items.map(i => `${i.agentId}:${i.type}`)).toEqual(["bob:sleep", "bob:echo", "ada:sleep", "ada:boom", "ada:echo"]);
		const slept = all.items.find(i => i.agentId === "ada" && i.type === "sleep")!;
		// A task its caller waited for keeps the time it was accepted, not only the time it ended.
		expect(slept.durationMs).toBeGreaterThanOrEqual(300);
		expect(all.items.find(i => i.agentId === "bob" && i.type === "sleep")!.durationMs).toBeGreaterThanOrEqual(200);
		const failed = all.items.find(i => i.type === "boom")!;
		expect(failed).toMatchObject({ status: "failed", error: { message: expect.stringContaining("boom from the agent") } });
		expect(failed.durationMs).toEqual(expect.any(Number));
		// A list row leaves out the input and the result; the task itself has them.
		expect(slept).not.toHaveProperty("input");
		expect(slept).not.toHaveProperty("result");
		expect(await t.json(`/api/v1/tasks/${slept.id}`)).toMatchObject({ input: { type: "sleep", ms: 300 }, result: { slept: 300 }, durationMs: slept.durationMs });
	});

	it("filters by agent, status and start time, and pages with the total", async () => {
		expect((await page("?agentId=ada")).items.map(i => i.type)).toEqual(["sleep", "boom", "echo"]);
		expect(await page("?agentId=ada&status=failed")).toMatchObject({ total: 1, items: [{ type: "boom" }] });
		expect((await page(`?since=${encodeURIComponent(before)}`)).total).toBe(3);
		const first = await page("?limit=2");
		const second = await page("?limit=2&offset=2");
		expect(first).toMatchObject({ total: 5, limit: 2, offset: 0 });
		expect(second).toMatchObject({ total: 5, limit: 2, offset: 2 });
		expect([...first.items, ...second.items].map(i => i.id)).toEqual((await page("?limit=4")).items.map(i => i.id));
		expect((await page("?agentId=nobody")).total).toBe(0);
	});

	it("answers 422 naming a bad filter, and 403 to a token without the tasks scope", async () => {
		const bad = await list("?status=done");
		expect(bad.status).toBe(422);
		expect(JSON.stringify(((await bad.json()) as ErrorBody).error.data)).toContain('"field":"status"');
		expect((await list("?limit=0")).status).toBe(422);
		const reader = (await post<{ token: string }>(t, "/api/v1/tokens", { name: "reader", scopes: ["agents:read"] })).body.token;
		const refused = await list("", reader);
		expect(refused.status).toBe(403);
		expect(((await refused.json()) as ErrorBody).error.message).toContain("tasks");
		const runner = (await post<{ token: string }>(t, "/api/v1/tokens", { name: "runner", scopes: ["tasks"] })).body.token;
		// Let in, and shown its own tasks only: bob's two are the admin's (task-owner.spec.ts).
		const own = await list("?agentId=bob", runner);
		expect(own.status).toBe(200);
		expect(((await own.json()) as TaskPage).total).toBe(0);
	});
});
