/**
 * Per-action call counts and latency histograms, kept in plain arrays and rendered in
 * the Prometheus text format on scrape. prom-client re-validates and re-hashes the
 * labels on every observation (~1 µs), which is more than a whole local Moleculer
 * call; here an observation is a bucket search and three additions.
 */

export interface SeriesLabels {
	[name: string]: string;
}

class ActionSeries {
	ok = 0;
	failed = 0;
	sum = 0;
	/** Per-bucket counts (not cumulative); the last slot is +Inf. */
	readonly counts: number[];

	constructor(private readonly bounds: readonly number[]) {
		this.counts = new Array<number>(bounds.length + 1).fill(0);
	}

	observe(seconds: number, ok: boolean): void {
		if (ok) this.ok++;
		else this.failed++;
		this.sum += seconds;
		let i = 0;
		while (i < this.bounds.length && seconds > this.bounds[i]) i++;
		this.counts[i]++;
	}
}

export class ActionStats {
	private readonly series = new Map<string, ActionSeries>();

	constructor(
		private readonly bounds: readonly number[],
		private readonly names = { calls: "agentos_action_calls_total", duration: "agentos_action_duration_seconds" }
	) {}

	/** The series of one action, to keep and observe into without a lookup per call. */
	seriesFor(action: string): ActionSeries {
		let s = this.series.get(action);
		if (!s) this.series.set(action, (s = new ActionSeries(this.bounds)));
		return s;
	}

	render(common: SeriesLabels = {}): string {
		const { calls, duration } = this.names;
		const out = [
			`# HELP ${calls} Action executions on this node, by action and outcome`,
			`# TYPE ${calls} counter`
		];
		for (const [action, s] of this.series) {
			out.push(`${calls}${labels({ ...common, action, outcome: "ok" })} ${s.ok}`);
			out.push(`${calls}${labels({ ...common, action, outcome: "error" })} ${s.failed}`);
		}
		out.push(`# HELP ${duration} Time to execute an action on this node`, `# TYPE ${duration} histogram`);
		for (const [action, s] of this.series) {
			let cumulative = 0;
			this.bounds.forEach((bound, i) => {
				cumulative += s.counts[i];
				out.push(`${duration}_bucket${labels({ ...common, action, le: String(bound) })} ${cumulative}`);
			});
			const count = cumulative + s.counts[this.bounds.length];
			out.push(`${duration}_bucket${labels({ ...common, action, le: "+Inf" })} ${count}`);
			out.push(`${duration}_sum${labels({ ...common, action })} ${s.sum}`);
			out.push(`${duration}_count${labels({ ...common, action })} ${count}`);
		}
		return `${out.join("\n")}\n`;
	}
}

function labels(set: SeriesLabels): string {
	const pairs = Object.entries(set).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`);
	return `{${pairs.join(",")}}`;
}
