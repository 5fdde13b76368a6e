import type { AgentView } from "../../lib/cluster/agent-view";
import { FAST_AGENT_ENV, FIXTURE_AGENTS, agent, echoManifest, spawnAgent, task, untilState } from "../support/agents";
import { startTestNode, type TestNode } from "../support/test-node";

describe("an agent result that JSON cannot carry (it refers to itself)", () => {
	let t: TestNode;

	beforeAll(async () => {
		t = await startTestNode({ ...FAST_AGENT_ENV, AGENT_INPROCESS_PATHS: FIXTURE_AGENTS });
		await t.node.ready;
	});
	afterAll(() => t?.stop());

	it.each(["process", "inprocess"])("fails the %s agent's task with a 502 that says why, and the agent keeps serving", async runtime => {
		const id = `circular-${runtime}`;
		await spawnAgent(t, echoManifest(id, { runtime }));
		const before: AgentView = await untilState(t, id, "running");

		const failed = await task(t, id, { task: { type: "circular" } });
		expect(failed.status).toBe(502);
		expect(failed.body.error).toMatchObject({ type: "AGENT_TASK_FAILED", message: expect.stringMatching(/circular|nests objects/) });

		const after = await agent(t, id);
		expect({ state: after.state, pid: after.pid, restarts: after.restarts }).toEqual({ state: "running", pid: before.pid, restarts: 0 });
		expect((await task(t, id, { task: { type: "echo" } })).status).toBe(200);
	});
});
