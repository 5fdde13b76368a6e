/**
 * A tiny table printer for benchmark results: the baseline beside ours, the ratio
 * (ours / baseline), and the target with whether it was met. `BENCH_JSON=1` prints one
 * JSON line per row instead, for machines; progress and notes then go to stderr only.
 */

export interface Row {
	metric: string;
	baseline: number;
	ours: number;
	unit: string;
	/** ours / baseline. */
	ratio: number;
	/** The target, as a person reads it, e.g. "≤ 2x". */
	target?: string;
	met?: boolean;
	/** A short remark printed in the last column, e.g. an absolute difference. */
	note?: string;
}

export type RowInput = Omit<Row, "ratio"> & { ratio?: number };

/** A row whose ratio is computed from its values (NaN when the baseline is 0). */
export function row(input: RowInput): Row {
	const ratio = input.ratio ?? (input.baseline === 0 ? Number.NaN : input.ours / input.baseline);
	return { ...input, ratio };
}

export function jsonMode(env: NodeJS.ProcessEnv = process.env): boolean {
	const value = env.BENCH_JSON?.trim().toLowerCase();
	return value !== undefined && value !== "" && value !== "0" && value !== "false";
}

/** Progress and remarks: to stderr, so stdout holds only the results. */
export function log(message: string): void {
	process.stderr.write(`${message}\n`);
}

/** A number with a precision that suits its size: 123,456 · 456 · 45.6 · 4.56 · 0.456. */
export function formatNumber(value: number): string {
	if (!Number.isFinite(value)) return "–";
	const abs = Math.abs(value);
	if (abs >= 1000) return Math.round(value).toLocaleString("en-US");
	if (abs >= 100) return value.toFixed(0);
	if (abs >= 10) return value.toFixed(1);
	if (abs >= 1) return value.toFixed(2);
	if (abs === 0) return "0";
	return value.toFixed(3);
}

export function formatRatio(ratio: number): string {
	return Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : "–";
}

const HEADERS = ["metric", "baseline", "ours", "unit", "ratio", "target", "met", "note"] as const;
const RIGHT_ALIGNED = new Set<string>(["baseline", "ours", "ratio"]);

function cells(r: Row): string[] {
	return [
		r.metric,
		formatNumber(r.baseline),
		formatNumber(r.ours),
		r.unit,
		formatRatio(r.ratio),
		r.target ?? "",
		r.met === undefined ? "" : r.met ? "yes" : "NO",
		r.note ?? ""
	];
}

/** The table as text lines (title, header, rule, rows); columns that are empty everywhere are dropped. */
export function renderTable(title: string, rows: readonly Row[]): string[] {
	const body = rows.map(cells);
	const keep = HEADERS.map((h, i) => i < 5 || body.some(c => c[i] !== ""));
	const headers = HEADERS.filter((_, i) => keep[i]);
	const grid = body.map(c => c.filter((_, i) => keep[i]));
	const widths = headers.map((h, i) => Math.max(h.length, ...grid.map(c => c[i].length)));
	const line = (c: readonly string[]) =>
		c
			.map((text, i) => (RIGHT_ALIGNED.has(headers[i]) ? text.padStart(widths[i]) : text.padEnd(widths[i])))
			.join("  ")
			.trimEnd();
	return [
		title,
		line(headers),
		widths.map(w => "-".repeat(w)).join("  "),
		...grid.map(line)
	];
}

/** Prints the rows: an aligned table, or one JSON line per row in JSON mode. */
export function printTable(title: string, rows: readonly Row[], bench = title): void {
	if (jsonMode()) {
		for (const r of rows) {
			const { metric, baseline, ours, unit, ratio, target, met, note } = r;
			const line = { bench, metric, baseline, ours, unit, ratio: Number.isFinite(ratio) ? ratio : null, target, met, note };
			process.stdout.write(`${JSON.stringify(line)}\n`);
		}
		return;
	}
	process.stdout.write(`\n${renderTable(title, rows).join("\n")}\n`);
}
