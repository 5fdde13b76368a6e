import { parseManifest } from "../../actors/manifest";
import { canonicalJson } from "../../lib/kernel/canonical-json";
import { manifestDigest, signManifest, verifyManifest } from "../../actors/manifest-signature";

const SECRET = "agent-signing-secret-for-tests";

const raw = {
	id: "researcher",
	name: "Researcher",
	entryPoint: "agents/researcher.js",
	permissions: ["memory.read", "a2a.send"],
	limits: { memoryMB: 512 },
	taskTypes: { ask: { schema: { type: "object", required: ["question"] } } }
};

describe("canonicalJson", () => {
	it("does not depend on key order, at any depth", () => {
		const a = { b: 1, a: { y: [1, { q: 1, p: 2 }], x: "s" } };
		const b = { a: { x: "s", y: [1, { p: 2, q: 1 }] }, b: 1 };
		expect(canonicalJson(a)).toBe(canonicalJson(b));
		expect(canonicalJson(a)).toBe('{"a":{"x":"s","y":[1,{"p":2,"q":1}]},"b":1}');
	});

	it("sorts keys that look like numbers as text too", () => {
		expect(canonicalJson({ b: 1, 10: 2, 2: 3 })).toBe('{"10":2,"2":3,"b":1}');
	});

	it("keeps array order and otherwise follows JSON.stringify", () => {
		const value = { when: new Date(0), list: [3, undefined, 1], gone: undefined, fn: () => 1, n: NaN, s: "é\n\"" };
		expect(canonicalJson(value)).toBe(`{"list":[3,null,1],"n":null,"s":${JSON.stringify("é\n\"")},"when":"1970-01-01T00:00:00.000Z"}`);
	});

	it("refuses values with no JSON form", () => {
		const loop: Record<string, unknown> = {};
		loop.self = loop;
		expect(() => canonicalJson(loop)).toThrow(TypeError);
		expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
		expect(() => canonicalJson(undefined)).toThrow(TypeError);
	});
});

describe("manifest signatures", () => {
	const signed = signManifest(raw, SECRET);

	it("signs with a hex HMAC that verifies, without changing the input", () => {
		expect(signed.signature).toMatch(/^[0-9a-f]{64}$/);
		expect(raw).not.toHaveProperty("signature");
		expect(verifyManifest(signed, SECRET)).toBe(true);
	});

	it("signs the content, not its key order, and replaces rather than signs an old signature", () => {
		const reordered = { taskTypes: raw.taskTypes, limits: raw.limits, permissions: raw.permissions, entryPoint: raw.entryPoint, name: raw.name, id: raw.id };
		expect(verifyManifest({ ...reordered, signature: signed.signature }, SECRET)).toBe(true);
		expect(signManifest(signed, SECRET).signature).toBe(signed.signature);
		expect(manifestDigest(signed)).toBe(manifestDigest(raw));
		expect(manifestDigest(raw)).toMatch(/^[0-9a-f]{64}$/);
	});

	it.each([
		["id", { ...signed, id: "impostor" }],
		["permissions", { ...signed, permissions: [...raw.permissions, "tools.*"] }],
		["limits.memoryMB", { ...signed, limits: { memoryMB: 65_536 } }],
		["a task schema", { ...signed, taskTypes: { ask: { schema: { type: "object" } } } }],
		["an added key", { ...signed, trustLevel: "autonomous" }]
	])("rejects a manifest whose %s changed after signing", (_what, tampered) => {
		expect(verifyManifest(tampered, SECRET)).toBe(false);
	});

	it("rejects a signature made with another secret", () => {
		expect(verifyManifest(signManifest(raw, "another-secret"), SECRET)).toBe(false);
	});

	it.each([
		["missing", raw],
		["empty", { ...raw, signature: "" }],
		["not hex", { ...raw, signature: "z".repeat(64) }],
		["too short", { ...raw, signature: signed.signature.slice(0, 62) }],
		["upper-case", { ...raw, signature: signed.signature.toUpperCase() }],
		["not a string", { ...raw, signature: 42 }]
	])("rejects a %s signature", (_what, manifest) => {
		expect(verifyManifest(manifest, SECRET)).toBe(false);
	});

	it("rejects input that is not an object", () => {
		expect(verifyManifest(null, SECRET)).toBe(false);
		expect(verifyManifest([signed], SECRET)).toBe(false);
	});

	it("refuses an empty secret instead of signing with it", () => {
		expect(() => signManifest(raw, "")).toThrow(/secret must not be empty/);
		expect(() => verifyManifest(signed, "")).toThrow(/secret must not be empty/);
	});

	it("is verified on the raw input: the parsed manifest carries unsigned defaults and does not verify", () => {
		expect(verifyManifest(signed, SECRET)).toBe(true);
		const parsed = parseManifest(signed);
		expect(parsed.signature).toBe(signed.signature);
		expect(verifyManifest(parsed, SECRET)).toBe(false);
		// Parsing leaves the raw input alone, so it can be verified before or after.
		expect(verifyManifest(signed, SECRET)).toBe(true);
	});
});
