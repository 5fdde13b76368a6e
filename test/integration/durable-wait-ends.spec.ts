import type { Approval } from "../../lib/security/approval-store";
import { FAST_AGENT_ENV, echoManifest, post, spawnAgent, untilState } from "../support/agents";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

/**
 * How a run suspended on a person's decision ends when nobody decides: its approval expires
 * when its time is up (not when the run next resumes), and its agent's deletion cancels it.
 * A real node with real worker processes.
 */
interface TaskDetail {
	id: string;
	status: string;
	error: { type: string; message: string } | null;
	waitingFor: { approvalId: string; until: string } | null;
	steps: { seq: number; action: string; ok: boolean; error: { type: string } | null }[];
}

describe("a suspended run nobody decides for", () => {
	let t: TestNode;

	const task = (id: string) => t.json<TaskDetail>(`/api/v1/tasks/${id}`);
	const approval = async (id: string) => (await t.json<{ items: Approval[] }>("/api/v1/approvals")).items.find(a => a.id === id);
	const suspend = async (agentId: string, reason: string): Promise<TaskDetail> => {
		const given = await post<{ taskId: string }>(t, `/api/v1/agents/${agentId}/tasks`, { task: { type: "waitFor", reason }, async: true });
		expect(given.status).toBe(202);
		let detail: TaskDetail | undefined;
		await eventually("the run to suspend", async () => (detail = await task(given.body.taskId)).status === "suspended", 15_000, 50);
		return detail!;
	};

	beforeAll(async () => {
		t = await startTestNode({ ...FAST_AGENT_ENV, TASK_RECOVERY_INTERVAL_MS: "200" });
		await t.node.ready;
	});
	afterAll(async () => {
		await t?.stop();
	});

	it("expires the approval when its time is up, though the agent is stopped, and the run sees APPROVAL_EXPIRED when its agent is back", async () => {
		await spawnAgent(t, echoManifest("patient", { limits: { maxSuspendMs: 3000 } }));
		await untilState(t, "patient", "running");
		const run = await suspend("patient", "may I go on?");
		const approvalId = run.waitingFor!.approvalId;
		expect((await approval(approvalId))?.status).toBe("pending");
		// Nothing could resume the run: its agent is not running anywhere.
		expect((await post(t, "/api/v1/agents/patient/stop", {})).status).toBe(200);
		await untilState(t, "patient", "stopped");

		await eventually("the approval to expire", async () => (await approval(approvalId))?.status === "expired", 10_000, 100);
		expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(run.waitingFor!.until));
		// No longer suspended: due, for whichever node runs its agent next.
		expect(await task(run.id)).toMatchObject({ status: "queued" });
		expect((await t.json<{ items: Approval[] }>("/api/v1/approvals?status=pending")).items.map(a => a.id)).not.toContain(approvalId);
		// A decision past the time is refused.
		expect((await post(t, `/api/v1/approvals/${approvalId}/approve`, {})).status).toBe(409);

		expect((await post(t, "/api/v1/agents/patient/start", {})).status).toBe(200);
		let after: TaskDetail | undefined;
		await eventually("the run to end", async () => ["failed", "succeeded"].includes((after = await task(run.id)).status), 15_000, 100);
		// The agent's waitFor answered as it does for a wait found expired on resume.
		expect(after!.status).toBe("failed");
		expect(after!.error?.type).toBe("APPROVAL_EXPIRED");
		expect(after!.steps.map(s => [s.action, s.ok])).toEqual([["approvals.waitFor", false]]);
		expect((await approval(approvalId))?.usedAt).not.toBeNull();
	});

	it("cancels the unfinished tasks of an agent that is deleted, closing the approval a suspended one waited for", async () => {
		await spawnAgent(t, echoManifest("doomed"));
		await untilState(t, "doomed", "running");
		const run = await suspend("doomed", "shall I?");
		const deleted = await t.request("/api/v1/agents/doomed", { method: "DELETE" });
		expect(deleted.status).toBe(200);
		expect(await task(run.id)).toMatchObject({ status: "cancelled" });
		expect(await approval(run.waitingFor!.approvalId)).toMatchObject({ status: "expired", note: `task ${run.id} was cancelled` });
	});
});
