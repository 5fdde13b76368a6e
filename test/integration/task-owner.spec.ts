import { Role, TaskState, type Message, type Part, type Task } from "@a2a-js/sdk";
import { ClientFactory, DefaultAgentCardResolver, JsonRpcTransportFactory, type Client } from "@a2a-js/sdk/client";
import type { ErrorBody } from "../../services/api.service";
import { FAST_AGENT_ENV, echoManifest, post, spawnAgent, untilState } from "../support/agents";
import { eventually, startTestNode, type TestNode } from "../support/test-node";
import { connect, type WsTestClient } from "../support/ws-client";

interface Token {
	id: string;
	token: string;
}

interface TaskView {
	id: string;
	status: string;
	input: unknown;
	result: unknown;
	steps: { action: string }[];
	children: { id: string }[];
	parentTaskId: string | null;
}

interface TaskPage {
	items: { id: string }[];
	total: number;
}

function data(value: unknown): Part {
	return { content: { $case: "data", value }, mediaType: "application/json", filename: "", metadata: undefined };
}

function message(parts: Part[]): Message {
	return { messageId: crypto.randomUUID(), contextId: "", taskId: "", role: Role.ROLE_USER, parts, metadata: undefined, extensions: [], referenceTaskIds: [] };
}

/** SendMessage that answers at once with the task, working. */
function sendAsync(value: unknown) {
	return { tenant: "", message: message([data(value)]), configuration: { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately: true }, metadata: undefined };
}

/**
 * A task belongs to the identity that sent it: another token with the `tasks` scope cannot
 * list, read, cancel or resume it — over REST, A2A or the WebSocket — and is told it does not
 * exist; its sender and an admin can.
 */
describe("tasks belong to the token that sent them", () => {
	let t: TestNode;
	let a: Token;
	let b: Token;
	const as = async <T>(token: string, route: string, method = "GET", body?: unknown) => {
		const res = await t.request(route, {
			method,
			auth: false,
			headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
			...(body === undefined ? {} : { body: JSON.stringify(body) })
		});
		return { status: res.status, body: (await res.json()) as T & ErrorBody };
	};
	const send = (token: string, task: Record<string, unknown>, async = false, agent = "steps") =>
		as<{ taskId: string; status: string }>(token, `/api/v1/agents/${agent}/tasks`, "POST", { task, async });
	const until = async (token: string, id: string, status: string) =>
		eventually(`task ${id} to be ${status}`, async () => (await as<TaskView>(token, `/api/v1/tasks/${id}`)).body.status === status, 20_000);
	/** What a token is told of a task that does not exist: another's must read the same. */
	const notFound = (id: string) => ({ status: 404, body: { error: { type: "TASK_NOT_FOUND", message: `Task ${id} not found` } } });
	const a2a = async (token: string): Promise<Client> => {
		const fetchImpl: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers).entries()), authorization: `Bearer ${token}` } });
		const factory = new ClientFactory({ transports: [new JsonRpcTransportFactory({ fetchImpl })], cardResolver: new DefaultAgentCardResolver({ fetchImpl }) });
		return factory.createFromUrl(`${t.url}/a2a/steps/`);
	};
	const rpc = async (token: string, method: string, params: unknown) =>
		(await as<{ error?: { code: number } }>(token, "/a2a/steps", "POST", { jsonrpc: "2.0", id: 1, method, params })).body;

	beforeAll(async () => {
		// One crash of a step parks the run as failed at once (for resume).
		t = await startTestNode({ ...FAST_AGENT_ENV, TASK_STEP_ATTEMPTS: "1", TASK_RETRY_DELAY_MS: "10" });
		await t.node.ready;
		await spawnAgent(t, echoManifest("steps", { permissions: ["a2a.send"], trustLevel: "autonomous" }));
		await spawnAgent(t, echoManifest("helper"));
		await untilState(t, "steps", "running", 30_000);
		await untilState(t, "helper", "running", 30_000);
		a = (await post<Token>(t, "/api/v1/tokens", { name: "alice", scopes: ["tasks"] })).body;
		b = (await post<Token>(t, "/api/v1/tokens", { name: "bob", scopes: ["tasks"] })).body;
	}, 60_000);
	afterAll(() => t?.stop());

	it("REST: B cannot read or list A's task (404, as for none); A and the admin can; each list shows its own", async () => {
		const mine = await send(a.token, { type: "remember", key: "secret", value: "heron" });
		expect(mine.status).toBe(200);
		const theirs = await send(b.token, { type: "echo", text: "bob's" });
		const id = mine.body.taskId;

		const read = await as<TaskView>(a.token, `/api/v1/tasks/${id}`);
		expect(read.body).toMatchObject({ id, status: "succeeded", input: { value: "heron" }, result: { keys: ["secret"] } });
		expect(read.body.steps.map(s => s.action)).toEqual(["state.set", "state.list"]);
		expect((await t.json<TaskView>(`/api/v1/tasks/${id}`)).input).toMatchObject({ value: "heron" });

		const unknown = crypto.randomUUID();
		expect(await as(b.token, `/api/v1/tasks/${id}`)).toMatchObject(notFound(id));
		expect(await as(b.token, `/api/v1/tasks/${unknown}`)).toMatchObject(notFound(unknown));

		const ids = async (token: string, query = "") => (await as<TaskPage>(token, `/api/v1/tasks?limit=500${query}`)).body.items.map(i => i.id);
		expect(await ids(b.token)).toEqual([theirs.body.taskId]);
		expect(await ids(b.token, "&agentId=steps")).toEqual([theirs.body.taskId]);
		expect((await as<TaskPage>(b.token, "/api/v1/tasks?agentId=steps")).body.total).toBe(1);
		expect(await ids(a.token)).toContain(id);
		expect(await ids(a.token)).not.toContain(theirs.body.taskId);
		expect(await ids(t.token)).toEqual(expect.arrayContaining([id, theirs.body.taskId]));
	});

	it("REST: B cannot resume A's failed run (404, it stays failed); A resumes it from its journal", async () => {
		const crashUntil = Date.now() + 4000;
		const { body } = await send(a.token, { type: "crash-until", until: crashUntil }, true);
		await until(a.token, body.taskId, "failed");
		await untilState(t, "steps", "running", 30_000);
		await new Promise(resolve => setTimeout(resolve, Math.max(crashUntil - Date.now() + 50, 0)));

		expect(await as(b.token, `/api/v1/tasks/${body.taskId}/resume`, "POST")).toMatchObject(notFound(body.taskId));
		expect((await t.json<TaskView>(`/api/v1/tasks/${body.taskId}`)).status).toBe("failed");
		expect(await as(a.token, `/api/v1/tasks/${body.taskId}/resume`, "POST")).toMatchObject({ status: 200, body: { id: body.taskId, status: expect.stringMatching(/^(queued|running|succeeded)$/) } });
		await until(a.token, body.taskId, "succeeded");
	}, 40_000);

	it("REST: B cannot cancel A's running task (404, it runs on); A can", async () => {
		const { body } = await send(a.token, { type: "sleep", ms: 3000 }, true, "helper");
		await until(a.token, body.taskId, "running");
		expect(await as(b.token, `/api/v1/tasks/${body.taskId}/cancel`, "POST")).toMatchObject(notFound(body.taskId));
		expect((await t.json<TaskView>(`/api/v1/tasks/${body.taskId}`)).status).toBe("running");
		const cancelled = await as<TaskView>(a.token, `/api/v1/tasks/${body.taskId}/cancel`, "POST");
		expect(cancelled).toMatchObject({ status: 200, body: { id: body.taskId, status: "cancelled" } });
	});

	it("a child run (one agent's run asking another) is seen by whoever sees the run that asked, not by B", async () => {
		const { body } = await send(a.token, { type: "ask", target: "helper", task: { type: "echo", text: "for alice" } });
		const parent = (await as<TaskView>(a.token, `/api/v1/tasks/${body.taskId}`)).body;
		expect(parent.children).toHaveLength(1);
		const childId = parent.children[0].id;
		expect((await as<TaskView>(a.token, `/api/v1/tasks/${childId}`)).body).toMatchObject({ id: childId, parentTaskId: body.taskId, input: { text: "for alice" } });
		expect((await as<TaskPage>(a.token, "/api/v1/tasks?agentId=helper")).body.items.map(i => i.id)).toContain(childId);
		expect(await as(b.token, `/api/v1/tasks/${childId}`)).toMatchObject(notFound(childId));
		expect((await as<TaskPage>(b.token, "/api/v1/tasks?agentId=helper")).body.items).toEqual([]);
	});

	it("A2A: B's GetTask, CancelTask and ListTasks do not find A's task, running or ended; A's do", async () => {
		const alice = await a2a(a.token);
		const bob = await a2a(b.token);
		const started = (await alice.sendMessage(sendAsync({ type: "sleep", ms: 3000 }))) as Task;
		expect(started.status?.state).toBe(TaskState.TASK_STATE_WORKING);

		await expect(bob.getTask({ tenant: "", id: started.id, historyLength: undefined })).rejects.toThrow(/not found/i);
		expect((await rpc(b.token, "GetTask", { id: started.id })).error?.code).toBe(-32001);
		await expect(bob.cancelTask({ tenant: "", id: started.id, metadata: undefined })).rejects.toThrow(/not found/i);
		expect((await rpc(b.token, "CancelTask", { id: started.id })).error?.code).toBe(-32001);
		const list = (client: Client) =>
			client.listTasks({ tenant: "", contextId: "", status: TaskState.TASK_STATE_UNSPECIFIED, pageSize: 100, pageToken: "", historyLength: undefined, statusTimestampAfter: undefined, includeArtifacts: false });
		expect((await list(bob)).tasks.map(x => x.id)).not.toContain(started.id);
		expect((await list(bob)).tasks.map(x => x.id)).toEqual(expect.not.arrayContaining([started.id]));
		expect((await list(alice)).tasks.map(x => x.id)).toContain(started.id);
		expect((await t.json<TaskView>(`/api/v1/tasks/${started.id}`)).status).toBe("running");

		expect((await alice.getTask({ tenant: "", id: started.id, historyLength: undefined })).status?.state).toBe(TaskState.TASK_STATE_WORKING);
		expect((await alice.cancelTask({ tenant: "", id: started.id, metadata: undefined })).status?.state).toBe(TaskState.TASK_STATE_CANCELED);

		// Ended, read from its row: still not B's.
		await expect(bob.getTask({ tenant: "", id: started.id, historyLength: undefined })).rejects.toThrow(/not found/i);
		expect((await alice.getTask({ tenant: "", id: started.id, historyLength: undefined })).status?.state).toBe(TaskState.TASK_STATE_CANCELED);
		// A task A sent over REST is not B's over A2A either.
		const rest = await send(a.token, { type: "echo", text: "rest" });
		await expect(bob.getTask({ tenant: "", id: rest.body.taskId, historyLength: undefined })).rejects.toThrow(/not found/i);
		expect((await alice.getTask({ tenant: "", id: rest.body.taskId, historyLength: undefined })).status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
	});

	it("a task a schedule sends belongs to the token that made the schedule", async () => {
		const c = (await post<Token>(t, "/api/v1/tokens", { name: "carol", scopes: ["schedules", "tasks"] })).body;
		const made = await as<{ id: string }>(c.token, "/api/v1/schedules", "POST", { cron: "0 0 1 1 *", paused: true, target: { agent: "helper", task: { type: "echo", text: "nightly" } } });
		expect(made.status).toBe(201);
		expect(await as(c.token, `/api/v1/schedules/${made.body.id}/trigger`, "POST")).toMatchObject({ status: 200, body: { status: "succeeded" } });
		const theirs = (await as<TaskPage & { items: { id: string; caller: unknown }[] }>(c.token, "/api/v1/tasks?agentId=helper")).body.items;
		expect(theirs).toEqual([expect.objectContaining({ caller: { kind: "system", id: `schedule:${made.body.id}`, onBehalfOf: `token:${c.id}` } })]);
		expect(await as(b.token, `/api/v1/tasks/${theirs[0].id}`)).toMatchObject(notFound(theirs[0].id));
		expect((await as<TaskPage>(a.token, "/api/v1/tasks?agentId=helper")).body.items.map(i => i.id)).not.toContain(theirs[0].id);
	});

	describe("the WebSocket's tasks.changed", () => {
		const sockets: WsTestClient[] = [];
		afterAll(() => sockets.forEach(s => s.close()));
		const subscribed = async (token: string) => {
			const c = await connect(`${t.url.replace("http", "ws")}/ws`, { authorization: `Bearer ${token}` });
			sockets.push(c);
			expect((await c.request("subscribe", { events: ["tasks.changed"] })).type).toBe("result");
			return c;
		};
		const changesOf = (c: WsTestClient, id: string) =>
			c.all.filter(m => m.type === "event" && m.payload?.event === "tasks.changed" && (m.payload.data as { id?: string }).id === id).map(m => (m.payload!.data as { status: string }).status);

		it("reaches A and the admin for A's task, and B only for its own", async () => {
			const [alice, bob, admin] = [await subscribed(a.token), await subscribed(b.token), await subscribed(t.token)];
			const mine = await send(a.token, { type: "sleep", ms: 200 }, true);
			await until(a.token, mine.body.taskId, "succeeded");
			await eventually("A and the admin to hear A's task end", async () => changesOf(alice, mine.body.taskId).includes("succeeded") && changesOf(admin, mine.body.taskId).includes("succeeded"), 10_000);
			// B hears of its own task sent after A's, so it would have heard of A's by now.
			const theirs = await send(b.token, { type: "sleep", ms: 50 }, true);
			await eventually("B to hear its own task end", async () => changesOf(bob, theirs.body.taskId).includes("succeeded"), 10_000);
			expect(changesOf(bob, mine.body.taskId)).toEqual([]);
			expect(changesOf(alice, theirs.body.taskId)).toEqual([]);
		});
	});
});
