import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../support/free-port";
import { eventually, tempDataDir } from "../support/test-node";
import { cleanEnv, runCli } from "../support/cli";

const root = path.resolve(__dirname, "../..");
const CLI = "dist/cli/agent-os.js";

const cli = (args: string[], env: Record<string, string>) => runCli(args, env);

describe("the agent-os client commands, against a running node", () => {
	const dataDir = tempDataDir();
	let node: ChildProcess;
	let exited: Promise<number | null>;
	let url: string;
	let env: Record<string, string>;

	beforeAll(async () => {
		const port = await freePort();
		url = `http://127.0.0.1:${port}`;
		env = { AGENTOS_DATA_DIR: dataDir, AGENTOS_URL: url };
		// Its own process group, so a failed test can still kill everything it started.
		node = spawn("node", [CLI, "start"], { cwd: root, env: cleanEnv({ AGENTOS_DATA_DIR: dataDir, PORT: String(port) }), stdio: ["ignore", "pipe", "pipe"], detached: true });
		let output = "";
		node.stdout!.on("data", d => (output += d));
		node.stderr!.on("data", d => (output += d));
		exited = new Promise(resolve => node.on("exit", code => resolve(code)));
		await eventually("the node's /health to answer 200", async () => (await fetch(`${url}/health`).catch(() => undefined))?.status === 200, 90000, 200).catch(err => {
			throw new Error(`${(err as Error).message}; the node said:\n${output}`);
		});
	}, 120000);

	afterAll(async () => {
		if (node.exitCode === null && node.signalCode === null) {
			node.kill("SIGTERM");
			const timer = setTimeout(() => process.kill(-node.pid!, "SIGKILL"), 10000);
			await exited;
			clearTimeout(timer);
		}
	});

	const asToken = (token: string) => fetch(`${url}/api/v1/node`, { headers: { authorization: `Bearer ${token}` } });

	it("creates a token that works, lists it without its value, and revokes it", async () => {
		const created = await cli(["tokens", "create", "--name", "ci", "--scopes", "node:read,agents:read", "--expires-days=30"], env);
		expect(created).toMatchObject({ code: 0 });
		const token = created.stdout.trim();
		expect(token).toMatch(/^aos_\S+$/);
		expect(created.stderr).toContain("only time the token is shown");
		expect((await asToken(token)).status).toBe(200);

		const table = await cli(["tokens", "list"], env);
		expect(table.code).toBe(0);
		expect(table.stdout).toMatch(/^ID\s+NAME\s+SCOPES\s+EXPIRES\s+REVOKED\s+LAST USED/);
		expect(table.stdout).toContain("node:read,agents:read");
		expect(table.stdout).not.toContain(token);
		const listed = await cli(["tokens", "list", "--json"], env);
		expect(listed.stdout).not.toContain(token);
		const record = (JSON.parse(listed.stdout) as { id: string; name: string; revokedAt: string | null }[]).find(t => t.name === "ci")!;
		expect(record.revokedAt).toBeNull();
		expect(table.stdout).toContain(record.id);

		const revoked = await cli(["tokens", "revoke", record.id], env);
		expect(revoked).toMatchObject({ code: 0, stdout: `Revoked token ${record.id} "ci"\n` });
		await eventually("the revoked token to stop working", async () => (await asToken(token)).status === 401);
	});

	it("shows the audit log, verifies its chain and exports it as JSON lines", async () => {
		await eventually("auth.create to reach the audit log", async () => (await cli(["audit", "--action", "auth.create"], env)).stdout.includes("auth.create"));
		const table = await cli(["audit", "--action", "auth.create", "--limit", "5"], env);
		expect(table.stdout).toMatch(/^SEQ\s+TIME\s+PRINCIPAL\s+ACTOR\s+ACTION\s+TARGET\s+OUTCOME\n\d+\s+\S+\s+admin\s+user:admin\s+auth\.create\s+-\s+succeeded/);

		const verify = await cli(["audit", "verify"], env);
		expect(verify.code).toBe(0);
		expect(verify.stdout).toMatch(/^audit chain ok \(\d+ entries checked, checkpoint seq \d+ of \S+\)\n$/);

		const exported = await cli(["audit", "export", "--action=auth.create"], env);
		expect(exported.code).toBe(0);
		const lines = exported.stdout.trim().split("\n").map(l => JSON.parse(l) as { action: string; hash: string });
		expect(lines.length).toBeGreaterThanOrEqual(1);
		for (const line of lines) expect(line).toMatchObject({ action: "auth.create", hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
	});

	it("chats with the model layer, streaming the answer", async () => {
		const chat = await cli(["chat", "What", "is", "AgentOS?"], env);
		expect(chat.code).toBe(0);
		expect(chat.stdout).toContain("(offline model)");
		expect(chat.stderr).toMatch(/\(offline\/offline-extractive, \d+ tokens\)/);
		const unknown = await cli(["chat", "hi", "--model", "no-such-model"], env);
		expect(unknown.code).toBe(3);
		expect(unknown.stderr).toContain("error UNKNOWN_MODEL");
	});

	it("chats with a declarative agent, which keeps the session's history", async () => {
		const manifest = path.join(os.tmpdir(), `keeper-${process.pid}.json`);
		fs.writeFileSync(manifest, JSON.stringify({ id: "cli-keeper", name: "Keeper", instructions: "Answer from what you remember.", memory: { recall: 0 } }));
		expect((await cli(["agents", "spawn", manifest], env)).code).toBe(0);
		const first = await cli(["chat", "--agent", "cli-keeper", "--session", "s", "hello there"], env);
		expect(first.code).toBe(0);
		expect(first.stdout).toContain("(offline model)");
		expect(first.stderr).toMatch(/\(offline\/offline-extractive, \d+ tokens, \$0\.0000, answer\)/);
		await cli(["chat", "--agent", "cli-keeper", "--session", "s", "second message"], env);
		const token = fs.readFileSync(path.join(env.AGENTOS_DATA_DIR, "admin-token"), "utf8").trim();
		const history = (await (await fetch(`${env.AGENTOS_URL}/api/v1/agents/cli-keeper/sessions/s`, { headers: { authorization: `Bearer ${token}` } })).json()) as { total: number };
		expect(history.total).toBe(4);
		const missing = await cli(["chat", "--agent", "nobody", "hi"], env);
		expect(missing.code).not.toBe(0);
		expect(missing.stderr).toContain("Agent nobody not found");
	});

	it("a newcomer's first chat: every default agent answers one, and a chat session shows an error and goes on", async () => {
		const token = fs.readFileSync(path.join(env.AGENTOS_DATA_DIR, "admin-token"), "utf8").trim();
		const api = (route: string, method = "GET") => fetch(`${url}/api/v1${route}`, { method, headers: { authorization: `Bearer ${token}` } });
		const state = async (id: string) => ((await (await api(`/agents/${id}`)).json()) as { state: string }).state;
		for (const id of ["researcher", "monitor", "coder"]) await eventually(`${id} to run`, async () => (await state(id)) === "running", 30000);

		const researched = await cli(["chat", "--agent", "researcher", "What is AgentOS?"], env);
		expect(researched).toMatchObject({ code: 0, stdout: expect.stringContaining("(offline model)") });
		const explained = await cli(["chat", "--agent", "coder", "What does a package.json declare?"], env);
		expect(explained).toMatchObject({ code: 0, stdout: expect.stringContaining("(offline model)") });
		expect(explained.stderr).toContain("(offline/offline-extractive)");

		// An interactive session with the monitor, which is stopped and started under it.
		const child = spawn("node", [CLI, "chat", "--agent", "monitor"], { cwd: root, env: cleanEnv(env), stdio: ["pipe", "pipe", "pipe"] });
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", d => (stdout += d));
		child.stderr.on("data", d => (stderr += d));
		const closed = new Promise<number | null>(resolve => child.on("close", code => resolve(code)));
		const answers = () => stdout.split("I watch ").length - 1;
		try {
			child.stdin.write("what do you watch?\n");
			await eventually("the monitor's answer", () => answers() === 1, 30000);
			expect(stdout).toMatch(/I watch \d+ checks: the node, 1 cluster node, 1 model provider and 0 URLs/);

			expect((await api("/agents/monitor/stop", "POST")).status).toBe(200);
			await eventually("the monitor to stop", async () => (await state("monitor")) === "stopped");
			child.stdin.write("and now?\n");
			await eventually("the refusal", () => /^error [A-Z_]+: .*monitor/m.test(stderr), 30000);
			expect(child.exitCode).toBeNull();

			expect((await api("/agents/monitor/start", "POST")).status).toBe(200);
			await eventually("the monitor to run again", async () => (await state("monitor")) === "running");
			child.stdin.write("and now?\n");
			await eventually("the monitor's second answer", () => answers() === 2, 30000);
			child.stdin.write("/quit\n");
			expect(await closed).toBe(0);
		} finally {
			child.kill();
		}
	});

	it("shows what an agent spawned with a non-admin token waits for, and lets an admin grant it", async () => {
		const token = (await cli(["tokens", "create", "--name", "ops", "--scopes", "agents:write,agents:read,approvals"], env)).stdout.trim();
		const manifest = path.join(dataDir, "scout.json");
		fs.writeFileSync(manifest, JSON.stringify({ id: "cli-scout", name: "Scout", instructions: "Report what you find.", permissions: ["llm.execute", "shell.exec"] }));
		const spawned = await cli(["agents", "spawn", manifest, "--token", token], env);
		expect(spawned.code).toBe(0);
		expect(spawned.stdout).toMatch(/^trust\s+supervised$/m);
		expect(spawned.stdout).toMatch(/^pending\s+shell\.exec$/m);

		const listed = await cli(["approvals", "list"], env);
		expect(listed.stdout).toMatch(/^ID\s+AGENT\s+ACTION\s+WHAT\s+STATUS\s+REQUESTED/);
		expect(listed.stdout).toMatch(/\scli-scout\s+permissions\.grant\s+shell\.exec\s+pending\s/);
		const { items } = JSON.parse((await cli(["approvals", "list", "--json"], env)).stdout) as { items: { id: string; agentId: string }[] };
		const request = items.find(a => a.agentId === "cli-scout")!.id;
		// The approvals scope decides actions; a grant needs an admin.
		const refused = await cli(["approvals", "approve", request, "--token", token], env);
		expect(refused.code).toBe(3);
		expect(refused.stderr).toContain('"admin"');
		const approved = await cli(["approvals", "approve", request, "--note", "it may run git"], env);
		expect(approved).toMatchObject({ code: 0, stdout: "Approved permissions.grant shell.exec for cli-scout\n" });
		expect((await cli(["agents", "get", "cli-scout"], env)).stdout).toMatch(/^pending\s+-$/m);
	});

	it("spawns an agent, lists it running and asks it a task", async () => {
		const spawned = await cli(["agents", "spawn", "agents/hello/manifest.json"], env);
		expect(spawned.code).toBe(0);
		expect(spawned.stdout).toMatch(/^state\s+running$/m);
		// A process worker on a machine that can make a network namespace (root here).
		expect(spawned.stdout).toMatch(/^network\s+isolated \(its code has no network of its own\)$/m);

		const table = await cli(["agents", "list"], env);
		expect(table.stdout).toMatch(/^hello\s+Hello\s+running\s+running\s/m);
		const listed = JSON.parse((await cli(["agents", "list", "--json"], env)).stdout) as { items: { id: string; state: string }[] };
		expect(listed.items).toContainEqual(expect.objectContaining({ id: "hello", state: "running" }));

		const asked = await cli(["ask", "hello", '{"type":"greet","name":"Ada"}'], env);
		expect(asked.code).toBe(0);
		expect(JSON.parse(asked.stdout)).toEqual({ greeting: "Hello, Ada!", greetings: 1 });
	});

	it("answers bad usage with exit 1 and the usage line, and a refusal with exit 3", async () => {
		const badFlag = await cli(["agents", "list", "--bogus"], env);
		expect(badFlag.code).toBe(1);
		expect(badFlag.stderr).toContain("Unknown option --bogus");
		expect(badFlag.stderr).toContain("Usage: agent-os agents list");

		const badSub = await cli(["tokens", "mint"], env);
		expect(badSub.code).toBe(1);
		expect(badSub.stderr).toContain("Usage: agent-os tokens create --name NAME --scopes a,b");

		const noName = await cli(["tokens", "create", "--scopes", "admin"], env);
		expect(noName.code).toBe(1);
		expect(noName.stderr).toContain("Missing --name");

		const badTask = await cli(["ask", "hello", "greet"], env);
		expect(badTask.code).toBe(1);
		expect(badTask.stderr).toContain("TASK_JSON is not JSON");

		const noToken = await cli(["agents", "list"], { AGENTOS_URL: url, AGENTOS_DATA_DIR: tempDataDir() });
		expect(noToken.code).toBe(1);
		expect(noToken.stderr).toContain("No API token: pass --token, or set AGENTOS_TOKEN or GATEWAY_AUTH_TOKEN");

		const missing = await cli(["agents", "get", "nobody"], env);
		expect(missing.code).toBe(3);
		expect(missing.stderr.trim()).toBe("error AGENT_NOT_FOUND: Agent nobody not found");

		const wrongToken = await cli(["agents", "list", "--token", "aos_not-a-token"], env);
		expect(wrongToken.code).toBe(3);
		expect(wrongToken.stderr).toMatch(/^error \w+: /);
	});

	it("says the node is unreachable, naming its URL, with exit 4 once it has stopped", async () => {
		node.kill("SIGTERM");
		expect(await exited).toBe(0);
		const run = await cli(["agents", "list"], env);
		expect(run.code).toBe(4);
		expect(run.stderr).toContain(`Cannot reach the AgentOS node at ${url}`);
	});
});
