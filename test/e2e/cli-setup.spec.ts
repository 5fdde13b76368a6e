import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { verifyManifest } from "../../actors/manifest-signature";
import { freePort } from "../support/free-port";
import { startPostgres } from "../support/postgres-server";
import { eventually, tempDataDir } from "../support/test-node";
import { cleanEnv, runCli } from "../support/cli";

const root = path.resolve(__dirname, "../..");
// Absolute, because these commands run in a fresh directory as a new user's would.
const CLI = path.join(root, "dist/cli/agent-os.js");
const SECRETS = ["GATEWAY_AUTH_TOKEN", "MANIFEST_SIGNING_SECRET", "CLUSTER_SECRET"];

const cli = (args: string[], cwd: string, env: Record<string, string> = {}) => runCli(args, env, cwd);

/** `status  check  detail` lines by check name. */
function doctorLines(stdout: string): Record<string, { status: string; detail: string }> {
	const out: Record<string, { status: string; detail: string }> = {};
	for (const line of stdout.trim().split("\n")) {
		const m = /^(ok|warn|fail)\s+(.+?)\s{2,}(.*)$/.exec(line);
		if (!m) throw new Error(`not a doctor line: ${line}`);
		out[m[2]] = { status: m[1], detail: m[3] };
	}
	return out;
}

describe("agent-os init, doctor and sign, in a fresh directory", () => {
	const dir = tempDataDir();
	const envFile = path.join(dir, ".env");

	it("init writes a .env with generated secrets, mode 0600, and replaces it only with --force", async () => {
		const first = await cli(["init"], dir);
		expect(first.code).toBe(0);
		const text = fs.readFileSync(envFile, "utf8");
		expect(fs.statSync(envFile).mode & 0o777).toBe(0o600);
		const values = SECRETS.map(key => new RegExp(`^${key}=(\\S{40,})$`, "m").exec(text)?.[1]);
		expect(values).toEqual([expect.any(String), expect.any(String), expect.any(String)]);
		expect(new Set(values).size).toBe(3);
		// It says what it wrote, never the values.
		for (const key of SECRETS) expect(first.stdout).toMatch(new RegExp(`${key}\\s+generated`));
		for (const value of values) expect(first.stdout).not.toContain(value);
		expect(first.stdout).toContain("agent-os doctor");
		// Every other setting is there as in .env.example.
		expect(text).toMatch(/^PORT=3000$/m);
		expect(text).toMatch(/^# DATABASE_URL=$/m);

		const again = await cli(["init"], dir);
		expect(again.code).toBe(1);
		expect(again.stderr).toContain("already exists; pass --force");
		expect(fs.readFileSync(envFile, "utf8")).toBe(text);

		const forced = await cli(["init", "--force"], dir);
		expect(forced.code).toBe(0);
		expect(fs.readFileSync(envFile, "utf8")).not.toBe(text);
		expect(fs.statSync(envFile).mode & 0o777).toBe(0o600);
	});

	it("doctor passes with that .env", async () => {
		const run = await cli(["doctor"], dir);
		expect(run.code).toBe(0);
		const lines = doctorLines(run.stdout);
		for (const check of ["node", "config", "secrets", "data dir", "build"]) expect(lines[check]).toMatchObject({ status: "ok" });
		expect(lines.config.detail).toContain(".env");
		// With no provider keys only the offline model answers: worth a warning, not a failure.
		expect(lines.models).toMatchObject({ status: "warn", detail: expect.stringContaining("offline") });

		const json = JSON.parse((await cli(["doctor", "--json"], dir)).stdout) as { check: string; status: string; detail: string }[];
		expect(json).toContainEqual({ check: "node", status: "ok", detail: `v${process.versions.node}` });
	});

	it("doctor reports a bad configuration as a failure with its message", async () => {
		const run = await cli(["doctor"], dir, { PORT: "eighty" });
		expect(run.code).toBe(1);
		expect(doctorLines(run.stdout).config).toEqual({ status: "fail", detail: 'Invalid configuration: PORT must be a whole number from 0 to 65535 (got "eighty")' });
	});

	it("doctor --infra reaches a real PostgreSQL, and fails on a closed port", async () => {
		const closed = await freePort();
		// Not whatever node may run on this machine's port 3000.
		const noNode = { AGENTOS_URL: `http://127.0.0.1:${closed}` };
		const pg = await startPostgres();
		try {
			const up = doctorLines((await cli(["doctor", "--infra"], dir, { ...noNode, DATABASE_URL: pg.url })).stdout);
			expect(up.database).toEqual({ status: "ok", detail: expect.stringMatching(new RegExp(`^PostgreSQL \\d+\\.\\d+ at 127\\.0\\.0\\.1:${pg.port}/postgres$`)) });
			expect(up["running node"]).toMatchObject({ status: "warn" });
		} finally {
			await pg.destroy();
		}

		const down = await cli(["doctor", "--infra"], dir, { ...noNode, DATABASE_URL: `postgres://postgres:hunter2@127.0.0.1:${closed}/postgres` });
		expect(down.code).toBe(1);
		const lines = doctorLines(down.stdout);
		expect(lines.database).toEqual({ status: "fail", detail: expect.stringContaining(`ECONNREFUSED`) });
		expect(lines.database.detail).toContain("Check DATABASE_URL");
		expect(down.stdout).not.toContain("hunter2");
	}, 120000);

	it("sign prints a manifest that verifies; --verify refuses a tampered one with exit 3", async () => {
		const manifestFile = path.join(root, "agents/hello/manifest.json");
		const signed = await cli(["sign", manifestFile], dir);
		expect(signed.code).toBe(0);
		const manifest = JSON.parse(signed.stdout) as Record<string, unknown>;
		const secret = /^MANIFEST_SIGNING_SECRET=(\S+)$/m.exec(fs.readFileSync(envFile, "utf8"))![1];
		expect(verifyManifest(manifest, secret)).toBe(true);

		const signedFile = path.join(dir, "signed.json");
		expect((await cli(["sign", manifestFile, "--secret", "another", "--out", signedFile], dir)).code).toBe(0);
		expect(verifyManifest(JSON.parse(fs.readFileSync(signedFile, "utf8")), "another")).toBe(true);
		expect(await cli(["sign", "--verify", signedFile, "--secret", "another"], dir)).toMatchObject({ code: 0, stdout: "signature ok\n" });

		fs.writeFileSync(signedFile, JSON.stringify({ ...manifest, description: "tampered" }));
		expect(await cli(["sign", "--verify", signedFile], dir)).toMatchObject({ code: 3, stdout: "signature does NOT match\n" });

		const noSecret = await cli(["sign", manifestFile], tempDataDir());
		expect(noSecret.code).toBe(1);
		expect(noSecret.stderr).toContain("pass --secret or set MANIFEST_SIGNING_SECRET");
		fs.writeFileSync(path.join(dir, "list.json"), "[1, 2]");
		const notObject = await cli(["sign", "list.json"], dir);
		expect(notObject.code).toBe(1);
		expect(notObject.stderr).toContain("must hold a JSON object");
	});
});

describe("agent-os repl, under a pseudo-terminal", () => {
	let child: ChildProcess | undefined;
	afterAll(() => {
		if (child && child.exitCode === null) child.kill("SIGKILL");
	});

	it("boots a node, answers agents, spawn, ask, chat and cluster (and agents logs over HTTP), and stops cleanly on quit", async () => {
		const dir = tempDataDir();
		const dataDir = path.join(dir, "data");
		const nodeId = `repl-test-${process.pid}`;
		const port = await freePort();
		// The shipped example, with its entry point made absolute: this REPL runs elsewhere.
		const manifestFile = path.join(dir, "hello.json");
		const hello = JSON.parse(fs.readFileSync(path.join(root, "agents/hello/manifest.json"), "utf8")) as Record<string, unknown>;
		fs.writeFileSync(manifestFile, JSON.stringify({ ...hello, entryPoint: path.join(root, "agents/hello/index.js") }));
		// `script` gives the REPL a terminal; -e passes on its exit code. HOME keeps the REPL history out of the real one.
		const env = cleanEnv({ PORT: String(port), AGENTOS_DATA_DIR: dataDir, NODE_ID: nodeId, HOME: dir, AGENT_CODE_PATHS: path.join(root, "agents") });
		const repl = spawn("script", ["-eqfc", `node ${CLI} repl`, "/dev/null"], { cwd: dir, env, stdio: ["pipe", "pipe", "pipe"] });
		child = repl;
		let output = "";
		// The terminal's cursor moves and colours are noise to these checks.
		// eslint-disable-next-line no-control-regex -- they start with ESC
		const append = (d: Buffer) => (output += d.toString("utf8").replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, ""));
		repl.stdout!.on("data", append);
		repl.stderr!.on("data", append);
		const exited = new Promise<number | null>(resolve => repl.on("exit", code => resolve(code)));

		/** Types a line and waits for `answer` in what follows, then the next prompt. */
		const type = async (line: string, answer: RegExp): Promise<string> => {
			const from = output.length;
			repl.stdin!.write(`${line}\r`);
			const after = () => output.slice(from);
			await eventually(`"${line}" to answer ${answer}`, () => answer.test(after()) && /agentos \$ $/.test(after()), 20000).catch(err => {
				throw new Error(`${(err as Error).message}; the REPL said:\n${after()}`);
			});
			return after();
		};

		await eventually("the agentos $ prompt", () => output.includes("agentos $"), 90000, 200).catch(err => {
			throw new Error(`${(err as Error).message}; it said:\n${output}`);
		});
		expect(output).toContain(`node ${nodeId}`);

		await type("agents", /no agents|^ID\s+STATE\s+NODE\s+PID\s+RESTARTS$/m);
		await type(`spawn ${manifestFile}`, new RegExp(`spawned hello: running on ${nodeId}`));
		await type("agents", new RegExp(`^hello\\s+running\\s+${nodeId}\\s+\\d+\\s+0$`, "m"));
		await type('ask hello {"type":"greet","name":"Ada"}', /"greeting": "Hello, Ada!"/);
		// The node the REPL runs serves the API too: its agent's output, through the client command.
		const asClient = { AGENTOS_URL: `http://127.0.0.1:${port}`, AGENTOS_DATA_DIR: dataDir };
		await eventually("agents logs to show the agent's start", async () => (await cli(["agents", "logs", "hello", "--lines", "5"], dir, asClient)).stdout.includes("hello agent ready"));
		const logs = JSON.parse((await cli(["agents", "logs", "hello", "--json"], dir, asClient)).stdout) as { id: string; node: string; lines: string[] };
		expect(logs).toMatchObject({ id: "hello", node: nodeId });
		const chat = await type("chat hello there", /\(offline model\)/);
		expect(chat).toMatch(/\[offline \/ offline-extractive, \d+ tokens, \d+ ms\]/);
		const cluster = await type("cluster", new RegExp(`${nodeId} \\(this node\\)\\s+available`));
		expect(cluster).toMatch(/^NODE\s+STATE\s+HOST/m);

		const t0 = Date.now();
		repl.stdin!.write("quit\r");
		expect(await exited).toBe(0);
		expect(Date.now() - t0).toBeLessThan(10000);
		// The embedded database was closed, not abandoned: its lock is gone.
		expect(fs.existsSync(path.join(dataDir, "pgdata.lock"))).toBe(false);
	}, 150000);
});
