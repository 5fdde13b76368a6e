/**
 * Manifest signatures: HMAC-SHA256 over a canonical JSON form, so the same manifest signs
 * the same way whatever its key order or whitespace.
 *
 * Sign and verify the manifest AS ITS AUTHOR WROTE IT. `parseManifest` fills defaults, and
 * defaults may change between releases; a signature over the filled-in manifest would
 * break on upgrade. So callers verify the raw input first, then parse it:
 *
 *     if (!verifyManifest(raw, secret)) throw new ManifestSignatureError(...);
 *     const manifest = parseManifest(raw);
 *
 * This file has no runtime dependency besides node:crypto, so the SDK can ship it.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

const SIGNATURE = /^[0-9a-f]{64}$/;

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

function withoutSignature(manifest: object): Record<string, unknown> {
	const rest: Record<string, unknown> = { ...manifest };
	delete rest.signature;
	return rest;
}

function hmacHex(manifest: object, secret: string): string {
	// An empty key would make every signature forgeable; that is a setup mistake, not bad input.
	if (typeof secret !== "string" || secret.length === 0) throw new TypeError("The manifest signing secret must not be empty");
	return createHmac("sha256", secret).update(canonicalJson(withoutSignature(manifest))).digest("hex");
}

/** SHA-256 (hex) of the canonical manifest without its signature: a content id for logs and caches. */
export function manifestDigest(manifest: object): string {
	return createHash("sha256").update(canonicalJson(withoutSignature(manifest))).digest("hex");
}

/**
 * A copy of the manifest with `signature` set; an existing signature is replaced, not
 * signed over. Any object is accepted (a raw manifest has no type yet).
 */
export function signManifest<T extends object>(manifest: T & { signature?: string }, secret: string): T & { signature: string } {
	return { ...manifest, signature: hmacHex(manifest, secret) };
}

/**
 * True when `manifest.signature` is the HMAC of the rest of the manifest under `secret`.
 * False for anything else: not an object, no signature, a malformed one, or a mismatch.
 * Pass the raw input, before parseManifest fills in defaults.
 */
export function verifyManifest(manifest: unknown, secret: string): boolean {
	if (manifest === null || typeof manifest !== "object" || Array.isArray(manifest)) return false;
	const signature = (manifest as { signature?: unknown }).signature;
	const expected = hmacHex(manifest, secret);
	if (typeof signature !== "string" || !SIGNATURE.test(signature)) return false;
	return timingSafeEqual(Buffer.from(signature, "hex"), Buffer.from(expected, "hex"));
}
