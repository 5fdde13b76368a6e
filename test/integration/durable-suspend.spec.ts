import fs from "node:fs";
import { echoManifest, FAST_AGENT_ENV } from "../support/agents";
import { startNodeProcess, type NodeProcess } from "../support/node-process";
import { eventually, tempDataDir } from "../support/test-node";

/**
 * Runs that wait for a person: suspended with nothing in memory, through a restart of the
 * node's process, resumed by the decision with their journal replayed. Real node
 * processes (`agent-os start` from dist) on one data dir, a real worker process.
 */
const TOKEN = "durable-suspend-test-token-0123456789";

interface Step {
	seq: number;
	action: string;
	ok: boolean;
	startedAt: string;
	result: unknown;
}
interface TaskDetail {
	id: string;
	status: string;
	attempts: number;
	result: { said: string; decision: { approved: boolean; note: string | null } } | null;
	error: { type: string } | null;
	waitingFor: { kind: string; approvalId: string; action: string; step: number; until: string } | null;
	steps: Step[];
}
interface Approval {
	id: string;
	status: string;
	taskId: string | null;
	note: string | null;
}

describe("a durable run that waits for a person", () => {
	const dataDir = tempDataDir();
	const env = { ...FAST_AGENT_ENV, AGENTOS_DATA_DIR: dataDir, TASK_RECOVERY_INTERVAL_MS: "300" };
	let node: NodeProcess;

	const call = async <T>(route: string, body?: unknown): Promise<{ status: number; body: T }> => {
		const res = await node.request(route, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
		return { status: res.status, body: (await res.json()) as T };
	};
	const task = (id: string) => node.json<TaskDetail>(`/api/v1/tasks/${id}`);
	const suspended = async (message: string) => {
		const { status, body } = await call<{ taskId: string }>("/api/v1/agents/asker/tasks", { task: { type: "chatThenWait", message, reason: `may I answer "${message}"?` }, async: true });
		expect(status).toBe(202);
		let detail: TaskDetail | undefined;
		await eventually("the run to suspend", async () => {
			detail = await task(body.taskId);
			if (detail.status === "failed" || detail.status === "succeeded") throw new Error(`the run ended ${detail.status}: ${JSON.stringify(detail.error ?? detail.result)}`);
			return detail.status === "suspended";
		}, 15_000, 50);
		return detail!;
	};

	beforeAll(async () => {
		node = await startNodeProcess("suspend-1", env, TOKEN);
		const spawned = await call("/api/v1/agents", { manifest: echoManifest("asker", { permissions: ["llm.execute"], limits: { maxSuspendMs: 86_400_000 } }) });
		expect(spawned.status).toBe(201);
	});
	afterAll(async () => {
		await node?.stop();
		fs.rmSync(dataDir, { recursive: true, force: true });
	});

	it("suspends at the wait, survives a restart of the node's process, and finishes once a person approves — its model call replayed, not made again", async () => {
		const before = await suspended("first");
		expect(before.waitingFor).toMatchObject({ kind: "approval", action: "task.waitFor", step: 2 });
		// It may wait up to the agent's limits.maxSuspendMs (a day here).
		const until = Date.parse(before.waitingFor!.until) - Date.now();
		expect(until).toBeGreaterThan(86_000_000);
		expect(before.steps.map(s => [s.seq, s.action, s.ok])).toEqual([[1, "mal.chat", true]]);
		const pending = await call<{ items: Approval[] }>("/api/v1/approvals?status=pending");
		expect(pending.body.items.find(a => a.id === before.waitingFor!.approvalId)).toMatchObject({ taskId: before.id });

		// The whole process goes away and comes back on the same data dir.
		await node.stop();
		node = await startNodeProcess("suspend-1", env, TOKEN);
		expect((await task(before.id)).status).toBe("suspended");

		const approved = await call(`/api/v1/approvals/${before.waitingFor!.approvalId}/approve`, { note: "go ahead" });
		expect(approved.status).toBe(200);
		let after: TaskDetail | undefined;
		await eventually("the run to finish", async () => (after = await task(before.id)).status === "succeeded", 20_000, 100);
		expect(after!.result).toMatchObject({ said: expect.any(String), decision: { approved: true, note: "go ahead" } });
		// Step 1 is the journaled one, untouched: the model was not asked again.
		expect(after!.steps.map(s => [s.seq, s.action, s.ok])).toEqual([
			[1, "mal.chat", true],
			[2, "approvals.waitFor", true]
		]);
		expect(after!.steps[0]).toEqual(before.steps[0]);
		expect(after!.attempts).toBe(2);
		expect(after!.waitingFor).toBeNull();
	});

	it("closes a suspended run on cancel: the run is cancelled, its approval expires with the reason, and a late decision is refused", async () => {
		const run = await suspended("second");
		const cancelled = await call<TaskDetail>(`/api/v1/tasks/${run.id}/cancel`, {});
		expect(cancelled.status).toBe(200);
		expect(cancelled.body.status).toBe("cancelled");
		const approvals = await call<{ items: Approval[] }>("/api/v1/approvals");
		expect(approvals.body.items.find(a => a.id === run.waitingFor!.approvalId)).toMatchObject({ status: "expired", note: `task ${run.id} was cancelled` });
		const late = await call<{ error: { type: string } }>(`/api/v1/approvals/${run.waitingFor!.approvalId}/approve`, {});
		expect(late.status).toBe(409);
		const again = await call<{ error: { type: string } }>(`/api/v1/tasks/${run.id}/cancel`, {});
		expect(again).toMatchObject({ status: 409, body: { error: { type: "TASK_ENDED" } } });
		expect((await task(run.id)).steps).toHaveLength(1);
	});

	it("gives a denial to the agent as its answer, and the run finishes with it", async () => {
		const run = await suspended("third");
		expect((await call(`/api/v1/approvals/${run.waitingFor!.approvalId}/deny`, { note: "not today" })).status).toBe(200);
		let after: TaskDetail | undefined;
		await eventually("the run to finish", async () => (after = await task(run.id)).status === "succeeded", 15_000, 100);
		expect(after!.result?.decision).toMatchObject({ approved: false, note: "not today" });
	});
});
