/** Small helpers the benchmarks share: a knob from the environment, a clock, a mean and a quantile. */
import { quantileSorted } from "./stats";

/** A whole-number knob (`BENCH_…`), or `fallback` when unset or not a positive integer. */
export function positiveInt(value: string | undefined, fallback: number): number {
	const n = Number(value);
	return Number.isInteger(n) && n > 0 ? n : fallback;
}

export const now = (): bigint => process.hrtime.bigint();
export const msSince = (start: bigint): number => Number(now() - start) / 1e6;
export const mean = (values: readonly number[]): number => values.reduce((s, v) => s + v, 0) / values.length;

/** Nearest-rank quantile of values in any order. */
export const quantile = (values: readonly number[], q: number): number => quantileSorted([...values].sort((a, b) => a - b), q);
