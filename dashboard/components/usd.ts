/** Dollar amounts as the console shows them: model calls cost fractions of a cent. */

/** An amount with the digits a small cost needs: $0.0123, $0.000042. */
export function formatUsd(n: number): string {
	return `$${n.toFixed(n > 0 && n < 0.01 ? 6 : 4)}`;
}

/** Short enough for a chart's axis: $0, $0.003, $1.2. */
export function formatUsdAxis(n: number): string {
	return n === 0 ? "$0" : Math.abs(n) >= 1 ? `$${n.toFixed(1)}` : `$${n.toPrecision(1)}`;
}
