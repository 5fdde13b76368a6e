/**
 * An agent's durable run that asks another agent (`ctx.agents.ask`) makes the other agent's
 * work a child run of its own, journaled and resumed by itself: a worker of the asked agent
 * that dies mid-task costs none of its earlier model or tool calls, and the asking run gets
 * its answer. Real node, real worker processes, a scripted OpenAI-wire model server and a
 * web site that counts the pages the asked agent reads.
 */
import type { TaskDetail, TaskPage } from "../../actors/task-store";
import { FAST_AGENT_ENV, FIXTURE_AGENTS, agent, post, spawnAgent, task } from "../support/agents";
import { startCountingSite, type CountingSite } from "../support/counting-site";
import { lastUserText, type Step } from "../support/llm-wire/script";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

const manifest = (id: string, extra: Record<string, unknown> = {}) => ({
	id,
	name: `Durable ${id}`,
	entryPoint: `${FIXTURE_AGENTS}/durable.js`,
	trustLevel: "autonomous",
	permissions: ["llm.execute", "tools.execute", "network.fetch", "a2a.send"],
	...extra
});

interface Delegated {
	delegated: { answer: string; pages: string[] };
}

describe("an agent's ask of another agent is a child run", () => {
	let openai: OpenAIServer;
	let site: CountingSite;
	let t: TestNode;

	const fetchCall = (path: string): Step => ({ kind: "tool_calls", calls: [{ name: "http_fetch", arguments: { url: `${site.origin}${path}` } }] });
	const turns = () => openai.requests.filter(r => r.path === "/v1/chat/completions").map(r => lastUserText(r.body));
	const detail = (id: string) => t.json<TaskDetail>(`/api/v1/tasks/${id}`);
	const delegate = (to: string, prompt: string) => ({ type: "delegate", to, task: { type: "loop", prompt } });
	const openTask = async (agentId: string) => (await t.json<TaskPage>(`/api/v1/tasks?agentId=${agentId}&status=running`)).items[0];

	beforeAll(async () => {
		[openai, site] = await Promise.all([startOpenAIServer({ apiKey: "sk-child" }), startCountingSite()]);
		t = await startTestNode({
			...FAST_AGENT_ENV,
			OPENAI_API_KEY: "sk-child",
			OPENAI_BASE_URL: openai.url,
			ALLOWED_DOMAINS: site.host,
			LLM_MAX_RETRIES: "0",
			TASK_RETRY_DELAY_MS: "50",
			TASK_OUTAGE_RETRY_MS: "50",
			TASK_RECOVERY_INTERVAL_MS: "200"
		});
		await t.node.ready;
		await Promise.all([spawnAgent(t, manifest("boss")), spawnAgent(t, manifest("helper")), spawnAgent(t, manifest("plain", { durable: false }))]);
	});
	afterEach(() => {
		openai.clearScript();
		openai.requests.length = 0;
	});
	afterAll(async () => {
		await t?.stop();
		await Promise.all([openai?.stop(), site?.stop()]);
	});

	it("kill -9 of the asked agent's worker mid-task: its run resumes without redoing its steps, and the asker gets its answer", async () => {
		site.hold("/h2");
		openai.script(fetchCall("/h1"), fetchCall("/h2"), { kind: "text", text: "helped" });
		const pending = task<Delegated>(t, "boss", { task: delegate("helper", "help") });
		await eventually("the request for /h2", () => site.waiting("/h2"), 15_000, 20);
		const parent = await openTask("boss");

		const before = await agent(t, "helper");
		process.kill(before.pid!, "SIGKILL");
		await eventually("a new worker", async () => {
			const now = await agent(t, "helper");
			return now.state === "running" && now.pid !== null && now.pid !== before.pid;
		});
		site.release("/h2");
		const { status, body } = await pending;

		expect(status).toBe(200);
		expect(body.result).toEqual({ delegated: { answer: "helped", pages: ["page /h1", "page /h2"] } });
		// Each of the helper's model turns was asked once, each page read once.
		expect(turns()).toEqual([1, 2, 3].map(n => `help (turn ${n}, ${n - 1} pages read)`));
		expect([site.hits("/h1"), site.hits("/h2")]).toEqual([1, 1]);

		const asked = await detail(body.taskId);
		expect(asked).toMatchObject({ id: parent.id, status: "succeeded", attempts: 1, parentTaskId: null, children: [{ agentId: "helper", status: "succeeded" }] });
		expect(asked.steps.map(s => [s.action, s.ok])).toEqual([["agent.helper.ask", true]]);
		const [child] = asked.children;
		const helped = await detail(child.id);
		expect(helped).toMatchObject({ status: "succeeded", attempts: 2, parentTaskId: parent.id, children: [], result: body.result.delegated });
		expect(helped.steps.map(s => s.action)).toEqual(["mal.chat", "tools.invoke", "mal.chat", "tools.invoke", "mal.chat"]);
	});

	it("cancelling the asking run cancels its child run: the asked agent makes no further model call", async () => {
		site.hold("/c1");
		openai.script(fetchCall("/c1"), { kind: "text", text: "never asked for" });
		const accepted = await task(t, "boss", { task: delegate("helper", "stop"), async: true });
		expect(accepted.status).toBe(202);
		await eventually("the request for /c1", () => site.waiting("/c1"), 15_000, 20);
		const [child] = (await detail(accepted.body.taskId)).children;

		const cancelled = await post<TaskDetail>(t, `/api/v1/tasks/${accepted.body.taskId}/cancel`, {});
		expect(cancelled.status).toBe(200);
		expect(cancelled.body).toMatchObject({ status: "cancelled", children: [{ id: child.id, agentId: "helper", status: "cancelled" }] });
		site.release("/c1");
		await eventually("the helper to be idle", async () => (await agent(t, "helper")).mailbox!.running === 0);
		await eventually("the held step to end", async () => (await detail(child.id)).steps.length === 2);
		expect(await detail(child.id)).toMatchObject({ status: "cancelled", parentTaskId: accepted.body.taskId });
		expect(turns()).toHaveLength(1);
	});

	it("an agent whose manifest says durable: false is asked as before: no child run", async () => {
		openai.script({ kind: "text", text: "plainly" });
		const { status, body } = await task<Delegated>(t, "boss", { task: delegate("plain", "plain") });
		expect(status).toBe(200);
		expect(body.result).toEqual({ delegated: { answer: "plainly", pages: [] } });
		expect(await detail(body.taskId)).toMatchObject({ status: "succeeded", children: [] });
		expect((await t.json<TaskPage>("/api/v1/tasks?agentId=plain")).items).toEqual([]);
	});
});
