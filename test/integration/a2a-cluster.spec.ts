import { echoManifest, FAST_AGENT_ENV, FIXTURE_AGENTS, post, spawnAgent, untilState } from "../support/agents";
import { startNats, type NatsServer } from "../support/nats-server";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

type Rpc = { result?: { task?: { id: string; status?: { state?: string }; history?: { role: string; parts: { data?: unknown }[] }[] } }; error?: unknown };

/**
 * An A2A task in a cluster: the node that accepts the message is not the one running the
 * agent. The task is written where it runs, twice (when accepted, with the message, and
 * when it ends), as the same task given over REST is, and any node reads it.
 */
describe("A2A tasks across two nodes over a real NATS and PostgreSQL", () => {
	let pg: PostgresServer;
	let nats: NatsServer;
	let a: TestNode;
	let b: TestNode;

	beforeAll(async () => {
		[pg, nats] = await Promise.all([startPostgres(), startNats()]);
		const env = { ...FAST_AGENT_ENV, AGENT_INPROCESS_PATHS: FIXTURE_AGENTS, TRANSPORTER: nats.url, DATABASE_URL: await createDatabase(pg, "a2a_cluster") };
		a = await startTestNode({ ...env, NODE_ID: "a2a-a" });
		await a.node.ready;
		b = await startTestNode({ ...env, NODE_ID: "a2a-b" });
		await b.node.ready;
	});
	afterAll(async () => {
		await b?.stop();
		await a?.stop();
		await Promise.all([nats?.stop(), pg?.destroy()]);
	});

	const rpc = async (t: TestNode, agentId: string, method: string, params: unknown): Promise<Rpc> => {
		const res = await t.request(`/a2a/${agentId}`, { method: "POST", headers: { "content-type": "application/json", "A2A-Version": "1.0" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
		return (await res.json()) as Rpc;
	};

	/** The writes to tasks and their journals that `act` makes, on every node. */
	async function taskWrites(act: () => Promise<unknown>): Promise<string[]> {
		const spies = [a, b].map(t => jest.spyOn(t.node.kernel.db, "query"));
		try {
			await act();
			return spies.flatMap(spy => spy.mock.calls.map(([sql]) => sql)).filter(sql => /^\s*(INSERT INTO|UPDATE|DELETE FROM) (agent_tasks|task_steps)\b/.test(sql));
		} finally {
			for (const spy of spies) spy.mockRestore();
		}
	}

	it("writes a message sent to another node's agent twice, as REST does, and any node reads the task", async () => {
		await spawnAgent(a, echoManifest("far-echo", { runtime: "inprocess" }));
		const { node } = await untilState(a, "far-echo", "running");
		const [host, other] = node === "a2a-a" ? [a, b] : [b, a];
		// Once the other node's registry knows where the agent runs (until then a task is queued for it, and taken).
		await eventually("the other node to see the agent", () => other.node.broker.registry.getActionEndpoints("agent.far-echo.ask")?.hasAvailable() === true);
		const message = (n: number) => ({ message: { messageId: `m-${n}`, role: "ROLE_USER", parts: [{ data: { type: "echo", n } }] } });

		let sent: Rpc = {};
		const a2aWrites = await taskWrites(async () => (sent = await rpc(other, "far-echo", "SendMessage", message(1))));
		expect(sent.result?.task?.status?.state).toBe("TASK_STATE_COMPLETED");
		const restWrites = await taskWrites(() => other.request("/api/v1/agents/far-echo/tasks", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ task: { type: "echo", n: 2 } }) }));
		expect(a2aWrites).toHaveLength(2);
		expect(a2aWrites).toHaveLength(restWrites.length);

		// Written where it ran, read on either node, with the message that asked.
		for (const t of [host, other]) {
			const got = await rpc(t, "far-echo", "GetTask", { id: sent.result!.task!.id });
			expect(got.result).toMatchObject({ id: sent.result!.task!.id, status: { state: "TASK_STATE_COMPLETED" } });
			expect(JSON.stringify(got.result)).toContain('"n":1');
		}
	});

	it("queues an async task for an agent that is not running anywhere, and its node runs it once the agent starts", async () => {
		await spawnAgent(a, echoManifest("later-echo", { runtime: "inprocess" }));
		const { node } = await untilState(a, "later-echo", "running");
		const other = node === "a2a-a" ? b : a;
		await post(other, "/api/v1/agents/later-echo/stop", {});
		await untilState(other, "later-echo", "stopped");

		const sent = await post<{ taskId: string; status: string }>(other, "/api/v1/agents/later-echo/tasks", { task: { type: "echo", n: 3 }, async: true });
		expect(sent.status).toBe(202);
		expect((await other.json<{ status: string }>(`/api/v1/tasks/${sent.body.taskId}`)).status).toBe("queued");
		await post(other, "/api/v1/agents/later-echo/start", {});
		await eventually("the queued task to run", async () => (await other.json<{ status: string }>(`/api/v1/tasks/${sent.body.taskId}`)).status === "succeeded");
	});

	it("records an async task the agent's node refuses (a task type it does not take) as failed, naming the field", async () => {
		await spawnAgent(a, echoManifest("picky-echo", { runtime: "inprocess", taskTypes: { echo: {} } }));
		const { node } = await untilState(a, "picky-echo", "running");
		const other = node === "a2a-a" ? b : a;
		await eventually("the other node to see the agent", () => other.node.broker.registry.getActionEndpoints("agent.picky-echo.ask")?.hasAvailable() === true);

		const sent = await post<{ taskId: string }>(other, "/api/v1/agents/picky-echo/tasks", { task: { type: "dance" }, async: true });
		expect(sent.status).toBe(202);
		const recorded = await other.json<{ status: string; error: { type: string; message: string } }>(`/api/v1/tasks/${sent.body.taskId}`);
		expect(recorded).toMatchObject({ status: "failed", error: { type: "TASK_INVALID", message: expect.stringContaining("does not accept task type") } });
	});
});
