import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { verifyManifest } from "../../actors/manifest-signature";
import { MONITOR_SCHEDULE } from "../../lib/bootstrap/default-agents";
import type { ScheduleView } from "../../lib/cluster/schedule-store";
import type { AgentView } from "../../lib/cluster/agent-view";
import type { ErrorBody } from "../../services/api.service";
import type { Alert } from "../../services/monitoring.service";
import { task } from "../support/agents";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { echo } from "../support/llm-wire/script";
import { eventually, startTestNode, tempDataDir, type TestNode } from "../support/test-node";
import { testTempDir } from "../support/test-tmp";

const SECRET = "default-agents-signing-secret";

const ROVER = `<!doctype html><html><head><title>The Falcon rover</title><script>var tracking = "the rover is slow";</script></head>
<body><nav>Home | Rovers | Landers</nav><h1>The Falcon rover</h1>
<p>The Falcon rover drives at a top speed of 12 kilometres per hour on flat ground.</p>
<p>Its batteries last for nine hours &amp; recharge from solar panels in a day.</p><footer>© Space Museum</footer></body></html>`;
const LANDER = `<!doctype html><html><head><title>The Osprey lander</title></head><body>
<p>The Osprey lander weighs 900 kilograms when fuelled.</p><p>It touched down in the northern crater in 2031.</p></body></html>`;

interface Site {
	url: string;
	up: boolean;
	server: http.Server;
	webhooks: { type: string; alert: Alert }[];
}

async function startSite(): Promise<Site> {
	const site = { up: true, webhooks: [] } as unknown as Site;
	site.server = http.createServer((req, res) => {
		if (req.method === "POST" && req.url === "/webhook") {
			let body = "";
			req.on("data", d => (body += d));
			req.on("end", () => {
				site.webhooks.push(JSON.parse(body));
				res.end("ok");
			});
			return;
		}
		if (req.url === "/status") {
			res.statusCode = site.up ? 200 : 503;
			res.end(site.up ? "fine" : "down for maintenance");
			return;
		}
		const page = req.url === "/rover" ? ROVER : req.url === "/lander" ? LANDER : undefined;
		res.statusCode = page ? 200 : 404;
		res.setHeader("content-type", "text/html; charset=utf-8");
		res.end(page ?? "<p>not here</p>");
	});
	await new Promise<void>(resolve => site.server.listen(0, "127.0.0.1", resolve));
	site.url = `http://127.0.0.1:${(site.server.address() as AddressInfo).port}`;
	return site;
}

/** A small repository the coder may read and run commands in. */
function fixtureRepo(): string {
	const workspace = testTempDir("agentos-coder-");
	const repo = path.join(workspace, "shop");
	fs.mkdirSync(path.join(repo, "src"), { recursive: true });
	fs.writeFileSync(path.join(repo, "README.md"), "# Shop\n\nA tiny shop service.\n");
	fs.writeFileSync(path.join(repo, "package.json"), JSON.stringify({ name: "shop", version: "1.2.3", scripts: { test: "node test.js" } }));
	fs.writeFileSync(path.join(repo, "src/cart.ts"), "export const total = (prices: number[]) => prices.reduce((a, b) => a + b, 0);\n");
	fs.writeFileSync(path.join(repo, "src/index.ts"), 'export { total } from "./cart";\n');
	execFileSync("git", ["init", "-q"], { cwd: repo });
	return repo;
}

type ResearchResult = { answer: string; claims: { claim: string; urls: string[] }[]; sources: { n: number; url: string }[]; remembered: number; recalled: number; model: string | null };

describe("default agents on the embedded node, offline", () => {
	let t: TestNode;
	let site: Site;
	let repo: string;
	const alerts: Alert[] = [];
	const env = (): Record<string, string> => ({
		AGENTOS_BOOTSTRAP_AGENTS: "true",
		AGENTOS_DATA_DIR: dataDir,
		MANIFEST_SIGNING_SECRET: SECRET,
		ALLOWED_DOMAINS: new URL(site.url).host,
		ALLOWED_PATHS: path.dirname(repo),
		ALLOWED_COMMANDS: "git,ls",
		MONITOR_AGENT_URLS: `${site.url}/status`,
		MONITOR_AGENT_INTERVAL_MS: "3600000",
		ALERT_WEBHOOK_URL: `${site.url}/webhook`
	});
	const dataDir = tempDataDir();

	beforeAll(async () => {
		site = await startSite();
		repo = fixtureRepo();
		t = await startTestNode(env());
		t.node.broker.createService({ name: "alert-watcher", events: { "monitor.alert": { handler: ctx => void alerts.push(ctx.params as Alert) } } });
	});
	afterAll(async () => {
		await t?.stop();
		site?.server.close();
	});

	it("deploys researcher, monitor and coder at start, signed, with the monitor's schedule", async () => {
		const result = await t.node.defaultAgents;
		expect(result).toEqual({ deployed: ["researcher", "monitor", "coder"], kept: [], failed: [] });
		const { items } = await t.json<{ items: AgentView[] }>("/api/v1/agents");
		expect(items.map(a => [a.id, a.state])).toEqual([
			["researcher", "running"],
			["monitor", "running"],
			["coder", "running"]
		]);
		const { rows } = await t.node.kernel.db.query<{ raw_manifest: Record<string, unknown> }>("SELECT raw_manifest FROM agents WHERE id = 'researcher'");
		expect(verifyManifest(rows[0].raw_manifest, SECRET)).toBe(true);
		const schedules = (await t.json<{ items: ScheduleView[] }>("/api/v1/schedules")).items.filter(s => s.name === MONITOR_SCHEDULE);
		expect(schedules).toEqual([expect.objectContaining({ intervalMs: 3600000, target: { kind: "agent", agent: "monitor", task: { type: "check" } } })]);
	});

	it("researcher: reads the pages, answers citing the right URL, and recalls the findings later", async () => {
		const { status, body } = await task<ResearchResult>(t, "researcher", {
			task: { type: "research_query", question: "How fast can the Falcon rover drive?", urls: [`${site.url}/rover`, `${site.url}/lander`] }
		});
		expect(status).toBe(200);
		const r = body.result;
		expect(r.answer).toContain("12 kilometres per hour");
		expect(r.answer).not.toContain("tracking"); // scripts are not text
		expect(r.claims.length).toBeGreaterThan(0);
		for (const c of r.claims) expect(c.urls).toEqual([`${site.url}/rover`]);
		expect(r.claims.find(c => c.claim.includes("12 kilometres per hour"))).toBeDefined();
		expect(r.remembered).toBeGreaterThan(0);

		// No URLs this time: the answer comes from what it remembered of the lander page.
		const later = await task<ResearchResult>(t, "researcher", { task: { type: "research_query", question: "How much does the Osprey lander weigh?" } });
		expect(later.status).toBe(200);
		expect(later.body.result.recalled).toBeGreaterThan(0);
		expect(later.body.result.answer).toContain("900 kilograms");
		const claim = later.body.result.claims.find(c => c.claim.includes("900 kilograms"));
		expect(claim?.urls).toEqual([`${site.url}/lander`]);
	});

	it("researcher: a page outside the allowlist is reported, not fetched", async () => {
		const { body } = await task<ResearchResult & { fetched: { url: string; ok: boolean; error?: string }[] }>(t, "researcher", {
			task: { type: "research_query", question: "What does the Falcon rover run on?", urls: ["http://10.0.0.1/secret", `${site.url}/rover`] }
		});
		expect(body.result.fetched[0]).toMatchObject({ url: "http://10.0.0.1/secret", ok: false, error: expect.stringContaining("not on the allowed domains") });
		expect(body.result.claims.every(c => c.urls.every(u => u === `${site.url}/rover`))).toBe(true);
	});

	it("monitor: one alert when a URL goes down, none while it stays down, one when it comes back", async () => {
		const check = async () => (await task<{ alerts: { check: string; state: string; webhook: string }[]; unhealthy: { check: string }[] }>(t, "monitor", { task: { type: "check" } })).body.result;
		const key = `url:${site.url}/status`;
		expect((await check()).alerts).toEqual([]);
		site.up = false;
		const first = await check(); // one failure is not yet an alert
		expect(first.unhealthy.map(u => u.check)).toContain(key);
		expect(first.alerts).toEqual([]);
		expect((await check()).alerts).toEqual([{ id: expect.any(String), check: key, state: "down", severity: "critical", webhook: "sent" }]);
		expect((await check()).alerts).toEqual([]);
		site.up = true;
		expect((await check()).alerts).toEqual([expect.objectContaining({ check: key, state: "up", webhook: "sent" })]);
		expect((await check()).alerts).toEqual([]);

		await eventually("the alert events", () => alerts.length === 2);
		expect(alerts.map(a => [a.check, a.state, a.agentId])).toEqual([
			[key, "down", "monitor"],
			[key, "up", "monitor"]
		]);
		expect(site.webhooks.map(w => [w.type, w.alert.state])).toEqual([
			["monitor.alert", "down"],
			["monitor.alert", "up"]
		]);
		await eventually("the audit entries", async () => (await t.json<{ items: unknown[] }>("/api/v1/audit?action=monitor.alert")).items.length === 2);
		const memories = await t.json<{ items: { content: string }[] }>("/api/v1/agents/monitor/memories?type=episodic");
		expect(memories.items.some(m => m.content.includes(`Alerts: ${key} down`))).toBe(true);
	});

	it("coder: summarises a repository, runs an allowed command, refuses others", async () => {
		const summary = await task<{ overview: string; summary: { files: number } }>(t, "coder", { task: { type: "repo_summary", path: repo } });
		expect(summary.status).toBe(200);
		expect(summary.body.result.summary.files).toBe(4);
		expect(summary.body.result.overview).toMatch(/TypeScript \(2 files\)/);
		expect(summary.body.result.overview).toContain("package.json declares shop 1.2.3");

		const run = await task<{ exitCode: number; stdout: string; ok: boolean }>(t, "coder", { task: { type: "run_command", command: "git", args: ["status", "--short"], cwd: repo } });
		expect(run.status).toBe(200);
		expect(run.body.result).toMatchObject({ exitCode: 0, ok: true });
		expect(run.body.result.stdout).toContain("?? README.md");

		const refused = await task<ErrorBody>(t, "coder", { task: { type: "run_command", command: "rm", args: ["-rf", repo] } });
		expect(refused.status).toBe(502);
		expect(refused.body.error).toMatchObject({ type: "AGENT_TASK_FAILED", message: expect.stringContaining('coder does not run "rm -rf') });
		// On the coder's list, but not on the node's ALLOWED_COMMANDS: the node refuses too, and its refusal reaches the caller as it is.
		const notOnNode = await task<ErrorBody>(t, "coder", { task: { type: "run_command", command: "npm", args: ["test"], cwd: repo } });
		expect(notOnNode.status).toBe(403);
		expect(notOnNode.body.error.message).toContain("not on the allowed commands");
		expect(fs.existsSync(repo)).toBe(true);
	});

	it("keeps the default agents across a restart, without duplicates", async () => {
		await t.stop();
		t = await startTestNode(env());
		expect(await t.node.defaultAgents).toEqual({ deployed: [], kept: ["researcher", "monitor", "coder"], failed: [] });
		const { items, total } = await t.json<{ items: AgentView[]; total: number }>("/api/v1/agents");
		expect(total).toBe(3);
		await eventually("the agents to be back", async () => (await t.json<{ items: AgentView[] }>("/api/v1/agents")).items.every(a => a.state === "running"));
		expect(items.map(a => a.id)).toEqual(["researcher", "monitor", "coder"]);
		expect((await t.json<{ items: ScheduleView[] }>("/api/v1/schedules")).items.filter(s => s.name === MONITOR_SCHEDULE)).toHaveLength(1);
	});

	it("deploys nothing with AGENTOS_BOOTSTRAP_AGENTS=false", async () => {
		const bare = await startTestNode({ AGENTOS_BOOTSTRAP_AGENTS: "false" });
		try {
			await bare.node.ready;
			expect(await bare.node.defaultAgents).toBeNull();
			expect((await bare.json<{ total: number }>("/api/v1/agents")).total).toBe(0);
		} finally {
			await bare.stop();
		}
	});
});

describe("the default agents' own tests", () => {
	it.each(["researcher", "monitor", "coder", "templates/basic"])("node --test agents/%s/test.js passes", folder => {
		const run = spawnSync(process.execPath, ["--test", path.resolve(__dirname, "../../agents", folder, "test.js")], { encoding: "utf8", env: { PATH: process.env.PATH } });
		expect(run.stdout).toMatch(/^# fail 0$/m);
		expect(run.status).toBe(0);
	});
});

describe("default agents with a scripted model", () => {
	let openai: OpenAIServer;
	let site: Site;
	let t: TestNode;

	beforeAll(async () => {
		[openai, site] = await Promise.all([startOpenAIServer({ apiKey: "sk-test" }), startSite()]);
		t = await startTestNode({ AGENTOS_BOOTSTRAP_AGENTS: "true", OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: openai.url, ALLOWED_DOMAINS: new URL(site.url).host, LLM_RETRY_BASE_MS: "10" });
		await t.node.defaultAgents;
	});
	afterAll(async () => {
		await t?.stop();
		await Promise.all([openai?.stop(), site?.server.close()]);
	});
	beforeEach(() => openai.clearScript());
	// Memory's embeddings go to the same server; only chat requests are the model's turns.
	const chats = () => openai.requests.filter(r => r.path === "/v1/chat/completions");

	it("researcher has the model write the answer from the numbered sources", async () => {
		openai.script({ kind: "text", text: "The Falcon rover reaches 12 km/h on flat ground [1]. It runs for nine hours [1]." });
		const { body } = await task<ResearchResult>(t, "researcher", { task: { type: "research_query", question: "How fast is the Falcon rover?", urls: [`${site.url}/rover`] } });
		expect(body.result.model).toMatch(/^openai\//);
		expect(body.result.claims).toEqual([
			{ claim: "The Falcon rover reaches 12 km/h on flat ground.", urls: [`${site.url}/rover`] },
			{ claim: "It runs for nine hours.", urls: [`${site.url}/rover`] }
		]);
		const prompt = JSON.stringify(chats().at(-1)!.body.messages);
		expect(prompt).toContain(`[1] ${site.url}/rover`);
		expect(prompt).toContain("12 kilometres per hour");
	});

	it("runs the tool-calling loop when it has no sources: tool call, result, answer", async () => {
		openai.script(
			{ kind: "tool_calls", calls: [{ name: "builtin_http_fetch", arguments: { url: `${site.url}/lander` } }] },
			{ kind: "text", text: `The Osprey lander weighs 900 kg (${site.url}/lander).` }
		);
		const { status, body } = await task<ResearchResult & { stopReason: string; steps: number }>(t, "researcher", { task: { type: "research_query", question: "What does the Osprey weigh?" } });
		expect(status).toBe(200);
		// One step of tool calls, then the answer.
		expect(body.result).toMatchObject({ stopReason: "answer", steps: 1, answer: `The Osprey lander weighs 900 kg (${site.url}/lander).`, sources: [{ n: 1, url: `${site.url}/lander`, title: null }] });
		// The page went back to the model as the tool's result.
		expect(JSON.stringify(chats().at(-1)!.body.messages)).toContain("900 kilograms");
	});

	it("stops the loop at the maximum number of steps", async () => {
		openai.setDefault({ kind: "tool_calls", calls: [{ name: "builtin_http_fetch", arguments: { url: `${site.url}/rover` } }] });
		try {
			const before = chats().length;
			const { body } = await task<{ stopReason: string; steps: number; answer: string | null }>(t, "researcher", { task: { type: "research_query", question: "Who built the Mercury probe?", maxSteps: 3 } });
			// Three model calls; the tools of the last are not run, since the model would never see their results.
			expect(body.result).toMatchObject({ stopReason: "max_steps", steps: 2, answer: null });
			expect(chats().length - before).toBe(3);
		} finally {
			openai.setDefault(echo);
		}
	});
});
