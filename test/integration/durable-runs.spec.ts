/**
 * Durable task runs on one node, with real worker processes, a scripted OpenAI-wire model
 * server and a web site the agents' http_fetch calls reach (it counts each page's requests
 * and holds one until the test has killed the worker). A run whose worker dies resumes
 * from its journal: what it did before is replayed, not done again.
 */
import type { TaskDetail, TaskPage } from "../../actors/task-store";
import type { ErrorBody } from "../../services/api.service";
import { FAST_AGENT_ENV, FIXTURE_AGENTS, agent, echoManifest, post, spawnAgent, task } from "../support/agents";
import { startCountingSite, type CountingSite } from "../support/counting-site";
import { lastUserText, type Step } from "../support/llm-wire/script";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

const durableManifest = (id: string, extra: Record<string, unknown> = {}) => ({
	id,
	name: `Durable ${id}`,
	entryPoint: `${FIXTURE_AGENTS}/durable.js`,
	trustLevel: "autonomous",
	permissions: ["llm.execute", "tools.execute", "network.fetch", "memory.write", "memory.read"],
	...extra
});

describe("durable task runs on one node", () => {
	let openai: OpenAIServer;
	let site: CountingSite;
	let t: TestNode;

	const fetchCall = (path: string, name = "http_fetch"): Step => ({ kind: "tool_calls", calls: [{ name, arguments: { url: `${site.origin}${path}` } }] });
	const chats = () => openai.requests.filter(r => r.path === "/v1/chat/completions");
	const detail = (id: string) => t.json<TaskDetail>(`/api/v1/tasks/${id}`);
	const running = async (agentId: string) => (await t.json<TaskPage>(`/api/v1/tasks?agentId=${agentId}&status=running`)).items;

	/** Kills the agent's worker (kill -9) while `path` is held, then lets the page answer once a new worker runs. */
	async function killWorkerDuring(agentId: string, path: string): Promise<void> {
		await eventually(`the request for ${path}`, () => site.waiting(path), 15_000, 20);
		const before = await agent(t, agentId);
		process.kill(before.pid!, "SIGKILL");
		await eventually("a new worker", async () => {
			const now = await agent(t, agentId);
			return now.state === "running" && now.pid !== null && now.pid !== before.pid;
		});
		site.release(path);
	}

	beforeAll(async () => {
		[openai, site] = await Promise.all([startOpenAIServer({ apiKey: "sk-durable" }), startCountingSite()]);
		t = await startTestNode({
			...FAST_AGENT_ENV,
			OPENAI_API_KEY: "sk-durable",
			OPENAI_BASE_URL: openai.url,
			ALLOWED_DOMAINS: site.host,
			LLM_MAX_RETRIES: "0",
			LLM_BREAKER_HALF_OPEN_MS: "100",
			TASK_STEP_ATTEMPTS: "3",
			TASK_RETRY_DELAY_MS: "50",
			TASK_OUTAGE_RETRY_MS: "50",
			TASK_RECOVERY_INTERVAL_MS: "200"
		});
		await t.node.ready;
		await Promise.all([spawnAgent(t, durableManifest("looper")), spawnAgent(t, durableManifest("runner")), spawnAgent(t, durableManifest("noter")), spawnAgent(t, durableManifest("timer"))]);
	});
	afterEach(() => {
		openai.clearScript();
		openai.requests.length = 0;
	});
	afterAll(async () => {
		await t?.stop();
		await Promise.all([openai?.stop(), site?.stop()]);
	});

	it("kill -9 of the worker after tool call 2 of 4 of the agent's own loop: the run resumes and every model call and tool runs once", async () => {
		site.hold("/a2");
		openai.script(
			fetchCall("/a1"),
			fetchCall("/a2"),
			fetchCall("/a3"),
			fetchCall("/a4"),
			{ kind: "text", text: "read four pages", usage: { input: 40, output: 10 } }
		);
		const pending = task<{ answer: string; pages: string[] }>(t, "looper", { task: { type: "loop", prompt: "read" } });
		// While it runs, its steps so far are there to see: model, page, model (the second page is under way).
		await eventually("the request for /a2", () => site.waiting("/a2"), 15_000, 20);
		const [{ id }] = await running("looper");
		const progress = await detail(id);
		expect(progress).toMatchObject({ status: "running", attempts: 1, finishedAt: null });
		expect(progress.steps.map(s => s.action)).toEqual(["mal.chat", "tools.invoke", "mal.chat"]);
		await killWorkerDuring("looper", "/a2");
		const { status, body } = await pending;

		expect(status).toBe(200);
		expect(body.result).toEqual({ answer: "read four pages", pages: ["page /a1", "page /a2", "page /a3", "page /a4"] });
		expect(["/a1", "/a2", "/a3", "/a4"].map(p => site.hits(p))).toEqual([1, 1, 1, 1]);
		// Each turn's request reached the model once: the turns before the crash were replayed.
		expect(chats().map(r => lastUserText(r.body))).toEqual([0, 1, 2, 3, 4].map(n => `read (turn ${n + 1}, ${n} pages read)`));

		expect(body.taskId).toBe(id);
		const run = await detail(id);
		expect(run).toMatchObject({ status: "succeeded", durable: true, attempts: 2, failedStep: null });
		expect(run.steps.map(s => s.action)).toEqual(["mal.chat", "tools.invoke", "mal.chat", "tools.invoke", "mal.chat", "tools.invoke", "mal.chat", "tools.invoke", "mal.chat"]);
		expect(run.steps.map(s => s.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
		const models = run.steps.filter(s => s.action === "mal.chat");
		expect(models.every(s => s.ok && s.label === "gpt-4o-mini" && s.costUsd > 0 && s.tokens > 0)).toBe(true);
		expect(run.steps.filter(s => s.action === "tools.invoke").every(s => s.label === "builtin:http_fetch" && s.costUsd === 0)).toBe(true);
		expect(run.steps.every(s => Number.isInteger(s.durationMs) && s.durationMs >= 0 && !Number.isNaN(Date.parse(s.startedAt)))).toBe(true);
		// The held page kept its step open for as long as the test held it.
		expect(run.steps[3].durationMs).toBeGreaterThan(run.steps[1].durationMs);
		expect(run.costUsd).toBeCloseTo(models.reduce((sum, s) => sum + s.costUsd, 0), 10);
		expect(run.tokens).toBe(models.reduce((sum, s) => sum + s.tokens, 0));
	});

	it("kill -9 of the worker during ctx.llm.run: the framework's loop on the node is not run twice", async () => {
		site.hold("/b2");
		openai.script(
			fetchCall("/b1", "builtin_http_fetch"),
			fetchCall("/b2", "builtin_http_fetch"),
			fetchCall("/b3", "builtin_http_fetch"),
			fetchCall("/b4", "builtin_http_fetch"),
			{ kind: "text", text: "the loop read four pages" }
		);
		const pending = task<{ answer: string }>(t, "runner", { task: { type: "run", message: "read them" } });
		await killWorkerDuring("runner", "/b2");
		const { status, body } = await pending;

		expect(status).toBe(200);
		expect(body.result).toMatchObject({ answer: "the loop read four pages" });
		expect(["/b1", "/b2", "/b3", "/b4"].map(p => site.hits(p))).toEqual([1, 1, 1, 1]);
		// Five model turns, each sent once, each with one more tool result than the last.
		expect(chats().map(r => (r.body.messages as { role: string }[]).filter(m => m.role === "tool").length)).toEqual([0, 1, 2, 3, 4]);
		const run = await detail(body.taskId);
		expect(run).toMatchObject({ status: "succeeded", attempts: 2 });
		expect(run.steps.map(s => s.action)).toEqual(["tools.list", ...Array(4).fill(["mal.chat", "tools.invoke"]).flat(), "mal.chat"]);
	});

	it("replays a code agent's model, memory, tool and state calls after a crash: nothing is done twice", async () => {
		site.hold("/n1");
		openai.script({ kind: "text", text: "look it up" }, { kind: "text", text: "summed up" });
		const pending = task<{ memoryId: string; page: string; answer: string }>(t, "noter", { task: { type: "notes", topic: "otters", url: `${site.origin}/n1` } });
		await killWorkerDuring("noter", "/n1");
		const { status, body } = await pending;

		expect(status).toBe(200);
		expect(body.result).toMatchObject({ page: "page /n1", answer: "summed up" });
		const memories = await t.json<{ items: { id: string; content: string }[]; total: number }>("/api/v1/agents/noter/memories");
		expect(memories.total).toBe(1);
		expect(memories.items[0]).toMatchObject({ id: body.result.memoryId, content: "otters: look it up" });
		expect(chats().map(r => lastUserText(r.body))).toEqual(["plan for otters", "summarise page /n1"]);
		expect(site.hits("/n1")).toBe(1);
		const run = await detail(body.taskId);
		expect(run).toMatchObject({ status: "succeeded", attempts: 2 });
		expect(run.steps.map(s => s.action)).toEqual(["mal.chat", "memory.store", "tools.invoke", "state.set", "mal.chat"]);
	});

	it("cancels a running run: the waiting caller gets TASK_CANCELLED and the agent makes no further model call", async () => {
		site.hold("/c2");
		openai.script(fetchCall("/c1"), fetchCall("/c2"), { kind: "text", text: "never asked for" });
		const pending = task(t, "looper", { task: { type: "loop", prompt: "cancel me" } });
		await eventually("the request for /c2", () => site.waiting("/c2"), 15_000, 20);
		const [{ id }] = await running("looper");

		const cancelled = await post<TaskDetail>(t, `/api/v1/tasks/${id}/cancel`, {});
		expect(cancelled.status).toBe(200);
		expect(cancelled.body).toMatchObject({ id, status: "cancelled" });
		const answer = await pending;
		expect(answer.status).toBe(409);
		expect(answer.body.error).toMatchObject({ type: "TASK_CANCELLED", data: { taskId: id } });

		// The page answers now; the agent's next call (its third model turn) is refused.
		site.release("/c2");
		await eventually("the agent to be idle", async () => (await agent(t, "looper")).mailbox!.running === 0);
		await eventually("the held step to end", async () => (await detail(id)).steps.length === 4);
		expect(chats()).toHaveLength(2);
		expect(await detail(id)).toMatchObject({ status: "cancelled", finishedAt: expect.any(String) });

		const again = await post<ErrorBody>(t, `/api/v1/tasks/${id}/cancel`, {});
		expect(again.status).toBe(409);
		expect(again.body.error).toMatchObject({ type: "TASK_ENDED", data: { taskId: id, status: "cancelled" } });
		const unknown = await post<ErrorBody>(t, "/api/v1/tasks/00000000-0000-4000-8000-000000000000/cancel", {});
		expect(unknown.status).toBe(404);
		expect(unknown.body.error.type).toBe("TASK_NOT_FOUND");
	});

	it("a run cancelled while its worker is replaced is not tried again", async () => {
		site.hold("/e2");
		openai.script(fetchCall("/e1"), fetchCall("/e2"), { kind: "text", text: "never asked for" });
		const pending = task(t, "looper", { task: { type: "loop", prompt: "cancel in between" } });
		await eventually("the request for /e2", () => site.waiting("/e2"), 15_000, 20);
		const [{ id }] = await running("looper");
		const before = await agent(t, "looper");
		process.kill(before.pid!, "SIGKILL");
		await eventually("a new worker", async () => (await agent(t, "looper")).pid !== before.pid);

		// Between two attempts (the page still holds the last one's step open) the run is cancelled:
		// the waiting caller hears at once, not when the page answers.
		expect((await post<TaskDetail>(t, `/api/v1/tasks/${id}/cancel`, {})).body).toMatchObject({ id, status: "cancelled" });
		const answer = await pending;
		expect(answer.status).toBe(409);
		expect(answer.body.error.type).toBe("TASK_CANCELLED");
		site.release("/e2");
		await eventually("the held step to end", async () => (await detail(id)).steps.length === 4);
		expect(chats()).toHaveLength(2);
		expect(await detail(id)).toMatchObject({ status: "cancelled", attempts: 1 });
	});

	it("parks a run whose step fails on every attempt, then resume retries it from its last good step", async () => {
		const down: Step = { kind: "error", status: 500, message: "the model is down" };
		openai.script(fetchCall("/f1"), down, down, down);
		const { status, body } = await task(t, "looper", { task: { type: "loop", prompt: "persist" } });

		expect(status).toBe(502);
		expect(body.error).toMatchObject({ type: "TASK_STEP_FAILED", data: { step: 3, failures: 3, reason: expect.stringMatching(/openai|provider/i) } });
		const [{ id }] = (await t.json<TaskPage>("/api/v1/tasks?agentId=looper&status=failed")).items;
		const parked = await detail(id);
		expect(parked).toMatchObject({ status: "failed", attempts: 3, failedStep: { step: 3, failures: 3 }, error: { type: "TASK_STEP_FAILED", data: { step: 3, failures: 3 } } });
		expect(parked.steps.map(s => s.action)).toEqual(["mal.chat", "tools.invoke"]);
		expect(chats()).toHaveLength(4);

		// The model is back: the run goes on from step 3; the first turn and the page are not made again.
		openai.script({ kind: "text", text: "made it" });
		const resumed = await post<TaskDetail>(t, `/api/v1/tasks/${id}/resume`, {});
		expect(resumed.status).toBe(200);
		expect(resumed.body).toMatchObject({ id, failedStep: null, error: null });
		let done: TaskDetail | undefined;
		await eventually("the resumed run to succeed", async () => (done = await detail(id)).status === "succeeded");
		expect(done!).toMatchObject({ attempts: 4, failedStep: null, result: { answer: "made it", pages: ["page /f1"] } });
		expect(done!.steps.map(s => s.action)).toEqual(["mal.chat", "tools.invoke", "mal.chat"]);
		expect(site.hits("/f1")).toBe(1);
		expect(chats().map(r => lastUserText(r.body))).toEqual(["persist (turn 1, 0 pages read)", ...Array(4).fill("persist (turn 2, 1 pages read)")]);

		const twice = await post<ErrorBody>(t, `/api/v1/tasks/${id}/resume`, {});
		expect(twice.status).toBe(409);
		expect(twice.body.error).toMatchObject({ type: "TASK_NOT_RESUMABLE", data: { taskId: id, status: "succeeded" } });
	});

	it("a run whose retry would begin past its time limit ends TASK_TIMEOUT (504) naming the limit, without waiting for it", async () => {
		// The model asks for 5 s of quiet; the task has 400 ms.
		openai.script({ kind: "error", status: 503, message: "overloaded", retryAfterSeconds: 5 });
		const started = Date.now();
		const { status, body } = await task(t, "timer", { task: { type: "loop", prompt: "wait" }, timeoutMs: 400 });
		expect(Date.now() - started).toBeLessThan(4_000);

		expect(status).toBe(504);
		expect(body.error).toMatchObject({ type: "TASK_TIMEOUT", data: { agentId: "timer", timeoutMs: 400 } });
		const [ended] = (await t.json<TaskPage>("/api/v1/tasks?agentId=timer&status=failed")).items;
		expect((await detail(ended.id)).error).toMatchObject({ type: "TASK_TIMEOUT", data: { timeoutMs: 400 } });
		expect(chats()).toHaveLength(1);
	});

	it("an attempt cut off by the time limit reports the task's whole limit, not what the attempt had left", async () => {
		openai.script({ kind: "delay", ms: 150, then: { kind: "error", status: 500, message: "the model is down" } }, { kind: "hang" });
		const { status, body } = await task(t, "timer", { task: { type: "loop", prompt: "slow" }, timeoutMs: 1000 });

		expect(status).toBe(504);
		expect(body.error).toMatchObject({ type: "TASK_TIMEOUT", data: { agentId: "timer", timeoutMs: 1000 } });
		expect(chats()).toHaveLength(2);
	});

	it("an agent stopped under a run leaves it queued, and the run goes on from its journal when the agent starts again", async () => {
		await spawnAgent(t, durableManifest("sleeper"));
		site.hold("/g2");
		openai.script(fetchCall("/g1"), fetchCall("/g2"), { kind: "text", text: "woke up" });
		const accepted = await task(t, "sleeper", { task: { type: "loop", prompt: "nap" }, async: true });
		expect(accepted.status).toBe(202);
		const id = accepted.body.taskId;
		await eventually("the request for /g2", () => site.waiting("/g2"), 15_000, 20);

		const stopping = post(t, "/api/v1/agents/sleeper/stop", {});
		await eventually("the agent to stop", async () => (await agent(t, "sleeper")).state === "stopped");
		site.release("/g2");
		expect((await stopping).status).toBe(200);
		await eventually("the run to wait for its agent", async () => (await detail(id)).status === "queued");
		expect(chats()).toHaveLength(2);

		expect((await post(t, "/api/v1/agents/sleeper/start", {})).status).toBe(200);
		let run: TaskDetail | undefined;
		await eventually("the run to finish", async () => (run = await detail(id)).status === "succeeded");
		expect(run!.result).toEqual({ answer: "woke up", pages: ["page /g1", "page /g2"] });
		expect([site.hits("/g1"), site.hits("/g2")]).toEqual([1, 1]);
		expect(chats().map(r => lastUserText(r.body))).toEqual([0, 1, 2].map(n => `nap (turn ${n + 1}, ${n} pages read)`));
		expect(run!.steps.map(s => s.action)).toEqual(["mal.chat", "tools.invoke", "mal.chat", "tools.invoke", "mal.chat"]);
	});

	it("durable: false journals nothing, and a worker that dies under a task fails it", async () => {
		await spawnAgent(t, echoManifest("fragile", { durable: false, permissions: ["llm.execute"] }));
		openai.script({ kind: "text", text: "plain answer" });
		const chat = await task(t, "fragile", { task: { type: "llm", prompt: "hi" } });
		expect(chat.status).toBe(200);
		expect(await detail(chat.body.taskId)).toMatchObject({ status: "succeeded", durable: false, attempts: 0, steps: [], costUsd: 0 });

		const crash = await task(t, "fragile", { task: { type: "crash" } });
		expect(crash.status).toBe(503);
		expect(crash.body.error.type).toBe("WORKER_CRASHED");
		const [failed] = (await t.json<TaskPage>("/api/v1/tasks?agentId=fragile&status=failed")).items;
		expect(await detail(failed.id)).toMatchObject({ status: "failed", durable: false, steps: [], error: { type: "WORKER_CRASHED" } });
		const resume = await post<ErrorBody>(t, `/api/v1/tasks/${failed.id}/resume`, {});
		expect(resume.status).toBe(409);
		expect(resume.body.error).toMatchObject({ type: "TASK_NOT_RESUMABLE", data: { durable: false } });
	});
});
