/**
 * An asking agent's run resumed after its node died (kill -9) while the agent it asked was
 * at work: the resumed run asks again at the same step, finds its child run and waits for
 * it, so the asked agent's work is done once. A real node process (`agent-os start` from
 * dist) started again on its data dir.
 */
import fs from "node:fs";
import type { TaskDetail } from "../../actors/task-store";
import { FAST_AGENT_ENV, FIXTURE_AGENTS } from "../support/agents";
import { startCountingSite, type CountingSite } from "../support/counting-site";
import { lastUserText, type Step } from "../support/llm-wire/script";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { startNodeProcess, type NodeProcess } from "../support/node-process";
import { eventually, tempDataDir } from "../support/test-node";

const TOKEN = "durable-child-runs-nodes-token-0123456789";

const manifest = (id: string) => ({
	id,
	name: `Durable ${id}`,
	entryPoint: `${FIXTURE_AGENTS}/durable.js`,
	trustLevel: "autonomous",
	permissions: ["llm.execute", "tools.execute", "network.fetch", "a2a.send"]
});

describe("the asking agent's node killed (kill -9) while the agent it asked works", () => {
	let openai: OpenAIServer;
	let site: CountingSite;
	let dataDir: string;
	const started: NodeProcess[] = [];

	const post = (n: NodeProcess, route: string, body: unknown) => n.request(route, { method: "POST", body: JSON.stringify(body) });
	const fetchCall = (path: string): Step => ({ kind: "tool_calls", calls: [{ name: "http_fetch", arguments: { url: `${site.origin}${path}` } }] });
	const turns = () => openai.requests.filter(r => r.path === "/v1/chat/completions").map(r => lastUserText(r.body));

	beforeAll(async () => {
		[openai, site] = await Promise.all([startOpenAIServer({ apiKey: "sk-child-nodes" }), startCountingSite()]);
		dataDir = tempDataDir();
	});
	afterAll(async () => {
		await Promise.all(started.map(n => n.stop()));
		await Promise.all([openai?.stop(), site?.stop()]);
		fs.rmSync(dataDir, { recursive: true, force: true });
	});

	it("the resumed asker waits for the child run it started: the asked agent's model and pages are asked for once", async () => {
		const env = {
			...FAST_AGENT_ENV,
			OPENAI_API_KEY: "sk-child-nodes",
			OPENAI_BASE_URL: openai.url,
			ALLOWED_DOMAINS: site.host,
			TASK_RETRY_DELAY_MS: "50",
			TASK_OUTAGE_RETRY_MS: "50",
			TASK_RECOVERY_INTERVAL_MS: "200",
			AGENTOS_DATA_DIR: dataDir
		};
		const first = await startNodeProcess("durable-ask", env, TOKEN);
		started.push(first);
		for (const id of ["asker", "worker"]) expect((await post(first, "/api/v1/agents", { manifest: manifest(id) })).status).toBe(201);
		site.hold("/k2");
		openai.script(fetchCall("/k1"), fetchCall("/k2"), { kind: "text", text: "done" });
		const accepted = await post(first, "/api/v1/agents/asker/tasks", { task: { type: "delegate", to: "worker", task: { type: "loop", prompt: "work" } }, async: true });
		expect(accepted.status).toBe(202);
		const { taskId } = (await accepted.json()) as { taskId: string };
		await eventually("the request for /k2", () => site.waiting("/k2"), 20_000, 20);

		await first.kill();
		site.release("/k2");
		const again = await startNodeProcess("durable-ask", env, TOKEN);
		started.push(again);
		let run: TaskDetail | undefined;
		await eventually("the asker's task to finish on the restarted node", async () => (run = await again.json<TaskDetail>(`/api/v1/tasks/${taskId}`)).status === "succeeded", 45_000);

		// The worker's model turns were each asked once: its run went on from its journal, not again from the start.
		expect(turns()).toEqual([1, 2, 3].map(n => `work (turn ${n}, ${n - 1} pages read)`));
		expect(run!.result).toEqual({ delegated: { answer: "done", pages: ["page /k1", "page /k2"] } });
		// Its first page once; the second was under way when the node died, so it was read again (the documented step in flight).
		expect([site.hits("/k1"), site.hits("/k2")]).toEqual([1, 2]);
		expect(run!).toMatchObject({ attempts: 2, children: [{ agentId: "worker", status: "succeeded" }] });
		const child = await again.json<TaskDetail>(`/api/v1/tasks/${run!.children[0].id}`);
		expect(child).toMatchObject({ status: "succeeded", parentTaskId: taskId, attempts: 2 });
		expect(child.steps.map(s => s.action)).toEqual(["mal.chat", "tools.invoke", "mal.chat", "tools.invoke", "mal.chat"]);
	}, 120_000);
});
