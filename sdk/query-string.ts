/** `?a=1&b=x` from the set fields of `params` (undefined, null and "" left out; dates as ISO text), or "". */
export function queryString(params: object): string {
	const q = new URLSearchParams();
	for (const [key, value] of Object.entries(params)) {
		if (value === undefined || value === null || value === "") continue;
		q.set(key, value instanceof Date ? value.toISOString() : String(value));
	}
	const s = q.toString();
	return s ? `?${s}` : "";
}
