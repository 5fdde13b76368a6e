import type { Logger } from "moleculer";
import type { Caller } from "../../actors/agent-api";
import { AgentRuntime } from "../../actors/agent-runtime";
import type { Transition } from "../../actors/agent-state";
import { parseManifest } from "../../actors/manifest";
import { ScriptedWorker } from "../support/scripted-worker";

const logger = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;
const caller: Caller = { kind: "user", id: "tester" };
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function setup(manifestExtra: Record<string, unknown> = {}, maxTaskTimeoutMs = 60_000) {
	const workers: ScriptedWorker[] = [];
	const transitions: Transition[] = [];
	const manifest = parseManifest({ id: "scripted", name: "Scripted", entryPoint: "x.js", restart: { baseDelayMs: 10, maxDelayMs: 20 }, ...manifestExtra });
	const runtime = new AgentRuntime(manifest, {
		nodeID: "n1",
		logger,
		maxTaskTimeoutMs,
		heartbeatIntervalMs: 60_000,
		heartbeatTimeoutMs: 60_000,
		stopGraceMs: 1000,
		createWorker: hooks => {
			const n = workers.length;
			const w: ScriptedWorker = new ScriptedWorker(hooks, n, async task => {
				if (task.type === "sleep") await sleep(task.ms ?? 0);
				// What agent code may answer that no database column holds.
				if (task.type === "nul-result") return { text: "a\u0000b" };
				if (task.type === "nul-error") throw { name: "Error\ud800", message: "bad \u0000 byte" };
				return { by: n };
			});
			workers.push(w);
			return w;
		},
		onCall: async () => null,
		onTransition: t => transitions.push(t)
	});
	return { runtime, workers, transitions };
}

describe("agent runtime supervision", () => {
	it("fails a task whose result or error holds text no column can keep, as the agent's failure with that text escaped", async () => {
		const { runtime } = setup();
		await runtime.start();
		const result = runtime.submit("task", { type: "nul-result" }, caller, { taskId: "t1" });
		await expect(result).rejects.toMatchObject({ type: "AGENT_TASK_FAILED", code: 502, data: { error: { name: "InvalidResult", message: expect.stringContaining('"text" holds a NUL character') } } });
		const error = runtime.submit("task", { type: "nul-error" }, caller, { taskId: "t2" });
		await expect(error).rejects.toMatchObject({ type: "AGENT_TASK_FAILED", data: { error: { name: "Error\\ud800", message: "bad \\u0000 byte" } } });
		await runtime.stop();
	});

	it("clamps a task's timeout to MAX_AGENT_TASK_TIMEOUT_MS", async () => {
		const { runtime } = setup({}, 50);
		await runtime.start();
		await expect(runtime.submit("task", { type: "sleep", ms: 300 }, caller, { taskId: "t", timeoutMs: 10_000 })).rejects.toMatchObject({
			type: "TASK_TIMEOUT",
			data: { timeoutMs: 50 }
		});
		await runtime.stop();
	});

	it("uses the manifest's timeout when the caller gives none", async () => {
		const { runtime } = setup({ limits: { timeoutMs: 100 } });
		await runtime.start();
		await expect(runtime.submit("task", { type: "sleep", ms: 300 }, caller, { taskId: "t" })).rejects.toMatchObject({ data: { timeoutMs: 100 } });
		await runtime.stop();
	});

	it("delivers a task once more when its worker dies under it", async () => {
		const { runtime, workers } = setup();
		await runtime.start();
		const pending = runtime.submit("task", { type: "sleep", ms: 50 }, caller, { taskId: "t" });
		await sleep(5);
		workers[0].die("killed");
		expect(await pending).toEqual({ by: 1 });
		expect(runtime.status()).toMatchObject({ state: "running", restarts: 1, pid: 1001 });
		await runtime.stop();
	});

	it("records every transition in order, with reasons", async () => {
		const { runtime, workers, transitions } = setup();
		await runtime.start();
		workers[0].die("exited with code 1");
		await sleep(50);
		await runtime.stop();
		expect(transitions.map(t => `${t.from}>${t.to}`)).toEqual([
			"pending>starting",
			"starting>running",
			"running>restarting",
			"restarting>starting",
			"starting>running",
			"running>stopping",
			"stopping>stopped"
		]);
		expect(transitions[2].reason).toMatch(/^worker exited with code 1; restarting in \d+ ms$/);
	});

	it("counts a worker that fails to start and then exits as one failure, however late the exit comes", async () => {
		const { runtime, workers, transitions } = setup({ restart: { baseDelayMs: 20, maxDelayMs: 20, maxRestarts: 2, windowMs: 60_000 } });
		// Like a real process whose onStart threw: start() rejects, and the exit follows later.
		const failingStart = (w: ScriptedWorker) => {
			w.start = async () => {
				setTimeout(() => w.die("exited with code 1"), 2);
				throw new Error("onStart failed on purpose");
			};
		};
		const created = workers.push.bind(workers);
		workers.push = (...ws: ScriptedWorker[]) => {
			ws.forEach(failingStart);
			return created(...ws);
		};
		await runtime.start();
		for (let i = 0; i < 50 && runtime.state !== "crashed"; i++) await sleep(10);
		await sleep(60);
		expect(runtime.state).toBe("crashed");
		expect(runtime.status().restarts).toBe(3);
		expect(workers).toHaveLength(3);
		expect(transitions.at(-1)).toMatchObject({ to: "crashed", reason: expect.stringContaining("3 restarts within 60000 ms") });
	});

	it("with restart policy never, leaves the agent crashed with its last output", async () => {
		const { runtime, workers } = setup({ restart: { policy: "never" } });
		await runtime.start();
		workers[0].die("exited with code 0");
		expect(runtime.state).toBe("crashed");
		expect(runtime.status().lastError).toBe("worker exited with code 0; last output:\nlast words");
	});

	it("refuses tasks once stopped", async () => {
		const { runtime } = setup();
		await runtime.start();
		await runtime.stop();
		expect(() => runtime.submit("task", { type: "echo" }, caller, { taskId: "t" })).toThrow(expect.objectContaining({ type: "AGENT_NOT_RUNNING" }));
	});
});
