/**
 * Durable runs when a whole node dies: nodes are processes of their own (`agent-os start`
 * from dist), killed with SIGKILL while a run waits on a page the test holds. The run's
 * next node (the same node started again on its data dir, or a survivor of a three-node
 * cluster on PostgreSQL over NATS) claims it and finishes it from its journal.
 */
import fs from "node:fs";
import type { AgentView } from "../../lib/cluster/agent-view";
import type { ClusterStatus } from "../../lib/cluster/cluster-view";
import type { TaskDetail, TaskPage } from "../../actors/task-store";
import { FAST_AGENT_ENV, FIXTURE_AGENTS } from "../support/agents";
import { startCountingSite, type CountingSite } from "../support/counting-site";
import { lastUserText, type Step } from "../support/llm-wire/script";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { startNats, type NatsServer } from "../support/nats-server";
import { startNodeProcess, type NodeProcess } from "../support/node-process";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";
import { eventually, tempDataDir } from "../support/test-node";

const TOKEN = "durable-runs-nodes-token-0123456789";

const manifest = (id: string) => ({
	id,
	name: `Durable ${id}`,
	entryPoint: `${FIXTURE_AGENTS}/durable.js`,
	trustLevel: "autonomous",
	permissions: ["llm.execute", "tools.execute", "network.fetch"]
});

/** The model server, the site, and what both saw: shared by the two describes, one run each. */
let openai: OpenAIServer;
let site: CountingSite;

beforeAll(async () => {
	[openai, site] = await Promise.all([startOpenAIServer({ apiKey: "sk-nodes" }), startCountingSite()]);
});
afterAll(async () => {
	await Promise.all([openai?.stop(), site?.stop()]);
});

const modelEnv = () => ({
	...FAST_AGENT_ENV,
	OPENAI_API_KEY: "sk-nodes",
	OPENAI_BASE_URL: openai.url,
	ALLOWED_DOMAINS: site.host,
	TASK_RETRY_DELAY_MS: "50",
	TASK_RECOVERY_INTERVAL_MS: "200"
});
const fetchCall = (path: string): Step => ({ kind: "tool_calls", calls: [{ name: "http_fetch", arguments: { url: `${site.origin}${path}` } }] });
/** Drops what an earlier run left of the script (a cancelled run leaves its last turns) and what the server saw. */
const freshScript = () => {
	openai.clearScript();
	openai.requests.length = 0;
};
const turns = () => openai.requests.filter(r => r.path === "/v1/chat/completions").map(r => lastUserText(r.body));
const post = (n: NodeProcess, route: string, body: unknown) => n.request(route, { method: "POST", body: JSON.stringify(body) });

async function spawn(n: NodeProcess, id: string): Promise<AgentView> {
	const res = await post(n, "/api/v1/agents", { manifest: manifest(id) });
	if (res.status !== 201) throw new Error(`spawn ${id}: ${res.status} ${await res.text()}`);
	return (await res.json()) as AgentView;
}

/** Sends `prompt` as an async task (202) whose second page the site holds; resolves once the run waits on it. */
async function startHeldRun(n: NodeProcess, agentId: string, prompt: string, held: string): Promise<string> {
	site.hold(held);
	const res = await post(n, `/api/v1/agents/${agentId}/tasks`, { task: { type: "loop", prompt }, async: true });
	expect(res.status).toBe(202);
	const { taskId, status } = (await res.json()) as { taskId: string; status: string };
	expect(status).toBe("queued");
	await eventually(`the request for ${held}`, () => site.waiting(held), 20_000, 20);
	expect(await n.json<TaskDetail>(`/api/v1/tasks/${taskId}`)).toMatchObject({ status: "running", attempts: 1 });
	return taskId;
}


/** What a user sees of a finished run that was resumed once, after its node died at the held page. */
function expectResumedOnce(run: TaskDetail, prompt: string, pages: string[]): void {
	expect(run).toMatchObject({ status: "succeeded", durable: true, attempts: 2, result: { answer: "done", pages: pages.map(p => `page ${p}`) } });
	expect(run.steps.map(s => s.action)).toEqual(["mal.chat", "tools.invoke", "mal.chat", "tools.invoke", "mal.chat"]);
	// Each model turn was asked once; the first page once. The second page's step was under way
	// when its node died, never completed, so it was made again by the next node.
	expect(turns()).toEqual([0, 1, 2].map(n => `${prompt} (turn ${n + 1}, ${n} pages read)`));
	expect(site.hits(pages[0])).toBe(1);
	expect(site.hits(pages[1])).toBe(2);
}

describe("a node killed (kill -9) under an async task, started again on the same data dir", () => {
	let dataDir: string;
	const started: NodeProcess[] = [];

	beforeAll(() => {
		dataDir = tempDataDir();
	});
	afterAll(async () => {
		await Promise.all(started.map(n => n.stop()));
		fs.rmSync(dataDir, { recursive: true, force: true });
	});

	it("finishes the task on the restarted node without redoing a completed step", async () => {
		freshScript();
		const env = { ...modelEnv(), AGENTOS_DATA_DIR: dataDir };
		const first = await startNodeProcess("durable-solo", env, TOKEN);
		started.push(first);
		await spawn(first, "solo");
		openai.script(fetchCall("/s1"), fetchCall("/s2"), { kind: "text", text: "done" });
		const taskId = await startHeldRun(first, "solo", "solo", "/s2");

		await first.kill();
		site.release("/s2");
		const again = await startNodeProcess("durable-solo", env, TOKEN);
		started.push(again);
		let run: TaskDetail | undefined;
		await eventually("the task to finish on the restarted node", async () => (run = await again.json<TaskDetail>(`/api/v1/tasks/${taskId}`)).status === "succeeded", 30_000);
		expectResumedOnce(run!, "solo", ["/s1", "/s2"]);
	}, 90_000);
});

describe("a node of a three-node cluster on PostgreSQL over NATS killed (kill -9) under a run", () => {
	let nats: NatsServer;
	let pg: PostgresServer;
	const nodes: NodeProcess[] = [];

	beforeAll(async () => {
		[nats, pg] = await Promise.all([startNats(), startPostgres()]);
		const env = {
			...modelEnv(),
			TRANSPORTER: nats.url,
			DATABASE_URL: await createDatabase(pg, "durable_runs"),
			CLUSTER_NODE_TIMEOUT_MS: "2000",
			CLUSTER_LEADER_LEASE_MS: "1500",
			LLM_MAX_RETRIES: "0",
			LLM_BREAKER_HALF_OPEN_MS: "100"
		};
		nodes.push(await startNodeProcess("durable-1", env, TOKEN));
		nodes.push(...(await Promise.all([startNodeProcess("durable-2", env, TOKEN), startNodeProcess("durable-3", env, TOKEN)])));
		await eventually("three nodes", async () => (await nodes[0].json<ClusterStatus>("/api/v1/cluster")).nodes.filter(n => n.available).length === 3, 30_000);
	}, 120_000);
	afterAll(async () => {
		await Promise.all(nodes.map(n => n.stop()));
		await Promise.all([nats?.stop(), pg?.destroy()]);
	});

	it("a run is cancelled, parked and resumed through a node other than the one running it", async () => {
		freshScript();
		const placed = await spawn(nodes[0], "remote");
		const host = nodes.find(n => n.id === placed.node)!;
		const gateway = nodes.find(n => n !== host)!;
		const ask = (prompt: string) => post(gateway, "/api/v1/agents/remote/tasks", { task: { type: "loop", prompt } });

		// Cancelled through the gateway while its agent's node waits on a page: the caller hears at once, the agent stops.
		site.hold("/w2");
		openai.script(fetchCall("/w1"), fetchCall("/w2"), { kind: "text", text: "never asked for" });
		const pending = ask("halt");
		await eventually("the request for /w2", () => site.waiting("/w2"), 20_000, 20);
		const [{ id: cancelledId }] = (await gateway.json<TaskPage>("/api/v1/tasks?agentId=remote&status=running")).items;
		const cancel = await post(gateway, `/api/v1/tasks/${cancelledId}/cancel`, {});
		expect({ status: cancel.status, body: await cancel.json() }).toMatchObject({ status: 200, body: { status: "cancelled" } });
		const refused = await pending;
		expect({ status: refused.status, body: await refused.json() }).toMatchObject({ status: 409, body: { error: { type: "TASK_CANCELLED" } } });
		site.release("/w2");
		await eventually("the agent to be idle", async () => (await host.json<AgentView>("/api/v1/agents/remote")).mailbox?.running === 0);
		expect(turns()).toHaveLength(2);

		// Parked after three failures of its third step, resumed through the gateway: the agent's node takes it.
		freshScript();
		const down: Step = { kind: "error", status: 500, message: "the model is down" };
		openai.script(fetchCall("/v1"), down, down, down);
		const failed = await ask("again");
		const error = ((await failed.json()) as { error: { type: string; data: { taskId: string; step: number } } }).error;
		expect({ status: failed.status, type: error.type, step: error.data.step }).toEqual({ status: 502, type: "TASK_STEP_FAILED", step: 3 });
		openai.script({ kind: "text", text: "back" });
		expect((await post(gateway, `/api/v1/tasks/${error.data.taskId}/resume`, {})).status).toBe(200);
		let run: TaskDetail | undefined;
		await eventually("the resumed run to succeed", async () => (run = await gateway.json<TaskDetail>(`/api/v1/tasks/${error.data.taskId}`)).status === "succeeded");
		expect(run!).toMatchObject({ attempts: 4, result: { answer: "back", pages: ["page /v1"] } });
		expect(site.hits("/v1")).toBe(1);
		expect(turns()).toEqual(["again (turn 1, 0 pages read)", ...Array(4).fill("again (turn 2, 1 pages read)")]);
	}, 60_000);

	it("the run finishes on a survivor once the agent is placed there", async () => {
		freshScript();
		const placed = await spawn(nodes[0], "traveller");
		const host = nodes.find(n => n.id === placed.node)!;
		const [gateway, other] = nodes.filter(n => n !== host);
		openai.script(fetchCall("/t1"), fetchCall("/t2"), { kind: "text", text: "done" });
		// Sent through another node than the agent's: the run is written there and taken by the agent's node.
		const taskId = await startHeldRun(gateway, "traveller", "travel", "/t2");

		await host.kill();
		site.release("/t2");
		let run: TaskDetail | undefined;
		await eventually("the task to finish on a survivor", async () => (run = await other.json<TaskDetail>(`/api/v1/tasks/${taskId}`)).status === "succeeded", 30_000);
		expectResumedOnce(run!, "travel", ["/t1", "/t2"]);
		const moved = await gateway.json<AgentView>("/api/v1/agents/traveller");
		expect([gateway.id, other.id]).toContain(moved.node);
	}, 90_000);

	it("a caller waiting on another node for the run gets its result from the survivor", async () => {
		freshScript();
		const live = nodes.filter(n => n.child.exitCode === null && n.child.signalCode === null);
		const placed = await spawn(live[0], "courier");
		const host = live.find(n => n.id === placed.node)!;
		const gateway = live.find(n => n !== host)!;
		site.hold("/u2");
		openai.script(fetchCall("/u1"), fetchCall("/u2"), { kind: "text", text: "done" });
		const pending = post(gateway, "/api/v1/agents/courier/tasks", { task: { type: "loop", prompt: "carry" } });
		await eventually("the request for /u2", () => site.waiting("/u2"), 20_000, 20);

		await host.kill();
		site.release("/u2");
		const res = await pending;
		const body = (await res.json()) as { taskId: string; result: unknown };
		expect({ status: res.status, result: body.result }).toEqual({ status: 200, result: { answer: "done", pages: ["page /u1", "page /u2"] } });
		expectResumedOnce(await gateway.json<TaskDetail>(`/api/v1/tasks/${body.taskId}`), "carry", ["/u1", "/u2"]);
		expect((await gateway.json<AgentView>("/api/v1/agents/courier")).node).toBe(gateway.id);
	}, 90_000);
});
