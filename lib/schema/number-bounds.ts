/**
 * The largest numbers the database columns hold, for the `max` of every number a request
 * may send: a number beyond its column is a 422 naming the field, never a 500 from
 * PostgreSQL. (A test walks every action's params and fails on a number without bounds.)
 */

/** PostgreSQL `integer`; also the longest delay setTimeout honours, in ms. */
export const INT_MAX = 2_147_483_647;

/** PostgreSQL `bigint`, as far as a JavaScript number counts exactly. */
export const BIGINT_MAX = Number.MAX_SAFE_INTEGER;

/** The largest value of PostgreSQL `numeric(precision, scale)`. */
export function numericMax(precision: number, scale: number): number {
	return Number((10 ** (precision - scale) - 10 ** -scale).toFixed(scale));
}

/** Amounts in USD: `numeric(14, 6)` columns (budgets, bids, escrow). */
export const USD_MAX = numericMax(14, 6);

/** An OFFSET into a list: whole, from 0 to INT_MAX. */
export const OFFSET_PARAM = { type: "number", integer: true, min: 0, max: INT_MAX, optional: true, convert: true } as const;

/** A timeout a caller may ask for, in ms; the service clamps it to its own limit. */
export const TIMEOUT_MS_PARAM = { type: "number", integer: true, positive: true, max: INT_MAX, optional: true } as const;
