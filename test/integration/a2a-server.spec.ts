import { Role, TaskState, type Message, type Part, type Task } from "@a2a-js/sdk";
import { ClientFactory, DefaultAgentCardResolver, JsonRpcTransportFactory, type Client } from "@a2a-js/sdk/client";
import type { AuditRecord } from "../../lib/security/audit-log";
import { FAST_AGENT_ENV, echoManifest, post, spawnAgent, untilState } from "../support/agents";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { eventually, startTestNode, tempDataDir, type TestNode } from "../support/test-node";

type Rpc = { jsonrpc: string; id: unknown; result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } };

function withToken(token: string): typeof fetch {
	return (input, init) => fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers).entries()), authorization: `Bearer ${token}` } });
}

/** The official SDK client, sending the node's token with every request (the card included). */
async function clientFor(t: TestNode, agentId: string): Promise<Client> {
	const fetchImpl = withToken(t.token);
	const factory = new ClientFactory({ transports: [new JsonRpcTransportFactory({ fetchImpl })], cardResolver: new DefaultAgentCardResolver({ fetchImpl }) });
	// The card is at <base>/.well-known/agent-card.json: the base ends with a slash.
	return factory.createFromUrl(`${t.url}/a2a/${agentId}/`);
}

function text(value: string): Part {
	return { content: { $case: "text", value }, mediaType: "text/plain", filename: "", metadata: undefined };
}

function data(value: unknown): Part {
	return { content: { $case: "data", value }, mediaType: "application/json", filename: "", metadata: undefined };
}

function message(parts: Part[], extra: Partial<Message> = {}): Message {
	return { messageId: crypto.randomUUID(), contextId: "", taskId: "", role: Role.ROLE_USER, parts, metadata: undefined, extensions: [], referenceTaskIds: [], ...extra };
}

function send(parts: Part[], extra: Partial<Message> = {}, returnImmediately = false) {
	return { tenant: "", message: message(parts, extra), configuration: { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately }, metadata: undefined };
}

function asTask(result: unknown): Task {
	expect(result).toHaveProperty("status");
	return result as Task;
}

function dataOf(task: Task): unknown {
	const part = task.artifacts[0]?.parts.find(p => p.content?.$case === "data");
	return part?.content?.$case === "data" ? part.content.value : undefined;
}

function answerText(task: Task): string | undefined {
	const part = task.status?.message?.parts[0]?.content;
	return part?.$case === "text" ? part.value : undefined;
}

describe("the A2A server, driven by the official @a2a-js/sdk client", () => {
	let t: TestNode;
	let openai: OpenAIServer;
	const rpc = async (agentId: string, body: unknown, headers: Record<string, string> = {}, auth = true) => {
		const res = await t.request(`/a2a/${agentId}`, { method: "POST", auth, headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
		return { status: res.status, body: (await res.json()) as Rpc };
	};

	beforeAll(async () => {
		openai = await startOpenAIServer({ apiKey: "sk-test" });
		t = await startTestNode({ ...FAST_AGENT_ENV, OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: openai.url, LLM_RETRY_BASE_MS: "10" });
		await t.node.ready;
		await spawnAgent(t, echoManifest("echo", { description: "Echoes tasks back", taskTypes: { echo: { description: "Echo the task", schema: { type: "object", properties: { type: { const: "echo" }, text: { type: "string" } } } }, sleep: { description: "Sleep ms" } } }));
		await untilState(t, "echo", "running");
	});
	afterAll(async () => {
		await t.stop();
		await openai.stop();
	});

	it("serves each agent's card (skills from its task types, streaming, bearer auth, the JSON-RPC URL) and the node's, to a valid token only", async () => {
		const client = await clientFor(t, "echo");
		const card = await client.getAgentCard();
		expect(card.name).toBe("Echo echo");
		expect(card.description).toBe("Echoes tasks back");
		expect(card.capabilities?.streaming).toBe(true);
		expect(card.supportedInterfaces[0]).toMatchObject({ url: `${t.url}/a2a/echo`, protocolBinding: "JSONRPC", protocolVersion: "1.0" });
		expect(card.skills.map(s => s.id)).toEqual(["echo", "sleep"]);
		expect(card.skills[0].description).toContain('"text":{"type":"string"}');
		expect(card.securitySchemes.bearer.scheme).toMatchObject({ $case: "httpAuthSecurityScheme", value: { scheme: "bearer" } });

		const node = (await t.json<{ skills: { id: string; description: string }[] }>("/.well-known/agent-card.json"));
		expect(node.skills.map(s => s.id)).toContain("echo");
		expect(node.skills[0].description).toContain(`${t.url}/a2a/echo/.well-known/agent-card.json`);

		expect((await t.request("/a2a/echo/.well-known/agent-card.json", { auth: false })).status).toBe(401);
		expect((await t.request("/.well-known/agent-card.json", { headers: { authorization: "Bearer wrong" }, auth: false })).status).toBe(401);
		expect((await t.request("/a2a/nobody/.well-known/agent-card.json")).status).toBe(404);
	});

	it("runs a message to a code agent as an AgentOS task: the same id in the task API and the audit log", async () => {
		const submissions = async () => {
			await t.node.audit.flush();
			return (await t.json<{ items: AuditRecord[] }>("/api/v1/audit?action=agents.submitTask&actorId=admin&limit=1000")).items.filter(a => a.target === "echo" && a.outcome === "succeeded").length;
		};
		const before = await submissions();
		const client = await clientFor(t, "echo");
		const task = asTask(await client.sendMessage(send([data({ type: "echo", text: "hi" })])));
		expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
		expect(dataOf(task)).toMatchObject({ echo: { type: "echo", text: "hi" }, agent: "echo" });

		const rest = await t.json<{ id: string; status: string; agentId: string; contextId: string }>(`/api/v1/tasks/${task.id}`);
		expect(rest).toMatchObject({ id: task.id, status: "succeeded", agentId: "echo", contextId: task.contextId });

		const again = await client.getTask({ tenant: "", id: task.id, historyLength: undefined });
		expect(again.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
		expect(again.history[0].parts[0].content).toMatchObject({ $case: "data" });

		expect(await submissions()).toBe(before + 1);
	});

	it("writes a task twice, when accepted (with the message) and when it ends, and shows it later as SendMessage answered it", async () => {
		const client = await clientFor(t, "echo");
		const query = jest.spyOn(t.node.kernel.db, "query");
		let task: Task;
		let writes: string[];
		try {
			task = asTask(await client.sendMessage(send([data({ type: "echo", text: "twice" })])));
			// Every write of a durable task: its row, and its journal (none here: an echo makes no ctx call).
			writes = query.mock.calls.map(([sql]) => sql).filter(sql => /^\s*(INSERT INTO|UPDATE|DELETE FROM) (agent_tasks|task_steps)\b/.test(sql));
		} finally {
			query.mockRestore();
		}
		expect(writes).toHaveLength(2);

		const again = await client.getTask({ tenant: "", id: task.id, historyLength: undefined });
		expect(again.status).toEqual(task.status);
		expect(again.artifacts).toEqual(task.artifacts);
		expect(again.history).toEqual(task.history);
		expect(again.history.map(m => m.role)).toEqual([Role.ROLE_USER, Role.ROLE_AGENT]);
		expect(again.history[0].parts[0].content).toMatchObject({ $case: "data", value: { type: "echo", text: "twice" } });
	});

	it("takes JSON text as a task, lists an agent's tasks by context, and answers a 0.3 client's method names", async () => {
		const client = await clientFor(t, "echo");
		const contextId = crypto.randomUUID();
		const first = asTask(await client.sendMessage(send([text('{"type":"echo","n":1}')], { contextId })));
		expect(dataOf(first)).toMatchObject({ echo: { n: 1 } });
		await client.sendMessage(send([data({ type: "echo", n: 2 })], { contextId }));
		const listed = await client.listTasks({ tenant: "", contextId, status: TaskState.TASK_STATE_UNSPECIFIED, pageSize: 10, pageToken: "", historyLength: undefined, statusTimestampAfter: undefined, includeArtifacts: true });
		expect(listed.tasks).toHaveLength(2);
		expect(listed.totalSize).toBe(2);

		// A 0.3 client: no A2A-Version header, the old method names and shapes.
		const old = await rpc("echo", { jsonrpc: "2.0", id: 7, method: "message/send", params: { message: { kind: "message", messageId: "m-1", role: "user", parts: [{ kind: "data", data: { type: "echo", v: "0.3" } }] } } });
		expect(old.status).toBe(200);
		expect(old.body.result).toMatchObject({ kind: "task", status: { state: "completed" } });
		const oldId = old.body.result!.id as string;
		const got = await rpc("echo", { jsonrpc: "2.0", id: 8, method: "tasks/get", params: { id: oldId } });
		expect(got.body.result).toMatchObject({ id: oldId, kind: "task", status: { state: "completed" } });
	});

	it("chats with a declarative agent: the context is the chat session, the answer a text part", async () => {
		await spawnAgent(t, { id: "talker", name: "Talker", instructions: "You are brief.", trustLevel: "autonomous", memory: { recall: 0 } });
		await untilState(t, "talker", "running");
		const client = await clientFor(t, "talker");
		const card = await client.getAgentCard();
		expect(card.skills.map(s => s.id)).toEqual(["chat"]);

		const contextId = crypto.randomUUID();
		openai.script({ kind: "text", text: "Nice to meet you, Ada." });
		const first = asTask(await client.sendMessage(send([text("My name is Ada.")], { contextId })));
		expect(first.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
		expect(answerText(first)).toBe("Nice to meet you, Ada.");
		openai.script({ kind: "text", text: "You are Ada." });
		const second = asTask(await client.sendMessage(send([text("What is my name?")], { contextId })));
		expect(answerText(second)).toBe("You are Ada.");
		const sent = openai.requests.filter(r => r.path.endsWith("/chat/completions")).at(-1)!.body as { messages: { role: string; content: string }[] };
		expect(sent.messages.map(m => m.content)).toEqual([expect.any(String), "My name is Ada.", "Nice to meet you, Ada.", "What is my name?"]);
		expect((await t.json<{ type: string; status: string }>(`/api/v1/tasks/${second.id}`))).toMatchObject({ type: "chat", status: "succeeded" });
	});

	it("lets a client subscribe to a running task and see it end", async () => {
		const client = await clientFor(t, "echo");
		const started = asTask(await client.sendMessage(send([data({ type: "sleep", ms: 700 })], {}, true)));
		const states: TaskState[] = [];
		for await (const event of client.resubscribeTask({ tenant: "", id: started.id })) {
			if (event.payload?.$case === "task") states.push(event.payload.value.status!.state);
			if (event.payload?.$case === "statusUpdate") states.push(event.payload.value.status!.state);
		}
		expect(states.at(-1)).toBe(TaskState.TASK_STATE_COMPLETED);
	});

	it("shows a task given over REST, its state mapped: running is working, succeeded completed", async () => {
		const client = await clientFor(t, "echo");
		const { body } = await post<{ taskId: string }>(t, "/api/v1/agents/echo/tasks", { task: { type: "sleep", ms: 400 }, async: true });
		const queued = await client.getTask({ tenant: "", id: body.taskId, historyLength: undefined });
		// Handed over to an agent running on this node, it is taken at once.
		expect(queued.status?.state).toBe(TaskState.TASK_STATE_WORKING);
		expect(queued.history[0].parts[0].content).toMatchObject({ $case: "data", value: { type: "sleep", ms: 400 } });
		await new Promise(r => setTimeout(r, 700));
		const done = await client.getTask({ tenant: "", id: body.taskId, historyLength: undefined });
		expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
		expect(dataOf(done)).toMatchObject({ slept: 400 });
		const completed = await client.listTasks({ tenant: "", contextId: "", status: TaskState.TASK_STATE_COMPLETED, pageSize: 100, pageToken: "", historyLength: undefined, statusTimestampAfter: undefined, includeArtifacts: false });
		expect(completed.tasks.map(x => x.id)).toContain(body.taskId);
		expect(completed.tasks.every(x => x.status?.state === TaskState.TASK_STATE_COMPLETED)).toBe(true);
	});

	it("streams a task's events", async () => {
		const client = await clientFor(t, "echo");
		const states: TaskState[] = [];
		let artifact: unknown;
		for await (const event of client.sendMessageStream(send([data({ type: "sleep", ms: 50 })]))) {
			const payload = event.payload;
			if (payload?.$case === "task") states.push(payload.value.status!.state);
			if (payload?.$case === "statusUpdate") states.push(payload.value.status!.state);
			if (payload?.$case === "artifactUpdate") artifact = payload.value.artifact?.parts[0].content;
		}
		expect(states[0]).toBe(TaskState.TASK_STATE_WORKING);
		expect(states.at(-1)).toBe(TaskState.TASK_STATE_COMPLETED);
		expect(artifact).toMatchObject({ $case: "data", value: { slept: 50 } });
	});

	it("cancels a long task: canceled over A2A, cancelled in the task API, its late outcome dropped", async () => {
		const client = await clientFor(t, "echo");
		const started = asTask(await client.sendMessage(send([data({ type: "sleep", ms: 1500 })], {}, true)));
		const cancelled = await client.cancelTask({ tenant: "", id: started.id, metadata: undefined });
		expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
		await new Promise(r => setTimeout(r, 1800));
		expect((await t.json<{ status: string }>(`/api/v1/tasks/${started.id}`)).status).toBe("cancelled");
		expect((await client.getTask({ tenant: "", id: started.id, historyLength: undefined })).status?.state).toBe(TaskState.TASK_STATE_CANCELED);
	});

	describe("cancelling a run suspended on a person's decision, as REST's cancel does", () => {
		interface Waiting {
			status: string;
			waitingFor: { approvalId: string } | null;
		}
		interface Closed {
			id: string;
			status: string;
			note: string | null;
		}
		const suspended = async (id: string): Promise<Waiting> => {
			let detail: Waiting | undefined;
			await eventually("the run to suspend", async () => (detail = await t.json<Waiting>(`/api/v1/tasks/${id}`)).status === "suspended", 15_000, 50);
			return detail!;
		};
		const closed = async (approvalId: string) => (await t.json<{ items: Closed[] }>("/api/v1/approvals?status=expired")).items.find(a => a.id === approvalId);
		const cancels = async (taskId: string) => {
			await t.node.audit.flush();
			return (await t.json<{ items: AuditRecord[] }>(`/api/v1/audit?action=tasks.cancel&actorId=admin&limit=1000`)).items.filter(a => a.outcome === "succeeded" && JSON.stringify(a).includes(taskId));
		};

		it("a run the A2A client started: cancelled in the task API, its approval no longer pending, the cancel audited", async () => {
			const client = await clientFor(t, "echo");
			const started = asTask(await client.sendMessage(send([data({ type: "waitFor", reason: "may I go on?" })], {}, true)));
			const waiting = await suspended(started.id);
			const approvalId = waiting.waitingFor!.approvalId;
			expect((await t.json<{ items: Closed[] }>("/api/v1/approvals?status=pending")).items.map(a => a.id)).toContain(approvalId);

			const cancelled = await client.cancelTask({ tenant: "", id: started.id, metadata: undefined });
			expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
			expect((await t.json<Waiting>(`/api/v1/tasks/${started.id}`)).status).toBe("cancelled");
			expect((await t.json<{ items: Closed[] }>("/api/v1/approvals?status=pending")).items.map(a => a.id)).not.toContain(approvalId);
			expect(await closed(approvalId)).toMatchObject({ status: "expired", note: `task ${started.id} was cancelled` });
			expect(await cancels(started.id)).toHaveLength(1);
			// A late decision is refused: nothing waits for it.
			expect((await post(t, `/api/v1/approvals/${approvalId}/approve`, {})).status).toBe(409);
		});

		it("a run given over REST (not run by the A2A executor): its run is cancelled too, not only the protocol's record", async () => {
			const given = await post<{ taskId: string }>(t, "/api/v1/agents/echo/tasks", { task: { type: "waitFor", reason: "and now?" }, async: true });
			expect(given.status).toBe(202);
			const waiting = await suspended(given.body.taskId);
			const client = await clientFor(t, "echo");
			const cancelled = await client.cancelTask({ tenant: "", id: given.body.taskId, metadata: undefined });
			expect(cancelled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
			expect((await t.json<Waiting>(`/api/v1/tasks/${given.body.taskId}`)).status).toBe("cancelled");
			expect(await closed(waiting.waitingFor!.approvalId)).toMatchObject({ status: "expired", note: `task ${given.body.taskId} was cancelled` });
			expect(await cancels(given.body.taskId)).toHaveLength(1);
		});
	});

	it("answers bad input with JSON-RPC errors, never a 500", async () => {
		const v1 = { "A2A-Version": "1.0" };
		const malformed = await rpc("echo", "{not json", v1);
		expect(malformed).toMatchObject({ status: 200, body: { error: { code: -32700 } } });
		const noMethod = await rpc("echo", { jsonrpc: "2.0", id: 1, method: "FlyToTheMoon", params: {} }, v1);
		expect(noMethod.body.error?.code).toBe(-32601);
		const notRpc = await rpc("echo", { hello: "world" }, v1);
		expect(notRpc.body.error?.code).toBe(-32600);
		const unknownAgent = await rpc("nobody", { jsonrpc: "2.0", id: 2, method: "GetTask", params: { id: crypto.randomUUID() } }, v1);
		expect(unknownAgent.body.error).toMatchObject({ code: -32602, data: { type: "AGENT_NOT_FOUND" } });
		const unknownTask = await rpc("echo", { jsonrpc: "2.0", id: 3, method: "GetTask", params: { id: crypto.randomUUID() } }, v1);
		expect(unknownTask.body.error?.code).toBe(-32001);
		const badTask = await rpc("echo", { jsonrpc: "2.0", id: 4, method: "SendMessage", params: { message: { messageId: "x", role: "ROLE_USER", parts: [{ data: { no: "type" } }] } } }, v1);
		expect(badTask.body.error).toMatchObject({ code: -32602 });
		const noToken = await rpc("echo", { jsonrpc: "2.0", id: 5, method: "GetTask", params: { id: "x" } }, v1, false);
		expect(noToken.status).toBe(401);
		expect(noToken.body.error?.code).toBe(-32000);
		expect((await rpc("echo", "{not json", v1, false)).status).toBe(401);
		expect((await rpc("echo", {}, v1, false)).status).toBe(401);
		const wrongToken = await rpc("echo", { jsonrpc: "2.0", id: 6, method: "GetTask", params: { id: "x" } }, { ...v1, authorization: "Bearer nope" }, false);
		expect(wrongToken).toMatchObject({ status: 401, body: { id: 6, error: { code: -32000 } } });
		const huge = await rpc("echo", { jsonrpc: "2.0", id: 7, method: "SendMessage", params: { pad: "x".repeat(2_000_000) } }, v1);
		expect(huge.status).toBe(413);
		expect(huge.body.error?.code).toBe(-32600);
	});

	it("refuses a message to a quarantined agent with a JSON-RPC error", async () => {
		await spawnAgent(t, echoManifest("shady"));
		await untilState(t, "shady", "running");
		const sanction = await post(t, "/api/v1/sanctions", { agentId: "shady", kind: "quarantine", reason: "under review" });
		expect(sanction.status).toBe(201);
		const client = await clientFor(t, "shady");
		await expect(client.sendMessage(send([data({ type: "echo" })]))).rejects.toThrow(/quarantine/i);
		const raw = await rpc("shady", { jsonrpc: "2.0", id: 9, method: "SendMessage", params: { message: { messageId: "q", role: "ROLE_USER", parts: [{ data: { type: "echo" } }] } } }, { "A2A-Version": "1.0" });
		expect(raw.body.error).toMatchObject({ code: -32000, data: { type: "AGENT_QUARANTINED", status: 423 } });
	});
});

describe("A2A tasks across a restart", () => {
	it("are read after the node that accepted them restarts (same data)", async () => {
		const dataDir = tempDataDir();
		const env = { ...FAST_AGENT_ENV, AGENTOS_DATA_DIR: dataDir };
		let t = await startTestNode(env);
		let task: Task;
		try {
			await t.node.ready;
			await spawnAgent(t, echoManifest("keeper"));
			await untilState(t, "keeper", "running");
			task = asTask(await (await clientFor(t, "keeper")).sendMessage(send([data({ type: "echo", keep: true })], { contextId: "ctx-keep" })));
		} finally {
			await t.stop();
		}
		t = await startTestNode(env);
		try {
			await t.node.ready;
			const again = await (await clientFor(t, "keeper")).getTask({ tenant: "", id: task.id, historyLength: undefined });
			expect(again).toMatchObject({ id: task.id, contextId: "ctx-keep", status: { state: TaskState.TASK_STATE_COMPLETED } });
			expect(dataOf(again)).toMatchObject({ echo: { keep: true } });
			expect(again.history[0].parts[0].content).toMatchObject({ $case: "data", value: { type: "echo", keep: true } });
		} finally {
			await t.stop();
		}
	});
});
