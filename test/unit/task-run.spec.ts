import { Errors } from "moleculer";
import type { RunWait } from "../../actors/errors";
import type { JournalStep } from "../../actors/run-journal";
import { TaskRun, type TaskRunDeps } from "../../actors/task-run";

/** A journal kept in memory, and the suspensions written. */
function journalDeps() {
	const written: JournalStep[] = [];
	const suspended: RunWait[] = [];
	const deps: TaskRunDeps = {
		append: async (_taskId, step) => void written.push(step),
		suspend: async (_run, wait) => {
			const full: RunWait = { kind: wait.kind, approvalId: wait.approvalId, action: wait.action, reason: wait.reason, step: wait.step, since: "now", until: wait.expiresAt };
			suspended.push(full);
			return full;
		}
	};
	return { deps, written, suspended };
}

/** An action that counts its calls and answers what it is told. */
function counted<T>(answer: (n: number) => T | Promise<T>) {
	let calls = 0;
	const make = async () => answer(++calls);
	return { make, calls: () => calls };
}

describe("a task run's journal", () => {
	it("journals each call with its result, cost and label, and replays them on the next attempt without calling again", async () => {
		const { deps, written } = journalDeps();
		const chat = counted(n => ({ message: { content: `answer ${n}` }, costUsd: 0.25, usage: { totalTokens: 30 }, model: "gpt-test" }));
		const tool = counted(n => ({ content: `tool ran ${n}` }));

		const first = new TaskRun("t1", "a", [], deps);
		await first.step("mal.chat", { model: "alias" }, chat.make);
		await first.step("tools.invoke", { toolId: "builtin:http_fetch" }, tool.make);
		expect(written.map(s => [s.seq, s.action, s.label, s.ok, s.costUsd, s.tokens])).toEqual([
			[1, "mal.chat", "gpt-test", true, 0.25, 30],
			[2, "tools.invoke", "builtin:http_fetch", true, 0, 0]
		]);

		// The next attempt: the same calls are answered from the journal; the third is made.
		const again = new TaskRun("t1", "a", written, deps);
		expect(await again.step("mal.chat", {}, chat.make)).toEqual({ message: { content: "answer 1" }, costUsd: 0.25, usage: { totalTokens: 30 }, model: "gpt-test" });
		expect(await again.step("tools.invoke", { toolId: "builtin:http_fetch" }, tool.make)).toEqual({ content: "tool ran 1" });
		expect(await again.step("mal.chat", {}, chat.make)).toMatchObject({ message: { content: "answer 2" } });
		expect([chat.calls(), tool.calls()]).toEqual([2, 1]);
		expect(written.map(s => s.seq)).toEqual([1, 2, 3]);
		expect(again.nextStep).toBe(4);
	});

	it("replays a journaled error as the agent first saw it, but makes a transient failure again", async () => {
		const { deps, written } = journalDeps();
		const refused = new Errors.MoleculerClientError("no grant of network.fetch", 403, "PERMISSION_DENIED", { capability: "network.fetch" });
		const away = new Errors.MoleculerRetryableError("the database is away", 503, "DATABASE_UNAVAILABLE");
		const run = new TaskRun("t2", "a", [], deps);
		await expect(run.step("tools.invoke", {}, () => Promise.reject(refused))).rejects.toBe(refused);
		await expect(run.step("memory.store", {}, () => Promise.reject(away))).rejects.toBe(away);
		expect(written.map(s => [s.seq, s.ok, s.error?.type])).toEqual([[1, false, "PERMISSION_DENIED"]]);

		const store = counted(() => ({ id: "m1" }));
		const again = new TaskRun("t2", "a", written, deps);
		await expect(again.step("tools.invoke", {}, () => Promise.resolve("not called"))).rejects.toMatchObject({ type: "PERMISSION_DENIED", code: 403, data: { capability: "network.fetch" } });
		expect(await again.step("memory.store", {}, store.make)).toEqual({ id: "m1" });
		expect(store.calls()).toBe(1);
	});

	it("refuses to replay a run whose code calls something else at a journaled step, and every call after", async () => {
		const { deps, written } = journalDeps();
		await new TaskRun("t3", "a", [], deps).step("mal.chat", {}, async () => "hi");
		const again = new TaskRun("t3", "a", written, deps);
		await expect(again.step("tools.invoke", {}, async () => "no")).rejects.toMatchObject({ type: "REPLAY_DIVERGED", data: { step: 1, journaled: "mal.chat", called: "tools.invoke" } });
		await expect(again.step("mal.chat", {}, async () => "no")).rejects.toMatchObject({ type: "REPLAY_DIVERGED" });
	});

	it("suspends on a call that needs a person: the wait is written, that call and every later one are refused", async () => {
		const { deps, written, suspended } = journalDeps();
		const pending = new Errors.MoleculerClientError("needs approval", 202, "APPROVAL_PENDING", { approvalId: "ap-1", action: "shell_exec", reason: "asks to run shell_exec", expiresAt: "2030-01-01T00:00:00.000Z" });
		const run = new TaskRun("t4", "a", [], deps);
		await run.step("mal.chat", {}, async () => "first");
		await expect(run.step("tools.invoke", {}, () => Promise.reject(pending))).rejects.toMatchObject({ type: "TASK_SUSPENDED", data: { waitingFor: { approvalId: "ap-1", step: 2 } } });
		const later = counted(() => "never");
		await expect(run.step("mal.chat", {}, later.make)).rejects.toMatchObject({ type: "TASK_SUSPENDED" });
		expect(later.calls()).toBe(0);
		expect(suspended).toEqual([expect.objectContaining({ approvalId: "ap-1", action: "shell_exec", step: 2, until: "2030-01-01T00:00:00.000Z" })]);
		expect(written).toHaveLength(1);

		// Resumed at the step that waited, that call carries the decision; the ones before are replayed.
		const seen: Array<string | undefined> = [];
		const resumed = new TaskRun("t4", "a", written, deps, { step: 2, approvalId: "ap-1" });
		expect(await resumed.step("mal.chat", {}, async () => "again")).toBe("first");
		expect(await resumed.step("tools.invoke", {}, async extras => (seen.push(extras.approvalId), "ran"))).toBe("ran");
		await resumed.step("mal.chat", {}, async extras => (seen.push(extras.approvalId), "after"));
		expect(seen).toEqual(["ap-1", undefined]);
	});

	it("answers a pending call at once when the run is cancelled, and still journals the call when it completes", async () => {
		const { deps, written } = journalDeps();
		let finish: (value: string) => void = () => undefined;
		const run = new TaskRun("t5", "a", [], deps);
		const waiting = run.step("tools.invoke", {}, () => new Promise<string>(resolve => (finish = resolve)));
		run.cancel();
		await expect(waiting).rejects.toMatchObject({ type: "TASK_CANCELLED" });
		await expect(run.step("mal.chat", {}, async () => "no")).rejects.toMatchObject({ type: "TASK_CANCELLED" });
		finish("done late");
		await run.settled();
		expect(written.map(s => [s.seq, s.result])).toEqual([[1, "done late"]]);
	});
});
