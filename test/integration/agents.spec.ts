import type { AgentView } from "../../lib/cluster/agent-view";
import type { ErrorBody } from "../../services/api.service";
import type { TaskRecord } from "../../actors/task-store";
import { FAST_AGENT_ENV, agent, echoManifest, post, spawnAgent, task, untilState } from "../support/agents";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

describe("agents as supervised actors with real worker processes", () => {
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode(FAST_AGENT_ENV);
		await t.node.ready;
	});
	afterAll(() => t.stop());

	it("spawns an agent as the service agent.<id> with its own worker process", async () => {
		const view = await spawnAgent(t, echoManifest("echo-1"));
		expect(view).toMatchObject({ id: "echo-1", state: "running", desiredState: "running", node: t.node.broker.nodeID, runtime: "process", restarts: 0 });
		expect(view.pid).toEqual(expect.any(Number));
		expect(view.pid).not.toBe(process.pid);
		expect(t.node.broker.registry.getServiceList({ onlyLocal: true }).map(s => s.name)).toContain("agent.echo-1");
		expect(view.mailbox).toEqual({ queued: 0, running: 0, maxQueue: 100, concurrency: 1 });
	});

	it("runs a task and answers with the result, naming the caller", async () => {
		const { status, body } = await task(t, "echo-1", { task: { type: "echo", n: 1 } });
		expect(status).toBe(200);
		expect(body.status).toBe("succeeded");
		expect(body.result).toMatchObject({ echo: { type: "echo", n: 1 }, caller: { kind: "user", id: "admin" }, agent: "echo-1" });
		const record = await t.json<TaskRecord>(`/api/v1/tasks/${body.taskId}`);
		expect(record).toMatchObject({ status: "succeeded", agentId: "echo-1", type: "echo", caller: { kind: "user", id: "admin" } });
	});

	it("accepts a task asynchronously: 202, then the result at /tasks/:id", async () => {
		const { status, body } = await task(t, "echo-1", { task: { type: "sleep", ms: 50 }, async: true });
		expect(status).toBe(202);
		expect(body).toEqual({ taskId: expect.any(String), status: "queued" });
		let record: TaskRecord | undefined;
		await eventually("the task to finish", async () => (record = await t.json<TaskRecord>(`/api/v1/tasks/${body.taskId}`)).status === "succeeded");
		expect(record!.result).toMatchObject({ slept: 50 });
	});

	it("keeps the agent's output: its ctx.log lines and what it prints", async () => {
		const { lines } = await t.json<{ lines: string[] }>("/api/v1/agents/echo-1/logs");
		expect(lines).toContain("info: echo agent started");
		// Only the agent's: not Node's warning that its permission model is experimental.
		expect(lines.filter(line => line.includes("ExperimentalWarning"))).toEqual([]);
	});

	it("hands agent code none of the node's environment", async () => {
		const { body } = await task<{ keys: string[] }>(t, "echo-1", { task: { type: "env" } });
		expect(body.result.keys).toEqual(["AGENTOS_AGENT_ID", "NODE_ENV", "PATH"]);
	});

	it("reports a task the agent's code failed as 502 with the agent's message", async () => {
		const { status, body } = await task(t, "echo-1", { task: { type: "boom" } });
		expect(status).toBe(502);
		expect(body.error).toMatchObject({ type: "AGENT_TASK_FAILED", data: { agentId: "echo-1", error: { message: "boom from the agent" } } });
		expect((await agent(t, "echo-1")).state).toBe("running");
	});

	it("brings a killed worker back with a new pid, keeping the queued tasks", async () => {
		const before = await agent(t, "echo-1");
		// Long enough that the first task is still running when the worker is killed, even on a busy machine.
		const queued = [1, 2, 3, 4].map(n => task(t, "echo-1", { task: { type: "sleep", ms: 600 + n } }));
		await eventually("tasks to queue up", async () => (await agent(t, "echo-1")).mailbox!.queued >= 2, 5000, 10);
		const killedAt = Date.now();
		process.kill(before.pid!, "SIGKILL");
		const results = await Promise.all(queued);
		expect(results.map(r => r.status)).toEqual([200, 200, 200, 200]);
		const after = await untilState(t, "echo-1", "running");
		expect(after.pid).not.toBe(before.pid);
		expect(after.restarts).toBe(before.restarts + 1);
		expect(Date.now() - killedAt).toBeLessThan(5000);
		expect(results.every(r => r.body.result.pid === after.pid)).toBe(true);
	});

	it("kills and restarts a worker that stops answering heartbeats", async () => {
		const before = await agent(t, "echo-1");
		const hung = await task(t, "echo-1", { task: { type: "hang" }, timeoutMs: 20_000 });
		// The hung task's worker is killed by the watchdog; its run is tried again from its journal, hangs
		// again and is killed again, until the step has failed TASK_STEP_ATTEMPTS (3) times: parked as failed.
		expect(hung.status).toBe(502);
		expect(hung.body.error).toMatchObject({ type: "TASK_STEP_FAILED", data: { step: 1, failures: 3, reason: expect.stringMatching(/crashed/) } });
		const after = await untilState(t, "echo-1", "running");
		expect(after.pid).not.toBe(before.pid);
		expect(after.restarts).toBeGreaterThan(before.restarts);
		const transitions = await t.json<{ reason: string }[]>("/api/v1/agents/echo-1/transitions");
		expect(transitions.some(x => /watchdog: no heartbeat/.test(x.reason) || /killed \(SIGKILL\)/.test(x.reason))).toBe(true);
	});

	it("answers AGENT_BUSY (429, retryable) when the mailbox is full", async () => {
		await spawnAgent(t, echoManifest("narrow", { limits: { maxConcurrency: 1, maxQueue: 1 } }));
		const first = task(t, "narrow", { task: { type: "sleep", ms: 1500 } });
		await eventually("the first task to run", async () => (await agent(t, "narrow")).mailbox!.running === 1, 5000, 10);
		const second = task(t, "narrow", { task: { type: "sleep", ms: 10 } });
		await eventually("the second task to wait", async () => (await agent(t, "narrow")).mailbox!.queued === 1, 5000, 10);
		const third = await task(t, "narrow", { task: { type: "echo" } });
		expect(third.status).toBe(429);
		expect(third.body.error).toMatchObject({ type: "AGENT_BUSY", data: { agentId: "narrow", queued: 1, maxQueue: 1 } });
		expect((await first).status).toBe(200);
		expect((await second).status).toBe(200);
	});

	it("answers TASK_TIMEOUT (504) when a task outlives its timeout", async () => {
		const { status, body } = await task(t, "narrow", { task: { type: "sleep", ms: 1000 }, timeoutMs: 150 });
		expect(status).toBe(504);
		expect(body.error).toMatchObject({ type: "TASK_TIMEOUT", data: { agentId: "narrow", timeoutMs: 150 } });
	});

	it("moves an agent that keeps crashing to crashed, with the reason and its last output", async () => {
		const view = await post<AgentView>(t, "/api/v1/agents", {
			manifest: {
				id: "doomed",
				name: "Doomed",
				entryPoint: `${FAST_AGENT_ENV.AGENT_CODE_PATHS}/crash-on-start.js`,
				restart: { baseDelayMs: 20, maxDelayMs: 100, maxRestarts: 3, windowMs: 60000 }
			}
		});
		expect(view.status).toBe(201);
		const crashed = await untilState(t, "doomed", "crashed");
		expect(crashed.restarts).toBe(4);
		expect(crashed.lastError).toContain("onStart failed on purpose");
		expect(crashed.lastError).toContain("crash-on-start: cannot find my configuration");
		const transitions = await t.json<{ to: string; reason: string }[]>("/api/v1/agents/doomed/transitions");
		expect(transitions[0]).toMatchObject({ to: "crashed", reason: expect.stringContaining("4 restarts within 60000 ms") });
		const refused = await task(t, "doomed", { task: { type: "echo" } });
		expect(refused.status).toBe(409);
		expect(refused.body.error.type).toBe("AGENT_NOT_RUNNING");
		const stopped = await post<AgentView>(t, "/api/v1/agents/doomed/stop", {});
		expect(stopped.body).toMatchObject({ state: "stopped", desiredState: "stopped" });
		expect((await t.request("/api/v1/agents/doomed", { method: "DELETE" })).status).toBe(200);
	});

	it("validates tasks against the task types the manifest declares", async () => {
		await spawnAgent(
			t,
			echoManifest("typed", { taskTypes: { echo: { schema: { type: "object", required: ["n"], properties: { n: { type: "integer" } } } } } })
		);
		expect((await task(t, "typed", { task: { type: "echo", n: 2 } })).status).toBe(200);
		const bad = await task(t, "typed", { task: { type: "echo", n: "two" } });
		expect(bad.status).toBe(422);
		expect(bad.body.error.type).toBe("TASK_INVALID");
		expect(bad.body.error.message).toContain("task.n");
		const undeclared = await task(t, "typed", { task: { type: "sleep", ms: 1 } });
		expect(undeclared.status).toBe(422);
		expect(undeclared.body.error.message).toContain('does not accept task type "sleep"');
	});

	it("keeps an agent's state across restarts", async () => {
		await task(t, "echo-1", { task: { type: "remember", key: "colour", value: { name: "teal" } } });
		await post(t, "/api/v1/agents/echo-1/restart", {});
		await untilState(t, "echo-1", "running");
		const { body } = await task(t, "echo-1", { task: { type: "recall", key: "colour" } });
		expect(body.result).toEqual({ value: { name: "teal" } });
	});

	it("stops an agent gracefully and starts it again", async () => {
		const stopped = await post<AgentView>(t, "/api/v1/agents/narrow/stop", {});
		expect(stopped.body).toMatchObject({ state: "stopped", desiredState: "stopped", pid: null });
		expect(t.node.broker.registry.getServiceList({ onlyLocal: true }).map(s => s.name)).not.toContain("agent.narrow");
		const started = await post<AgentView>(t, "/api/v1/agents/narrow/start", {});
		expect(started.body).toMatchObject({ state: "running", desiredState: "running" });
	});

	it("says plainly when the docker runtime has no engine to run on", async () => {
		// No Docker engine runs on the test machines: this is the answer a user gets there.
		await spawnAgent(t, echoManifest("boxed", { runtime: "docker", restart: { policy: "never" } }));
		const view = await untilState(t, "boxed", "crashed");
		expect(view.lastError).toContain("the docker runtime needs a reachable Docker engine");
	});

	it("refuses a second agent with the same id, and unknown agents", async () => {
		const again = await post<ErrorBody>(t, "/api/v1/agents", { manifest: echoManifest("echo-1") });
		expect(again.status).toBe(409);
		expect(again.body.error.type).toBe("AGENT_EXISTS");
		const missing = await t.request("/api/v1/agents/nobody");
		expect(missing.status).toBe(404);
		expect(((await missing.json()) as ErrorBody).error.type).toBe("AGENT_NOT_FOUND");
	});

	it("deletes an agent: its service and worker go, and it is not listed", async () => {
		const { pid } = await agent(t, "narrow");
		const res = await t.request("/api/v1/agents/narrow", { method: "DELETE" });
		expect(res.status).toBe(200);
		expect(() => process.kill(pid!, 0)).toThrow();
		const list = await t.json<{ items: AgentView[]; total: number }>("/api/v1/agents");
		expect(list.items.map(a => a.id)).not.toContain("narrow");
		expect(list.total).toBe(list.items.length);
	});
});
