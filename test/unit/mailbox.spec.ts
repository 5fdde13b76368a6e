import { Mailbox, MailboxFullError } from "../../actors/mailbox";
import { RestartTracker } from "../../actors/restart-tracker";
import { canTransition } from "../../actors/agent-state";

const deferred = () => {
	let resolve!: (v: unknown) => void;
	const promise = new Promise(r => (resolve = r));
	return { promise, resolve };
};

describe("mailbox", () => {
	it("runs at most `concurrency` jobs, queues up to `maxQueue`, refuses the next", async () => {
		const box = new Mailbox(2, 1);
		const gates = [deferred(), deferred(), deferred()];
		const started: number[] = [];
		const jobs = gates.map((g, i) => box.push(async () => (started.push(i), g.promise)));
		expect(started).toEqual([0, 1]);
		expect([box.running, box.queued]).toEqual([2, 1]);
		await expect(box.push(async () => 1)).rejects.toBeInstanceOf(MailboxFullError);
		gates[0].resolve("a");
		await jobs[0];
		await Promise.resolve();
		expect(started).toEqual([0, 1, 2]);
		gates[1].resolve("b");
		gates[2].resolve("c");
		expect(await Promise.all(jobs)).toEqual(["a", "b", "c"]);
		await box.idle();
		expect([box.running, box.queued]).toEqual([0, 0]);
	});

	it("keeps going after a job fails", async () => {
		const box = new Mailbox(1, 5);
		const failing = box.push(async () => {
			throw new Error("nope");
		});
		const next = box.push(async () => "ok");
		await expect(failing).rejects.toThrow("nope");
		expect(await next).toBe("ok");
	});

	it("rejects what waits, not what runs", async () => {
		const box = new Mailbox(1, 5);
		const gate = deferred();
		const running = box.push(() => gate.promise);
		const waiting = box.push(async () => "never");
		box.rejectQueued(new Error("stopping"));
		await expect(waiting).rejects.toThrow("stopping");
		gate.resolve("done");
		expect(await running).toBe("done");
	});
});

describe("restart backoff", () => {
	const policy = { policy: "on-failure" as const, baseDelayMs: 100, factor: 2, maxDelayMs: 500, maxRestarts: 4, windowMs: 10_000 };

	it("doubles the delay within the window, capped, and gives up after maxRestarts", () => {
		const tracker = new RestartTracker(policy);
		const t0 = 1_000_000;
		const decisions = [0, 1, 2, 3, 4].map(i => tracker.next(t0 + i));
		expect(decisions.map(d => d.delayMs)).toEqual([100, 200, 400, 500, 500]);
		expect(decisions.map(d => d.giveUp)).toEqual([false, false, false, false, true]);
		expect(tracker.total).toBe(5);
	});

	it("forgets restarts older than the window", () => {
		const tracker = new RestartTracker(policy);
		tracker.next(0);
		tracker.next(1);
		expect(tracker.next(20_000)).toEqual({ delayMs: 100, giveUp: false, recent: 1 });
	});
});

describe("agent states", () => {
	it("allow the supervised lifecycle and refuse the rest", () => {
		expect(canTransition("pending", "starting")).toBe(true);
		expect(canTransition("running", "restarting")).toBe(true);
		expect(canTransition("crashed", "starting")).toBe(true);
		expect(canTransition("stopped", "running")).toBe(false);
		expect(canTransition("stopping", "running")).toBe(false);
	});
});
