import { ActionStats } from "../../lib/kernel/action-stats";

describe("action stats in Prometheus text", () => {
	it("counts outcomes and fills cumulative histogram buckets", () => {
		const stats = new ActionStats([0.01, 0.1, 1]);
		const add = stats.seriesFor("math.add");
		add.observe(0.005, true);
		add.observe(0.05, true);
		add.observe(0.5, false);
		add.observe(5, true);
		expect(stats.seriesFor("math.add")).toBe(add);

		const text = stats.render({ node: "n1" });
		const lines = text.trim().split("\n");
		expect(lines).toEqual([
			"# HELP agentos_action_calls_total Action executions on this node, by action and outcome",
			"# TYPE agentos_action_calls_total counter",
			'agentos_action_calls_total{node="n1",action="math.add",outcome="ok"} 3',
			'agentos_action_calls_total{node="n1",action="math.add",outcome="error"} 1',
			"# HELP agentos_action_duration_seconds Time to execute an action on this node",
			"# TYPE agentos_action_duration_seconds histogram",
			'agentos_action_duration_seconds_bucket{node="n1",action="math.add",le="0.01"} 1',
			'agentos_action_duration_seconds_bucket{node="n1",action="math.add",le="0.1"} 2',
			'agentos_action_duration_seconds_bucket{node="n1",action="math.add",le="1"} 3',
			'agentos_action_duration_seconds_bucket{node="n1",action="math.add",le="+Inf"} 4',
			'agentos_action_duration_seconds_sum{node="n1",action="math.add"} 5.555',
			'agentos_action_duration_seconds_count{node="n1",action="math.add"} 4'
		]);
	});

	it("puts a value equal to a bound in that bound's bucket", () => {
		const stats = new ActionStats([0.1]);
		stats.seriesFor("a").observe(0.1, true);
		expect(stats.render()).toContain('agentos_action_duration_seconds_bucket{action="a",le="0.1"} 1');
	});

	it("escapes label values", () => {
		const stats = new ActionStats([1]);
		stats.seriesFor('we"ird\\name\nx').observe(0, true);
		expect(stats.render()).toContain('action="we\\"ird\\\\name\\nx"');
	});
});
