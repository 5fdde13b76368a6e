import { FIXTURE_AGENTS } from "../support/agents";
import { runCli } from "../support/cli";
import { startNodeProcess, type NodeProcess } from "../support/node-process";
import { eventually } from "../support/test-node";

const TOKEN = "cli-operations-admin-token-0123456789abcdef";

const UNKNOWN_TASK = "00000000-0000-4000-8000-000000000000";

interface Detail {
	id: string;
	status: string;
	attempts: number;
	steps: { seq: number; action: string; ok: boolean }[];
}

/** `agent-os tasks`, `agent-os lockdown` and `agent-os audit --target` against a node started from dist. */
describe("the agent-os tasks and lockdown commands", () => {
	let node: NodeProcess;
	const cli = (...args: string[]) => runCli(args, { AGENTOS_URL: node.url, AGENTOS_TOKEN: TOKEN });
	const post = (route: string, body: unknown) => node.request(route, { method: "POST", body: JSON.stringify(body) });
	const state = async (id: string) => (await node.json<{ state: string }>(`/api/v1/agents/${id}`)).state;

	beforeAll(async () => {
		// One crash of a step parks a durable run as failed at once (for `tasks resume`).
		node = await startNodeProcess(`cli-ops-${process.pid}`, { AGENT_CODE_PATHS: FIXTURE_AGENTS, TASK_STEP_ATTEMPTS: "1", TASK_RETRY_DELAY_MS: "10" }, TOKEN);
		for (const id of ["north", "south"]) expect((await post("/api/v1/agents", { manifest: { id, name: id, entryPoint: `${FIXTURE_AGENTS}/echo.js` } })).status).toBe(201);
		await eventually("both agents to run", async () => (await state("north")) === "running" && (await state("south")) === "running", 30_000);
		expect((await post("/api/v1/agents/north/tasks", { task: { type: "echo" } })).status).toBe(200);
		expect((await post("/api/v1/agents/north/tasks", { task: { type: "boom" } })).status).toBeGreaterThanOrEqual(400);
		expect((await post("/api/v1/agents/south/tasks", { task: { type: "echo" } })).status).toBe(200);
	}, 90_000);

	afterAll(() => node?.stop());

	it("lists tasks by agent and status, with the error of a failed one, and refuses a bad status as a usage error", async () => {
		const failed = await cli("tasks", "--agent", "north", "--status", "failed");
		expect(failed.code).toBe(0);
		expect(failed.stdout).toMatch(/^ID\s+AGENT\s+TYPE\s+STATUS\s+ATTEMPTS\s+MS\s+CREATED\s+ERROR/);
		expect(failed.stdout).toMatch(/north\s+boom\s+failed\s+1\s+\d+\s+\S+\s+AGENT_TASK_FAILED: .*boom from the agent/);
		expect(failed.stdout).toContain("1 of 1");
		const all = JSON.parse((await cli("tasks", "--json")).stdout) as { total: number; items: { id: string; agentId: string }[] };
		expect(all.total).toBe(3);
		const one = JSON.parse((await cli("tasks", "get", all.items[0].id, "--json")).stdout) as { agentId: string; status: string };
		expect(one).toMatchObject({ agentId: "south", status: "succeeded" });
		const bad = await cli("tasks", "--status", "done");
		expect(bad.code).toBe(1);
		expect(bad.stderr).toContain("--status must be one of queued, running, suspended, succeeded, failed, cancelled");
		expect(await cli("tasks", "--status", "suspended")).toMatchObject({ code: 0, stdout: expect.stringContaining("0 of 0") });
	});

	it("starts a lockdown of a selection, shows it, refuses the agent's tasks meanwhile, and lifts it", async () => {
		expect((await cli("lockdown")).stdout.trim()).toBe("No lockdown is in force");
		const noReason = await cli("lockdown", "start");
		expect(noReason.code).toBe(1);
		expect(noReason.stderr).toContain("--reason is required");
		const started = await cli("lockdown", "start", "--reason", "north misbehaves", "--agents", "north");
		expect(started.code).toBe(0);
		expect(started.stdout).toMatch(/^Lockdown \S+ of the agents north since .* by admin: "north misbehaves"; quarantined: north/);
		expect((await cli("lockdown", "status")).stdout).toContain('"north misbehaves"');
		const refused = await post("/api/v1/agents/north/tasks", { task: { type: "echo" } });
		expect(refused.status).toBe(423);
		expect((await post("/api/v1/agents/south/tasks", { task: { type: "echo" } })).status).toBe(200);
		const again = await cli("lockdown", "start", "--reason", "a second one");
		expect(again.code).toBe(3);
		expect(again.stderr).toContain("LOCKDOWN_ACTIVE");
		const lifted = await cli("lockdown", "lift", "--reason", "north fixed");
		expect(lifted).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Lifted lockdown \S+: 1 quarantines ended \("north fixed"\)/) });
		await eventually("north to run again", async () => (await state("north")) === "running", 20_000);
		expect((await post("/api/v1/agents/north/tasks", { task: { type: "echo" } })).status).toBe(200);
	}, 60_000);

	it("shows the child run an agent's ask started, and the child's parent", async () => {
		const manifest = { id: "west", name: "west", entryPoint: `${FIXTURE_AGENTS}/echo.js`, permissions: ["a2a.send"] };
		expect((await post("/api/v1/agents", { manifest })).status).toBe(201);
		await eventually("west to run", async () => (await state("west")) === "running", 30_000);
		const asked = await post("/api/v1/agents/west/tasks", { task: { type: "ask", target: "south", task: { type: "echo" } } });
		expect(asked.status).toBe(200);
		const { taskId } = (await asked.json()) as { taskId: string };

		const parent = await cli("tasks", "show", taskId);
		expect(parent.code).toBe(0);
		const child = /^Child:\s+(\S+) \(south, succeeded\)$/m.exec(parent.stdout)?.[1];
		expect(child).toMatch(/^[0-9a-f-]{36}$/);
		expect(parent.stdout).toMatch(/^1\s+agent\.south\.ask\s+\S+\s+yes\s+\d+\s+\$0\.0000$/m);
		const shown = await cli("tasks", "show", child!);
		expect(shown.stdout).toMatch(new RegExp(`^Parent:\\s+${taskId}$`, "m"));
		expect(shown.stdout).toMatch(/^Task:\s+\S+: echo on agent south$/m);
	}, 60_000);

	it("finds the audit entries about one target", async () => {
		const entries = JSON.parse((await cli("audit", "--target", "south", "--json")).stdout) as { items: { target: string }[] };
		expect(entries.items.length).toBeGreaterThan(0);
		expect(new Set(entries.items.map(e => e.target))).toEqual(new Set(["south"]));
	});

	it("shows a task's run step by step, resumes a failed durable run, cancels a running task, and says why when it cannot", async () => {
		expect((await post("/api/v1/agents", { manifest: { id: "east", name: "east", entryPoint: `${FIXTURE_AGENTS}/echo.js` } })).status).toBe(201);
		await eventually("east to run", async () => (await state("east")) === "running", 30_000);
		const task = async (body: Record<string, unknown>) => ((await (await post("/api/v1/agents/east/tasks", { task: body, async: true })).json()) as { taskId: string }).taskId;
		const status = async (id: string) => (await node.json<Detail>(`/api/v1/tasks/${id}`)).status;

		const remembered = ((await (await post("/api/v1/agents/east/tasks", { task: { type: "remember", key: "k", value: 1 } })).json()) as { taskId: string }).taskId;
		const shown = await cli("tasks", "show", remembered);
		expect(shown.code).toBe(0);
		expect(shown.stdout).toMatch(/^Status:\s+succeeded$/m);
		expect(shown.stdout).toMatch(/^Attempts:\s+1$/m);
		expect(shown.stdout).toMatch(/^SEQ\s+ACTION\s+LABEL\s+OK\s+MS\s+COST$/m);
		expect(shown.stdout).toMatch(/^1\s+state\.set\s+\S+\s+yes\s+\d+\s+\$0\.0000$/m);
		expect(shown.stdout).toMatch(/^2\s+state\.list\s+\S+\s+yes\s+\d+\s+\$0\.0000$/m);
		const raw = JSON.parse((await cli("tasks", "show", remembered, "--json")).stdout) as Detail;
		expect(raw).toMatchObject({ id: remembered, status: "succeeded", attempts: 1 });
		expect(raw.steps.map(s => s.action)).toEqual(["state.set", "state.list"]);

		// The worker dies at step 2 until `until`: with one attempt a step, the run is parked as failed.
		const until = Date.now() + 6000;
		const crashed = await task({ type: "crash-until", until });
		await eventually("the crashed run to be parked", async () => (await status(crashed)) === "failed", 30_000);
		const parked = await cli("tasks", "show", crashed);
		expect(parked.stdout).toMatch(/^Failed step:\s+2, once$/m);
		expect(parked.stdout).toMatch(/^Error:\s+TASK_STEP_FAILED: /m);
		expect(parked.stdout).toMatch(/^1\s+state\.set\s+\S+\s+yes/m);
		await eventually("east to run again", async () => (await state("east")) === "running", 30_000);
		await new Promise(resolve => setTimeout(resolve, Math.max(until - Date.now() + 50, 0)));
		const resumed = await cli("tasks", "resume", crashed);
		expect(resumed).toMatchObject({ code: 0, stdout: `Task ${crashed} is queued again; it goes on after its 1 journaled steps\n` });
		await eventually("the resumed run to succeed", async () => (await status(crashed)) === "succeeded", 30_000);
		const done = JSON.parse((await cli("tasks", "show", crashed, "--json")).stdout) as Detail;
		expect(done.steps.map(s => s.action)).toEqual(["state.set", "state.get"]);
		const again = await cli("tasks", "resume", crashed);
		expect(again.code).toBe(3);
		expect(again.stderr).toContain(`error TASK_NOT_RESUMABLE: Task ${crashed} is succeeded; only a failed task can be resumed`);

		const sleeping = await task({ type: "sleep", ms: 10_000 });
		await eventually("the sleeping task to run", async () => (await status(sleeping)) === "running", 30_000);
		expect(await cli("tasks", "cancel", sleeping)).toMatchObject({ code: 0, stdout: `Task ${sleeping} is cancelled\n` });
		expect(await status(sleeping)).toBe("cancelled");
		const ended = await cli("tasks", "cancel", sleeping);
		expect(ended.code).toBe(3);
		expect(ended.stderr).toContain(`error TASK_ENDED: Task ${sleeping} has ended (cancelled); it cannot be cancelled`);
		const cancelledList = await cli("tasks", "--agent", "east", "--status", "cancelled");
		expect(cancelledList.stdout).toMatch(new RegExp(`${sleeping}\\s+east\\s+sleep\\s+cancelled`));

		const unknown = await cli("tasks", "show", UNKNOWN_TASK);
		expect(unknown.code).toBe(3);
		expect(unknown.stderr).toContain(`error TASK_NOT_FOUND: Task ${UNKNOWN_TASK} not found`);
		expect((await cli("tasks", "cancel", UNKNOWN_TASK)).stderr).toContain("TASK_NOT_FOUND");
		const missing = await cli("tasks", "resume");
		expect(missing.code).toBe(1);
		expect(missing.stderr).toContain("agent-os tasks resume ID");
	}, 150_000);
});
