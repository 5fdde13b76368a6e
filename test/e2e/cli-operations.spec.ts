import { FIXTURE_AGENTS } from "../support/agents";
import { runCli } from "../support/cli";
import { startNodeProcess, type NodeProcess } from "../support/node-process";
import { eventually } from "../support/test-node";

const TOKEN = "cli-operations-admin-token-0123456789abcdef";

/** `agent-os tasks`, `agent-os lockdown` and `agent-os audit --target` against a node started from dist. */
describe("the agent-os tasks and lockdown commands", () => {
	let node: NodeProcess;
	const cli = (...args: string[]) => runCli(args, { AGENTOS_URL: node.url, AGENTOS_TOKEN: TOKEN });
	const post = (route: string, body: unknown) => node.request(route, { method: "POST", body: JSON.stringify(body) });
	const state = async (id: string) => (await node.json<{ state: string }>(`/api/v1/agents/${id}`)).state;

	beforeAll(async () => {
		node = await startNodeProcess(`cli-ops-${process.pid}`, { AGENT_CODE_PATHS: FIXTURE_AGENTS }, TOKEN);
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
		expect(failed.stdout).toMatch(/^ID\s+AGENT\s+TYPE\s+STATUS\s+MS\s+CREATED\s+ERROR/);
		expect(failed.stdout).toMatch(/north\s+boom\s+failed\s+\d+\s+\S+\s+AGENT_TASK_FAILED: .*boom from the agent/);
		expect(failed.stdout).toContain("1 of 1");
		const all = JSON.parse((await cli("tasks", "--json")).stdout) as { total: number; items: { id: string; agentId: string }[] };
		expect(all.total).toBe(3);
		const one = JSON.parse((await cli("tasks", "get", all.items[0].id, "--json")).stdout) as { agentId: string; status: string };
		expect(one).toMatchObject({ agentId: "south", status: "succeeded" });
		const bad = await cli("tasks", "--status", "done");
		expect(bad.code).toBe(1);
		expect(bad.stderr).toContain("--status must be one of queued, running, succeeded, failed");
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

	it("finds the audit entries about one target", async () => {
		const entries = JSON.parse((await cli("audit", "--target", "south", "--json")).stdout) as { items: { target: string }[] };
		expect(entries.items.length).toBeGreaterThan(0);
		expect(new Set(entries.items.map(e => e.target))).toEqual(new Set(["south"]));
	});
});
