import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { CONFIG_SCHEMA } from "../../lib/kernel/config-schema";
import type { HealthReport } from "../../services/health.service";
import { freePort } from "../support/free-port";
import { eventually, tempDataDir } from "../support/test-node";

const root = path.resolve(__dirname, "../..");
const SHUTDOWN_TIMEOUT_MS = 5000;

interface Started {
	child: ChildProcess;
	url: string;
	output: () => string;
	exited: Promise<number | null>;
}

const launched: ChildProcess[] = [];
afterAll(() => {
	for (const child of launched) {
		try {
			process.kill(-child.pid!, "SIGKILL");
		} catch {
			// Already gone.
		}
	}
});

/** The environment a user has: none of AgentOS's variables but the ones given. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
	const env = { ...process.env };
	for (const key of Object.keys(CONFIG_SCHEMA)) delete env[key];
	delete env.NODE_OPTIONS;
	return { ...env, LOG_FORMAT: "json", SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), ...extra };
}

function launch(command: string, args: string[], env: Record<string, string>): Omit<Started, "url"> {
	// Its own process group, so a failed test can clean up everything it started.
	const child = spawn(command, args, { cwd: root, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"], detached: true });
	launched.push(child);
	let output = "";
	child.stdout!.on("data", d => (output += d));
	child.stderr!.on("data", d => (output += d));
	const exited = new Promise<number | null>(resolve => child.on("exit", code => resolve(code)));
	return { child, output: () => output, exited };
}

async function startAndWait(command: string, args: string[], env: Record<string, string>): Promise<Started> {
	const port = await freePort();
	const started = launch(command, args, { ...env, PORT: String(port) });
	const url = `http://127.0.0.1:${port}`;
	await eventually(
		"the node's /health to answer 200",
		async () => (await fetch(`${url}/health`).catch(() => undefined))?.status === 200,
		90000,
		200
	);
	return { ...started, url };
}

async function stop(s: Started): Promise<{ code: number | null; ms: number }> {
	const t0 = Date.now();
	s.child.kill("SIGTERM");
	const code = await s.exited;
	return { code, ms: Date.now() - t0 };
}

describe("npm start, as a user runs it", () => {
	const dataDir = tempDataDir();
	let instanceId: string;
	let token: string;

	it("boots on embedded defaults, prints where to go next, and stops cleanly on SIGTERM", async () => {
		const node = await startAndWait("npm", ["start", "--silent"], { AGENTOS_DATA_DIR: dataDir });
		try {
			const health = (await (await fetch(`${node.url}/health`)).json()) as HealthReport;
			expect(health.status).toBe("ok");
			expect(Object.keys(health.subsystems).sort()).toEqual(["cacher", "database", "transporter", "vectorStore"]);
			instanceId = health.instanceId!;

			await eventually("the banner", () => node.output().includes("Stop       Ctrl-C"));
			expect(node.output()).toContain(`Gateway    ${node.url}`);
			// Booting logged nothing after the banner, every entry is one JSON line, and Moleculer's per-service lines are debug.
			expect(node.output().trimEnd().endsWith("Stop       Ctrl-C")).toBe(true);
			const entries = node.output().slice(0, node.output().indexOf("AgentOS ")).split("\n").filter(l => l.trim() !== "");
			for (const line of entries) expect(() => JSON.parse(line)).not.toThrow();
			expect(node.output()).not.toContain("service is registered");
			const tokenFile = path.join(dataDir, "admin-token");
			token = fs.readFileSync(tokenFile, "utf8").trim();
			expect(node.output()).toContain(`API token  ${token}  (generated now; kept in ${tokenFile})`);
			// The console's address, and a sign-in link with the token in the fragment (never sent to the server).
			expect(node.output()).toContain(`Console    ${node.url}/\n`);
			expect(node.output()).toContain(`Sign in    ${node.url}/#token=${encodeURIComponent(token)}\n`);
			expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);

			const api = await fetch(`${node.url}/api/v1/node`, { headers: { authorization: `Bearer ${token}` } });
			expect(api.status).toBe(200);

			// The README's first agent: the shipped example, spawned with the default configuration.
			const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
			const manifest = JSON.parse(fs.readFileSync(path.join(root, "agents/hello/manifest.json"), "utf8"));
			const spawned = await fetch(`${node.url}/api/v1/agents`, { method: "POST", headers: auth, body: JSON.stringify({ manifest }) });
			expect(spawned.status).toBe(201);
			expect(await spawned.json()).toMatchObject({ id: "hello", state: "running" });
			const greet = await fetch(`${node.url}/api/v1/agents/hello/tasks`, { method: "POST", headers: auth, body: JSON.stringify({ task: { type: "greet", name: "Ada" } }) });
			expect(await greet.json()).toMatchObject({ status: "succeeded", result: { greeting: "Hello, Ada!", greetings: 1 } });

			// The default agents are deployed and running, and the banner says so.
			expect(node.output()).toContain("Agents     researcher, monitor, coder");
			const running = async () => ((await (await fetch(`${node.url}/api/v1/agents?state=running`, { headers: auth })).json()) as { items: { id: string }[] }).items.map(a => a.id).sort();
			await eventually("the default agents to run", async () => (await running()).length === 4);
			expect(await running()).toEqual(["coder", "hello", "monitor", "researcher"]);
		} finally {
			const { code, ms } = await stop(node);
			expect(code).toBe(0);
			expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
		}
	});

	it("keeps its data, identity and token across a restart, without printing the token again", async () => {
		const node = await startAndWait("node", ["dist/cli/agent-os.js", "start"], { AGENTOS_DATA_DIR: dataDir });
		try {
			const health = (await (await fetch(`${node.url}/health`)).json()) as HealthReport;
			expect(health.instanceId).toBe(instanceId);
			await eventually("the banner", () => node.output().includes("Stop       Ctrl-C"));
			expect(node.output()).toContain("API token  kept in");
			expect(node.output()).toContain(`Sign in    open ${node.url}/ and paste the API token (from ${path.join(dataDir, "admin-token")})`);
			expect(node.output()).not.toContain(token);
			expect((await fetch(`${node.url}/api/v1/node`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
			// The agent spawned before the restart is back, with its state.
			const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
			await eventually("the hello agent to be restored", async () => {
				const view = (await (await fetch(`${node.url}/api/v1/agents/hello`, { headers: auth })).json()) as { state: string };
				return view.state === "running";
			});
			const greet = await fetch(`${node.url}/api/v1/agents/hello/tasks`, { method: "POST", headers: auth, body: JSON.stringify({ task: { type: "greet", name: "Ada" } }) });
			expect(await greet.json()).toMatchObject({ result: { greetings: 2 } });
			// The default agents were kept, not deployed twice.
			expect(((await (await fetch(`${node.url}/api/v1/agents`, { headers: auth })).json()) as { total: number }).total).toBe(4);

			// A second node on the same data dir would corrupt it: it refuses, saying why.
			const second = launch("node", ["dist/cli/agent-os.js", "start"], { AGENTOS_DATA_DIR: dataDir, PORT: String(await freePort()) });
			expect(await second.exited).toBe(1);
			expect(second.output()).toContain(`The data dir ${dataDir} is in use by process ${node.child.pid}`);
		} finally {
			expect((await stop(node)).code).toBe(0);
		}
	});

	it("says in the banner which default agents it could not deploy, instead of listing them as there", async () => {
		const elsewhere = tempDataDir();
		const node = await startAndWait("node", ["dist/cli/agent-os.js", "start"], { AGENTOS_DATA_DIR: tempDataDir(), AGENT_CODE_PATHS: elsewhere });
		try {
			await eventually("the banner", () => node.output().includes("Stop       Ctrl-C"));
			expect(node.output()).toContain("Agents     not deployed: researcher, monitor, coder (the log says why)");
			expect(node.output()).toContain(`is outside the agent code folders (AGENT_CODE_PATHS: ${elsewhere})`);
		} finally {
			expect((await stop(node)).code).toBe(0);
		}
	});

	it("in a terminal, logs one line per entry and leaves the banner last on the screen", async () => {
		// `script` gives the node a terminal, as a person running `agent-os start` has.
		const run = launch("script", ["-qec", "node dist/cli/agent-os.js start", "/dev/null"], { AGENTOS_DATA_DIR: tempDataDir(), PORT: String(await freePort()), LOG_FORMAT: "auto" });
		try {
			await eventually("the banner", () => run.output().includes("Stop       Ctrl-C"), 90000);
			// Anything the node still had to say would come now.
			await new Promise(resolve => setTimeout(resolve, 1500));
			// eslint-disable-next-line no-control-regex
			const screen = run.output().replace(/\x1b\[[0-9;]*m/g, "").split(/\r?\n/).filter(l => l.trim() !== "");
			const banner = screen.findIndex(l => l.startsWith("AgentOS "));
			expect(screen.at(-1)).toBe("  Stop       Ctrl-C");
			expect(screen.slice(banner + 1).every(l => l.startsWith("  "))).toBe(true);
			const entries = screen.slice(0, banner);
			for (const line of entries) expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): \S/);
			expect(entries.some(l => l.includes("Deployed the default agents"))).toBe(true);
			expect(entries.filter(l => /service is registered|Service '.+' started/.test(l))).toEqual([]);
		} finally {
			run.child.kill("SIGTERM");
			await run.exited;
		}
	});

	it("refuses a bad variable with one clear line and exit code 1", async () => {
		const run = launch("node", ["dist/cli/agent-os.js", "start"], { PORT: "eighty", AGENTOS_DATA_DIR: tempDataDir() });
		expect(await run.exited).toBe(1);
		expect(run.output().trim()).toBe('Invalid configuration: PORT must be a whole number from 0 to 65535 (got "eighty")');
	});

	it("refuses insecure defaults in production", async () => {
		const run = launch("node", ["dist/cli/agent-os.js", "start"], { NODE_ENV: "production", AGENTOS_DATA_DIR: tempDataDir() });
		expect(await run.exited).toBe(1);
		expect(run.output()).toContain("Insecure configuration: GATEWAY_AUTH_TOKEN must be set in production");
	});

	it("answers version and help, and rejects an unknown command with exit code 2", async () => {
		const version = launch("node", ["dist/cli/agent-os.js", "version"], {});
		expect(await version.exited).toBe(0);
		expect(version.output().trim()).toBe(JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version);
		const unknown = launch("node", ["dist/cli/agent-os.js", "fly"], {});
		expect(await unknown.exited).toBe(2);
		expect(unknown.output()).toContain('Unknown command "fly"');
	});
});
