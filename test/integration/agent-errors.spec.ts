import path from "node:path";
import type { ErrorBody } from "../../services/api.service";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { FAST_AGENT_ENV, FIXTURE_AGENTS, post, spawnAgent, task, untilState } from "../support/agents";
import { startNats, type NatsServer } from "../support/nats-server";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

/** What the REST caller of a task sees when the agent's model call was refused. */
interface Refusal {
	status: number;
	type: string;
	data: Record<string, unknown>;
}

const refusals = (id: string, runtime: string, extra: Record<string, unknown> = {}) => ({
	id,
	name: `Refusals ${id}`,
	runtime,
	entryPoint: path.join(FIXTURE_AGENTS, "refusals.js"),
	trustLevel: "autonomous",
	...extra
});

const declarative = (id: string) => ({ id, name: `Declarative ${id}`, instructions: "Answer briefly.", trustLevel: "autonomous", memory: { recall: 0, historyWindow: 0 } });

/** A day's budget of 100 tokens, spent (120) by one call on the agent's account. */
async function spendBudget(t: TestNode, openai: OpenAIServer, agentId: string): Promise<void> {
	const put = await t.request(`/api/v1/llm/budgets/${agentId}`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ daily: { tokens: 100 } }) });
	expect(put.status).toBe(200);
	openai.script({ kind: "text", text: "spent", usage: { input: 80, output: 40 } });
	expect((await post(t, "/api/v1/llm/chat", { agentId, messages: [{ role: "user", content: "spend" }] })).status).toBe(200);
}

async function refusal(t: TestNode, agentId: string, runtime: string): Promise<Refusal> {
	const { status, body } =
		runtime === "declarative"
			? await post<ErrorBody>(t, `/api/v1/agents/${agentId}/chat`, { message: "hello" })
			: await task(t, agentId, { task: { type: "llm-until-refused" } });
	return { status, type: body.error?.type, data: (body.error?.data ?? {}) as Record<string, unknown> };
}

describe("a refusal of an agent's model call reaches the task's caller with its own type and status", () => {
	let openai: OpenAIServer;
	let t: TestNode;

	beforeAll(async () => {
		openai = await startOpenAIServer({ apiKey: "sk-test" });
		t = await startTestNode({ ...FAST_AGENT_ENV, AGENT_INPROCESS_PATHS: FIXTURE_AGENTS, OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: openai.url, LLM_RETRY_BASE_MS: "10" });
		await t.node.ready;
	});
	afterEach(() => openai.clearScript());
	afterAll(async () => {
		await t?.stop();
		await openai?.stop();
	});

	const spawn = async (runtime: string, id: string, permissions: string[]) => {
		await spawnAgent(t, runtime === "declarative" ? declarative(id) : refusals(id, runtime, { permissions }));
		await untilState(t, id, "running");
	};

	describe.each(["process", "inprocess", "declarative"])("%s agent", runtime => {
		it("402 BUDGET_EXCEEDED when its budget is spent", async () => {
			const id = `${runtime}-broke`;
			await spawn(runtime, id, ["llm.execute"]);
			await spendBudget(t, openai, id);
			expect(await refusal(t, id, runtime)).toEqual({ status: 402, type: "BUDGET_EXCEEDED", data: expect.objectContaining({ agentId: id, period: "day" }) });
		});

		it("403 PERMISSION_DENIED when it holds no grant for the model", async () => {
			const id = `${runtime}-mute`;
			await spawn(runtime, id, ["memory.read"]);
			if (runtime === "declarative") {
				// A declarative agent is granted what its settings need; the admin takes the model back.
				expect((await t.request(`/api/v1/agents/${id}/grants?capability=llm.execute`, { method: "DELETE" })).status).toBe(200);
			}
			expect(await refusal(t, id, runtime)).toEqual({ status: 403, type: "PERMISSION_DENIED", data: expect.objectContaining({ agentId: id, capability: "llm.execute" }) });
		});

		it("423 AGENT_QUARANTINED when it is quarantined while the task runs", async () => {
			const id = `${runtime}-rogue`;
			await spawn(runtime, id, ["llm.execute"]);
			// The first model call is slow; the quarantine lands meanwhile, so the next one is refused.
			openai.script({ kind: "delay", ms: 1500, then: { kind: "tool_calls", calls: [{ id: "c1", name: "no_such_tool", arguments: {} }] } });
			const answer = refusal(t, id, runtime);
			await eventually("the task to reach the model", () => openai.requests.some(r => JSON.stringify(r.body).includes(runtime === "declarative" ? "hello" : "try 0")));
			expect((await post(t, "/api/v1/sanctions", { agentId: id, kind: "quarantine", reason: "refusal test" })).status).toBe(201);
			expect(await answer).toEqual({ status: 423, type: "AGENT_QUARANTINED", data: expect.objectContaining({ agentId: id }) });
		});
	});

	it("an error the agent's own code throws stays the agent's failure (502), whatever it looks like", async () => {
		await spawn("process", "liar", []);
		const { status, body } = await task(t, "liar", { task: { type: "own-error" } });
		expect(status).toBe(502);
		expect(body.error).toMatchObject({ type: "AGENT_TASK_FAILED", data: { agentId: "liar", error: { message: "made up" } } });
	});

	it("writes the task's request id into the audit entries of the agent's tool calls", async () => {
		await spawn("process", "auditee", ["tools.execute"]);
		// Refused (no network.fetch): the refusal is audited, and reaches the caller as it is.
		const { status, body } = await task(t, "auditee", { task: { type: "tool", toolId: "builtin:http_fetch", arguments: { url: "http://127.0.0.1:1/" } } });
		expect({ status, type: body.error.type }).toEqual({ status: 403, type: "PERMISSION_DENIED" });
		await t.node.audit.flush();
		type Entry = { action: string; target: string | null; requestId: string | null; actor: { id: string } };
		const submitted = (await t.json<{ items: Entry[] }>("/api/v1/audit?action=agents.submitTask")).items.filter(e => e.target === "auditee");
		const { items: invoked } = await t.json<{ items: Entry[] }>("/api/v1/audit?agentId=auditee&action=tools.invoke");
		expect(submitted).toHaveLength(1);
		expect(invoked).toHaveLength(1);
		expect(submitted[0].requestId).toEqual(expect.any(String));
		expect(invoked[0]).toMatchObject({ actor: { id: "auditee" }, requestId: submitted[0].requestId });
	});
});

describe("across two nodes over a real NATS", () => {
	let pg: PostgresServer;
	let nats: NatsServer;
	let openai: OpenAIServer;
	let a: TestNode;
	let b: TestNode;

	beforeAll(async () => {
		[pg, nats, openai] = await Promise.all([startPostgres(), startNats(), startOpenAIServer({ apiKey: "sk-test" })]);
		const env = { ...FAST_AGENT_ENV, TRANSPORTER: nats.url, DATABASE_URL: await createDatabase(pg, "agent_errors"), OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: openai.url };
		a = await startTestNode({ ...env, NODE_ID: "errors-a" });
		await a.node.ready;
		b = await startTestNode({ ...env, NODE_ID: "errors-b" });
		await b.node.ready;
	});
	afterAll(async () => {
		await b?.stop();
		await a?.stop();
		await Promise.all([nats?.stop(), pg?.destroy(), openai?.stop()]);
	});

	it("the caller on the other node gets 402 BUDGET_EXCEEDED and 403 PERMISSION_DENIED, not 502", async () => {
		await spawnAgent(a, refusals("far-broke", "process", { permissions: ["llm.execute"] }));
		await spawnAgent(a, refusals("far-mute", "process", { permissions: ["memory.read"] }));
		const broke = await untilState(a, "far-broke", "running");
		const mute = await untilState(a, "far-mute", "running");
		await spendBudget(a, openai, "far-broke");
		const other = (node: string | null) => (node === "errors-a" ? b : a);
		expect(await refusal(other(broke.node), "far-broke", "process")).toEqual({ status: 402, type: "BUDGET_EXCEEDED", data: expect.objectContaining({ agentId: "far-broke" }) });
		expect(await refusal(other(mute.node), "far-mute", "process")).toEqual({ status: 403, type: "PERMISSION_DENIED", data: expect.objectContaining({ capability: "llm.execute" }) });
	});
});
