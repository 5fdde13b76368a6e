import fs from "node:fs";
import path from "node:path";
import type { Caller } from "../../actors/agent-api";
import { parseManifest } from "../../actors/manifest";
import { processEntryScript } from "../../actors/worker-factory";
import { ChannelWorker } from "../../actors/workers/channel-worker";
import { launchProcess } from "../../actors/workers/process-launcher";
import type { WorkerExit } from "../../actors/workers/worker";
import { FIXTURE_AGENTS } from "../support/agents";
import { testTempDir } from "../support/test-tmp";

const caller: Caller = { kind: "user", id: "tester" };

/**
 * The worker protocol over both transports. IPC is what process workers use; JSON lines
 * on stdio is what a docker worker speaks inside its container. No Docker engine runs
 * on the test machines, so the stdio protocol is exercised with a local process.
 */
describe.each(["ipc", "stdio"] as const)("a worker over %s", transport => {
	const manifest = parseManifest({ id: `echo-${transport}`, name: "Echo", entryPoint: path.join(FIXTURE_AGENTS, "echo.js"), permissions: ["a2a.send"] });
	const exits: WorkerExit[] = [];
	const logs: string[] = [];
	const calls: unknown[] = [];
	const worker = new ChannelWorker(
		manifest,
		{
			runtime: "process",
			entryPoint: path.join(FIXTURE_AGENTS, "echo.js"),
			heartbeatMs: 1000,
			startTimeoutMs: 10000,
			launch: () => launchProcess(manifest, { entryScript: processEntryScript(), entryPoint: path.join(FIXTURE_AGENTS, "echo.js"), transport })
		},
		{
			onCall: async (method, args) => {
				calls.push({ method, args });
				return { answered: method };
			},
			methods: [],
			onExit: exit => exits.push(exit),
			onLog: (_level, msg) => logs.push(msg)
		}
	);

	beforeAll(() => worker.start());
	afterAll(() => worker.stop(2000));

	it("starts the agent (onStart ran and logged)", () => {
		expect(worker.pid).toEqual(expect.any(Number));
		expect(logs.some(l => l.includes("echo agent started"))).toBe(true);
	});

	it("runs tasks and returns their results", async () => {
		expect(await worker.run("task", "t1", { type: "echo", n: 1 }, caller)).toMatchObject({ echo: { type: "echo", n: 1 }, caller, pid: worker.pid });
	});

	it("carries the agent's ctx calls back to the host and their answers in", async () => {
		const result = await worker.run("task", "t2", { type: "ask", target: "other", task: { type: "echo" } }, caller);
		expect(calls).toContainEqual({ method: "agents.ask", args: ["other", { type: "echo" }, {}] });
		expect(result).toEqual({ answer: { answered: "agents.ask" } });
	});

	it("keeps the agent's code to its own files: no file of the node's, no /proc, no writes, no programs", async () => {
		const dir = testTempDir("agentos-node-data-");
		const secret = path.join(dir, "admin-token");
		fs.writeFileSync(secret, "the-admin-token");
		try {
			const result = (await worker.run("task", "t-snoop", { type: "snoop", path: secret, write: path.join(dir, "planted") }, caller)) as Record<string, { ok: boolean; code?: string }>;
			expect(result).toEqual({
				read: { ok: false, code: "ERR_ACCESS_DENIED" },
				parentEnv: { ok: false, code: "ERR_ACCESS_DENIED" },
				write: { ok: false, code: "ERR_ACCESS_DENIED" },
				exec: { ok: false, code: "ERR_ACCESS_DENIED" }
			});
			expect(fs.existsSync(path.join(dir, "planted"))).toBe(false);
		} finally {
			fs.rmSync(dir, { recursive: true, force: true });
		}
	});

	it("reports the agent's own errors without ending the worker", async () => {
		await expect(worker.run("task", "t3", { type: "boom" }, caller)).rejects.toMatchObject({ message: "boom from the agent" });
		await worker.ping(1000);
	});

	it("stops gracefully, running onStop", async () => {
		await worker.stop(2000);
		expect(exits).toEqual([expect.objectContaining({ requested: true, reason: "exited with code 0" })]);
		expect(logs.some(l => l.includes("echo agent stopping"))).toBe(true);
	});
});
