import { parseDuration, parsePolicy, PolicySyntaxError } from "../../lib/governance/policy-dsl";
import { dryRun, PolicyEvaluator, type ObservedEvent } from "../../lib/governance/policy-evaluator";

function syntaxError(source: string): PolicySyntaxError {
	try {
		parsePolicy(source);
	} catch (err) {
		if (err instanceof PolicySyntaxError) return err;
		throw err;
	}
	throw new Error(`parsed: ${source}`);
}

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const event = (s: number, extra: Partial<ObservedEvent> = {}): ObservedEvent => ({
	at: at(s),
	actor: { kind: "agent", id: "rogue" },
	action: "tools.invoke",
	target: "rogue",
	outcome: "succeeded",
	node: "n1",
	requestId: `r${s}`,
	data: { capability: "shell.exec", tool: "shell_exec" },
	...extra
});

describe("the policy language", () => {
	it("parses the example from the issue", () => {
		expect(parsePolicy('when tool.invoked where tool = "shell_exec" count > 20 within 1m then throttle 10m')).toEqual({
			event: "tool.invoked",
			conditions: [{ field: "tool", op: "=", value: "shell_exec" }],
			count: { op: ">", value: 20, windowMs: 60_000 },
			actions: [{ kind: "throttle", durationMs: 600_000 }]
		});
	});

	it("takes several conditions and actions, comments and any layout", () => {
		const rule = parsePolicy(`# repeated refusals
			when permission.denied
			  where actor.kind = "agent" and data.reason ~ "grant"
			  count >= 3 within 30s
			then open case "keeps trying what it may not", quarantine 2h and throttle 5m rate 2`);
		expect(rule.conditions).toEqual([
			{ field: "actor.kind", op: "=", value: "agent" },
			{ field: "data.reason", op: "~", value: "grant" }
		]);
		expect(rule.count).toEqual({ op: ">=", value: 3, windowMs: 30_000 });
		expect(rule.actions).toEqual([
			{ kind: "open_case", reason: "keeps trying what it may not" },
			{ kind: "quarantine", durationMs: 7_200_000 },
			{ kind: "throttle", durationMs: 300_000, ratePerMinute: 2 }
		]);
		expect(parsePolicy("when any then ban").actions).toEqual([{ kind: "ban" }]);
	});

	it.each([
		["when tool.invoked then", 1, 23, "expected an action"],
		['when tool.invoked where tool = "x', 1, 32, "unterminated string"],
		["when tool.invoked where colour = 1 then warn", 1, 25, 'unknown field "colour"'],
		["when tool.invoked\n  count > 20 within 1 then warn", 2, 21, "expected a duration for the window"],
		["when tool.invoked count > 20 within 8d then warn", 1, 37, "the window is at most 7d"],
		["when tool.invoked then throttle", 1, 32, "expected a duration for throttle"],
		["when tool.invoked then warn\n\n  explode", 3, 3, 'expected "and" and another action, or the end of the policy, found "explode"'],
		["tool.invoked then warn", 1, 1, 'expected "when"'],
		["when tool.invoked where tool = @ then warn", 1, 32, 'unexpected character "@"'],
		["when tool.invoked count ~ 3 within 1m then warn", 1, 25, "expected a comparison"]
	])("reports %j at line %i, column %i", (source, line, column, message) => {
		const err = syntaxError(source);
		expect({ line: err.line, column: err.column }).toEqual({ line, column });
		expect(err.message).toContain(message);
		expect(err.message).toMatch(new RegExp(`^line ${line}, column ${column}: `));
	});

	it("reads durations", () => {
		expect([parseDuration("30s"), parseDuration("10m"), parseDuration("2h"), parseDuration("7d"), parseDuration("10 minutes")]).toEqual([30_000, 600_000, 7_200_000, 604_800_000, undefined]);
	});
});

describe("evaluating policies on the audit stream", () => {
	const policy = (source: string) => ({ id: "p1", name: "shell-storm", rule: parsePolicy(source) });

	it("fires once the count is passed within the window, with the window's events as evidence, then starts afresh", () => {
		const evaluator = new PolicyEvaluator([policy('when tool.invoked where tool = "shell_exec" count > 3 within 1m then throttle 10m')]);
		const fired = [0, 1, 2, 3, 4, 5, 6, 7].map(s => evaluator.observe(event(s)).length);
		expect(fired).toEqual([0, 0, 0, 1, 0, 0, 0, 1]);
		const single = new PolicyEvaluator([policy("when tools.invoke then warn")]);
		expect(single.observe(event(9))).toMatchObject([{ subjectId: "rogue", evidence: [{ requestId: "r9", action: "tools.invoke" }] }]);
	});

	it("forgets events older than the window", () => {
		const evaluator = new PolicyEvaluator([policy("when tool.invoked count >= 3 within 10s then warn")]);
		expect([0, 5, 11, 16, 21].map(s => evaluator.observe(event(s)).length)).toEqual([0, 0, 0, 0, 0]);
		expect(evaluator.observe(event(22)).map(f => f.evidence.map(e => e.requestId))).toEqual([["r16", "r21", "r22"]]);
	});

	it("counts each agent apart, ignores people and other tools, and matches aliases and prefixes", () => {
		const evaluator = new PolicyEvaluator([policy('when tool.invoked where tool = "shell_exec" count > 1 within 1m then ban')]);
		expect(evaluator.observe(event(0))).toEqual([]);
		expect(evaluator.observe(event(1, { actor: { kind: "agent", id: "other" } }))).toEqual([]);
		expect(evaluator.observe(event(2, { actor: { kind: "user", id: "admin" } }))).toEqual([]);
		expect(evaluator.observe(event(3, { data: { tool: "http_fetch" } }))).toEqual([]);
		expect(evaluator.observe(event(4))).toMatchObject([{ subjectId: "rogue", policyName: "shell-storm", actions: [{ kind: "ban" }] }]);
		const posts = new PolicyEvaluator([policy("when forums.* then warn")]);
		expect(posts.observe(event(0, { action: "forums.reply" }))).toHaveLength(1);
		const denied = new PolicyEvaluator([policy("when permission.denied then open case")]);
		expect(denied.observe(event(0))).toHaveLength(0);
		expect(denied.observe(event(1, { outcome: "denied", action: "mal.chat" }))).toHaveLength(1);
	});

	it("reads only an event's own data and its own event names: inherited names (constructor, toString) match nothing", () => {
		const inherited = new PolicyEvaluator([policy('when any where data.toString ~ "native" then warn'), policy("when constructor then warn")]);
		expect(inherited.observe(event(0))).toEqual([]);
		expect(inherited.observe(event(1, { action: "constructor" }))).toHaveLength(1);
	});

	it("dry-runs over past events", () => {
		const events = [0, 1, 2, 3, 4, 5].map(s => event(s, { seq: s + 100 }));
		const firings = dryRun(policy("when tool.invoked count > 2 within 1m then quarantine 1h"), events);
		expect(firings.map(f => f.evidence.map(e => e.seq))).toEqual([
			[100, 101, 102],
			[103, 104, 105]
		]);
	});
});
