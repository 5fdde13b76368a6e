import { parsePolicy } from "../../lib/governance/policy-dsl";
import { SharedPolicyEvaluator } from "../../lib/governance/shared-policy-evaluator";
import { SharedCounters } from "../../lib/society/shared-counters";

const posted = (actor: string, n: number) => ({
	at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
	actor: { kind: "agent", id: actor },
	action: "forums.post",
	target: "f1",
	outcome: "succeeded",
	node: "alpha",
	requestId: `r${n}`,
	data: {}
});

describe("policy windows counted in shared counters (in memory here)", () => {
	const counters = new SharedCounters(undefined);
	const evaluator = (source: string, id = "p") => new SharedPolicyEvaluator([{ id, name: id, rule: parsePolicy(source) }], windowMs => counters.tally(`test-${id}`, windowMs));

	it("fires once when an agent's count crosses the threshold, then starts the window afresh", async () => {
		const e = evaluator("when forum.posted count > 2 within 1m then warn", "cross");
		const fired: number[] = [];
		for (let n = 1; n <= 7; n++) if ((await e.observe(posted("crier", n))).length) fired.push(n);
		expect(fired).toEqual([3, 6]);
	});

	it("keeps agents apart and counts no one else's events", async () => {
		const e = evaluator("when forum.posted count >= 2 within 1m then warn", "apart");
		expect((await e.observe(posted("a", 1))).length + (await e.observe(posted("b", 2))).length).toBe(0);
		const [firing] = await e.observe(posted("a", 3));
		expect(firing).toMatchObject({ subjectId: "a", evidence: [{ requestId: "r1" }, { requestId: "r3" }] });
		expect(await e.observe({ ...posted("x", 4), actor: { kind: "user", id: "x" } })).toEqual([]);
	});

	it("fires on every matching event without a count clause", async () => {
		const e = evaluator("when forum.posted then warn", "each");
		expect((await e.observe(posted("a", 1))).length + (await e.observe(posted("a", 2))).length).toBe(2);
	});
});

describe("SharedCounters without Redis", () => {
	it("limits hits per key in a fixed window and says how long to wait", async () => {
		const limiter = new SharedCounters(undefined).limiter("posts", 2, 60_000);
		expect([await limiter.hit("a"), await limiter.hit("a"), await limiter.hit("b")]).toEqual([0, 0, 0]);
		const wait = await limiter.hit("a");
		expect(wait).toBeGreaterThan(59_000);
		expect(wait).toBeLessThanOrEqual(60_000);
	});

	it("is unlimited at 0", async () => {
		const limiter = new SharedCounters(undefined).limiter("posts", 0, 60_000);
		for (let i = 0; i < 100; i++) expect(await limiter.hit("a")).toBe(0);
	});
});
