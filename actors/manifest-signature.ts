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
 * This file has no runtime dependency besides node:crypto and the kernel's canonical JSON,
 * so the SDK can ship it.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { canonicalJson } from "../lib/kernel/canonical-json";

const SIGNATURE = /^[0-9a-f]{64}$/;

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
