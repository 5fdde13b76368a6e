import { AgentOSApiError, AgentOSHttpClient, type TaskDetail } from "../../sdk";
import { FAST_AGENT_ENV, echoManifest, spawnAgent, untilState } from "../support/agents";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

const UNKNOWN = "00000000-0000-4000-8000-000000000000";

/** The SDK's task methods (`client.tasks.get|cancel|resume|list`) against a real node with durable runs. */
describe("the SDK's tasks client", () => {
	let t: TestNode;
	let client: AgentOSHttpClient;
	const refusal = (p: Promise<unknown>) => p.then(() => undefined, (err: unknown) => (err instanceof AgentOSApiError ? { status: err.status, type: err.type, message: err.message } : err));
	const until = async (id: string, ok: (task: TaskDetail) => boolean, what: string): Promise<TaskDetail> => {
		let last: TaskDetail | undefined;
		await eventually(`task ${id} ${what} (last: ${last?.status})`, async () => ok((last = await client.tasks.get(id))), 20_000);
		return last!;
	};

	beforeAll(async () => {
		// One crash of a step parks the run as failed at once.
		t = await startTestNode({ ...FAST_AGENT_ENV, TASK_STEP_ATTEMPTS: "1", TASK_RETRY_DELAY_MS: "10" });
		await t.node.ready;
		client = new AgentOSHttpClient({ url: t.url, token: t.token });
		await spawnAgent(t, echoManifest("steps"));
		await untilState(t, "steps", "running", 30_000);
	}, 60_000);
	afterAll(() => t?.stop());

	it("gets a task with the steps of its run, and lists tasks with their run's fields", async () => {
		const { taskId } = await client.agents.task("steps", { type: "remember", key: "colour", value: "green" });
		const task = await client.tasks.get(taskId);
		expect(task).toMatchObject({ id: taskId, status: "succeeded", durable: true, attempts: 1, waitingFor: null, failedStep: null, costUsd: 0, tokens: 0, result: { keys: ["colour"] } });
		expect(task.steps.map(s => [s.seq, s.action, s.ok])).toEqual([
			[1, "state.set", true],
			[2, "state.list", true]
		]);
		expect(task.steps[1]).toMatchObject({ result: ["colour"], error: null, durationMs: expect.any(Number), startedAt: expect.any(String) });
		const page = await client.tasks.list({ agentId: "steps", status: "succeeded" });
		expect(page.items.find(i => i.id === taskId)).toMatchObject({ durable: true, attempts: 1, waitingFor: null, failedStep: null });
		expect(await client.tasks.list({ status: "suspended", agentId: "steps" })).toMatchObject({ total: 0, items: [] });
	});

	it("resumes a failed durable run from its last good step, and refuses to resume one that did not fail", async () => {
		const crashUntil = Date.now() + 6000;
		const { taskId } = await client.agents.task("steps", { type: "crash-until", until: crashUntil }, { async: true });
		const failed = await until(taskId, x => x.status === "failed", "to fail");
		expect(failed).toMatchObject({ failedStep: { step: 2, failures: 1 }, error: { type: "TASK_STEP_FAILED" }, attempts: 1 });
		expect(failed.steps.map(s => s.action)).toEqual(["state.set"]);
		await untilState(t, "steps", "running", 30_000);
		await new Promise(resolve => setTimeout(resolve, Math.max(crashUntil - Date.now() + 50, 0)));

		const resumed = await client.tasks.resume(taskId);
		expect(resumed).toMatchObject({ id: taskId, status: "queued" });
		const done = await until(taskId, x => x.status === "succeeded", "to succeed");
		expect(done.result).toEqual({ survived: true, until: crashUntil });
		// Step 1 came from the journal: it was not made (nor journaled) a second time.
		expect(done.steps.map(s => [s.seq, s.action])).toEqual([
			[1, "state.set"],
			[2, "state.get"]
		]);
		expect(done.attempts).toBe(2);

		expect(await refusal(client.tasks.resume(taskId))).toEqual({ status: 409, type: "TASK_NOT_RESUMABLE", message: `Task ${taskId} is succeeded; only a failed task can be resumed` });
		expect(await refusal(client.tasks.resume(UNKNOWN))).toMatchObject({ status: 404, type: "TASK_NOT_FOUND" });
	}, 60_000);

	it("cancels a running task, and refuses to cancel it again or a task that does not exist", async () => {
		const { taskId } = await client.agents.task("steps", { type: "sleep", ms: 10_000 }, { async: true });
		await until(taskId, x => x.status === "running", "to run");
		const cancelled = await client.tasks.cancel(taskId);
		expect(cancelled).toMatchObject({ id: taskId, status: "cancelled", finishedAt: expect.any(String), steps: [] });
		expect(await refusal(client.tasks.cancel(taskId))).toEqual({ status: 409, type: "TASK_ENDED", message: `Task ${taskId} has ended (cancelled); it cannot be cancelled` });
		expect(await refusal(client.tasks.cancel(UNKNOWN))).toEqual({ status: 404, type: "TASK_NOT_FOUND", message: `Task ${UNKNOWN} not found` });
		expect(await refusal(client.tasks.get(UNKNOWN))).toMatchObject({ status: 404, type: "TASK_NOT_FOUND" });
	});
});
