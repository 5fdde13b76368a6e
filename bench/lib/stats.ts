/**
 * Timing helpers. Every iteration is timed with `process.hrtime.bigint()`; the mean
 * is per operation (an iteration may do several, e.g. a batch of concurrent calls),
 * the percentiles are per iteration.
 */

export interface Stats {
	iterations: number;
	/** Operations per iteration (1 unless a batch). */
	opsPerIteration: number;
	totalMs: number;
	opsPerSec: number;
	/** Mean time per operation, in µs. */
	meanUs: number;
	/** Median time per iteration, in µs. */
	p50Us: number;
	/** 99th percentile time per iteration, in µs. */
	p99Us: number;
	maxUs: number;
}

export interface MeasureOptions {
	iterations: number;
	/** Iterations run first and not timed (JIT, caches). */
	warmup?: number;
	opsPerIteration?: number;
}

type MaybePromise = unknown | Promise<unknown>;

function isThenable(value: unknown): value is PromiseLike<unknown> {
	return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** Runs `fn` `warmup` times, then `iterations` times timed, awaiting it when it returns a promise. */
export async function measure(fn: () => MaybePromise, options: MeasureOptions): Promise<Stats> {
	const { iterations, warmup = 0, opsPerIteration = 1 } = options;
	if (!(iterations > 0)) throw new RangeError("iterations must be positive");
	for (let i = 0; i < warmup; i++) {
		const r = fn();
		if (isThenable(r)) await r;
	}

	const samples = new Float64Array(iterations); // ns
	const start = process.hrtime.bigint();
	let last = start;
	for (let i = 0; i < iterations; i++) {
		const r = fn();
		if (isThenable(r)) await r;
		const now = process.hrtime.bigint();
		samples[i] = Number(now - last);
		last = now;
	}
	const totalNs = Number(last - start);

	samples.sort();
	const ops = iterations * opsPerIteration;
	return {
		iterations,
		opsPerIteration,
		totalMs: totalNs / 1e6,
		opsPerSec: ops / (totalNs / 1e9),
		meanUs: totalNs / ops / 1e3,
		p50Us: quantileSorted(samples, 0.5) / 1e3,
		p99Us: quantileSorted(samples, 0.99) / 1e3,
		maxUs: samples[samples.length - 1] / 1e3
	};
}

/** Nearest-rank quantile of an ascending array. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
	if (sorted.length === 0) return Number.NaN;
	const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
	return sorted[rank];
}

export function median(values: readonly number[]): number {
	return quantileSorted([...values].sort((a, b) => a - b), 0.5);
}

/** The median of each numeric field over several runs of the same measurement. */
export function medianStats(runs: readonly Stats[]): Stats {
	if (runs.length === 0) throw new RangeError("no runs");
	const pick = (key: keyof Stats) => median(runs.map(r => r[key]));
	return {
		iterations: runs[0].iterations,
		opsPerIteration: runs[0].opsPerIteration,
		totalMs: pick("totalMs"),
		opsPerSec: pick("opsPerSec"),
		meanUs: pick("meanUs"),
		p50Us: pick("p50Us"),
		p99Us: pick("p99Us"),
		maxUs: pick("maxUs")
	};
}
