/**
 * Canonical JSON: the one byte form of a value that signatures and hash chains (manifest
 * signatures, envelopes, the audit log) are computed over, whatever its key order.
 * No dependency, so every layer and the SDK can use it.
 */
/**
 * JSON with object keys sorted (by UTF-16 code units, as Array#sort and RFC 8785 do) at
 * every depth and no whitespace. Otherwise it follows JSON.stringify: `toJSON` is used,
 * `undefined`/function/symbol properties are dropped (and become null in arrays),
 * non-finite numbers become null, and BigInt or a cycle throws a TypeError.
 */
export function canonicalJson(value: unknown): string {
	const out = encode(value, "", new Set());
	if (out === undefined) throw new TypeError("canonicalJson: the value has no JSON form");
	return out;
}

function encode(value: unknown, key: string, open: Set<object>): string | undefined {
	if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
		value = (value as { toJSON(key: string): unknown }).toJSON(key);
	}
	switch (typeof value) {
		case "string":
		case "boolean":
			return JSON.stringify(value);
		case "number":
			return Number.isFinite(value) ? JSON.stringify(value) : "null";
		case "bigint":
			throw new TypeError("canonicalJson: BigInt has no JSON form");
		case "undefined":
		case "function":
		case "symbol":
			return undefined;
	}
	if (value === null) return "null";
	const obj = value as object;
	if (open.has(obj)) throw new TypeError("canonicalJson: the value is circular");
	open.add(obj);
	let out: string;
	if (Array.isArray(obj)) {
		out = `[${obj.map((item, i) => encode(item, String(i), open) ?? "null").join(",")}]`;
	} else {
		const record = obj as Record<string, unknown>;
		const parts: string[] = [];
		for (const k of Object.keys(record).sort()) {
			const encoded = encode(record[k], k, open);
			if (encoded !== undefined) parts.push(`${JSON.stringify(k)}:${encoded}`);
		}
		out = `{${parts.join(",")}}`;
	}
	open.delete(obj);
	return out;
}
