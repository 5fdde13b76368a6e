/**
 * Rounds of sequential calls to several variants of one thing (a REST call and its
 * protocol twin, a durable agent and a volatile one), each round's figures per variant
 * (mean, p50, p99, CPU per call), and the round to report a pair from. The benchmarks that compare variants
 * share it, so each measures the same way.
 */
import { median, quantileSorted } from "./stats";
import { log, row, type Row } from "./table";
import { mean, msSince, now } from "./timing";

export interface Variant {
	label: string;
	/** One call; with `timesItself`, it resolves to its own sample in ms (e.g. the time to a stream's first token). */
	run(): Promise<unknown>;
	timesItself?: boolean;
}

/** One round of one variant (or the median round), in ms. */
export interface Sampled {
	mean: number;
	p50: number;
	p99: number;
	/** Samples (in a median round, of all rounds). */
	n: number;
	/** CPU time of this whole process (client, node, fake servers) per call: less swayed by other processes than wall time. */
	cpu: number;
}

/** The figures of one round's samples, and the CPU time they took in all. */
export function summarize(samples: readonly number[], cpuMs: number): Sampled {
	const sorted = [...samples].sort((a, b) => a - b);
	return { mean: mean(sorted), p50: quantileSorted(sorted, 0.5), p99: quantileSorted(sorted, 0.99), n: sorted.length, cpu: cpuMs / sorted.length };
}

/** CPU time (user + system) of this process since `since`, in ms. */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
	const used = process.cpuUsage(since);
	return (used.user + used.system) / 1000;
}

export interface RoundsOptions {
	/** Timed calls per variant and round. */
	calls: number;
	rounds: number;
	/** Untimed calls per variant first (JIT, caches, the database's pages). */
	warmup?: number;
	/**
	 * `interleaved` (default): call by call, each variant in turn, the order rotating, so
	 * the load drifting over seconds on a busy machine falls on every variant alike.
	 * `blocks`: a round's calls of one variant, then the next's (the order rotating by round),
	 * for variants that must not disturb each other's caches.
	 */
	order?: "interleaved" | "blocks";
	/** Printed before each round's means (e.g. `overhead: `). */
	prefix?: string;
	/** After the warm-up and after each round, e.g. to clear what a fake server recorded. */
	afterRound?(): void;
}

/** Each variant's rounds, in order, by label. */
export async function measureRounds(variants: readonly Variant[], options: RoundsOptions): Promise<Map<string, Sampled[]>> {
	const { calls, rounds: count, warmup = 0, order = "interleaved", prefix = "" } = options;
	for (const v of variants) for (let i = 0; i < warmup; i++) await v.run();
	options.afterRound?.();
	const rounds = new Map<string, Sampled[]>(variants.map(v => [v.label, []]));
	for (let round = 0; round < count; round++) {
		const samples = new Map<string, { ms: number[]; cpuMs: number }>(variants.map(v => [v.label, { ms: [], cpuMs: 0 }]));
		const timed = async (v: Variant) => {
			const into = samples.get(v.label)!;
			const cpu = process.cpuUsage();
			const start = now();
			const result = await v.run();
			into.ms.push(v.timesItself ? Number(result) : msSince(start));
			into.cpuMs += cpuMsSince(cpu);
		};
		const at = (k: number, i: number) => variants[(k + i + round) % variants.length];
		if (order === "interleaved") {
			for (let i = 0; i < calls; i++) for (let k = 0; k < variants.length; k++) await timed(at(k, i));
		} else {
			for (let k = 0; k < variants.length; k++) for (let i = 0; i < calls; i++) await timed(at(k, 0));
		}
		for (const v of variants) {
			const { ms, cpuMs } = samples.get(v.label)!;
			rounds.get(v.label)!.push(summarize(ms, cpuMs));
		}
		options.afterRound?.();
		log(`  ${prefix}round ${round + 1}/${count}, mean ms: ${variants.map(v => `${v.label} ${rounds.get(v.label)![round].mean.toFixed(2)}`).join(", ")}`);
	}
	return rounds;
}

/** A pair's figures from the round whose ratio (ours / base, means) is the median: both sides ran under the same load. */
export interface RoundPair {
	base: Sampled;
	ours: Sampled;
	ratio: number;
	/** Every round's ratio, in order of size. */
	ratios: number[];
}

export function medianRoundPair(rounds: ReadonlyMap<string, readonly Sampled[]>, base: string, ours: string): RoundPair {
	const b = rounds.get(base);
	const o = rounds.get(ours);
	if (!b?.length || !o?.length) throw new RangeError(`no rounds of ${base} and ${ours}`);
	const ratios = b.map((s, i) => ({ i, ratio: o[i].mean / s.mean })).sort((x, y) => x.ratio - y.ratio);
	const mid = ratios[Math.floor((ratios.length - 1) / 2)];
	return { base: b[mid.i], ours: o[mid.i], ratio: mid.ratio, ratios: ratios.map(r => r.ratio) };
}

/** A variant's median round: the median of each figure apart; `n` counts every sample. */
export function medianRound(rounds: ReadonlyMap<string, readonly Sampled[]>, label: string): Sampled {
	const r = rounds.get(label);
	if (!r?.length) throw new RangeError(`no rounds of ${label}`);
	const pick = (key: "mean" | "p50" | "p99" | "cpu") => median(r.map(s => s[key]));
	return { mean: pick("mean"), p50: pick("p50"), p99: pick("p99"), n: r.reduce((sum, s) => sum + s.n, 0), cpu: pick("cpu") };
}

/** A signed difference for a note: `+1.20 ms`, `−0.30 ms`. */
export const diffMs = (v: number): string => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(2)} ms`;

/**
 * A pair's two rows: the means against the target (`metric, mean`; the note after the
 * difference, e.g. `per call; …`), then `the same, p50`.
 */
export function pairRows(metric: string, { base, ours }: Pick<RoundPair, "base" | "ours">, options: { target: number; note: string }): Row[] {
	return [
		row({
			metric: `${metric}, mean`,
			baseline: base.mean,
			ours: ours.mean,
			unit: "ms",
			target: `≤ ${options.target}x`,
			met: ours.mean / base.mean <= options.target,
			note: `${diffMs(ours.mean - base.mean)} ${options.note}`
		}),
		row({ metric: "the same, p50", baseline: base.p50, ours: ours.p50, unit: "ms", note: diffMs(ours.p50 - base.p50) })
	];
}
