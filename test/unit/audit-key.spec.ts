import fs from "node:fs";
import path from "node:path";
import { CheckpointStore, signCheckpoint, type UnsignedCheckpoint } from "../../lib/security/audit-checkpoints";
import { AuditKey } from "../../lib/security/audit-hash";
import { testTempDir } from "../support/test-tmp";

const cp: UnsignedCheckpoint = { chain: "c1", seq: 42, hash: "ab".repeat(32), legacyUntil: 7, at: "2026-12-07T00:00:00.000Z", node: "alpha" };

describe("the audit key", () => {
	it("is AUDIT_HMAC_KEY when set, otherwise derived from the cluster secret: the same on every node that shares it", () => {
		const derived = AuditKey.from(undefined, "the cluster secret");
		expect(AuditKey.from(undefined, "the cluster secret").id).toBe(derived.id);
		expect(AuditKey.from(undefined, "another cluster secret").id).not.toBe(derived.id);
		// The key is not the cluster secret itself: knowing one MAC does not give envelopes' secret.
		expect(AuditKey.from("the cluster secret", "x").id).not.toBe(derived.id);
		expect(AuditKey.from("an explicit audit key", "the cluster secret").id).toBe(new AuditKey("an explicit audit key").id);
		expect(derived.id).toMatch(/^[0-9a-f]{16}$/);
		expect(() => new AuditKey("short")).toThrow(RangeError);
	});

	it("signs checkpoints that another key, or any edit, no longer verifies", () => {
		const key = new AuditKey("the audit key of this cluster");
		const store = new CheckpointStore(path.join(testTempDir("agentos-cp-"), "cp.json"));
		const signed = signCheckpoint(key, cp);
		expect(store.offer(new AuditKey("somebody else's key"), signed)).toBe("other-key");
		expect(store.offer(key, { ...signed, seq: 43 })).toBe("bad-signature");
		expect(store.offer(key, { ...signCheckpoint(new AuditKey("somebody else's key"), cp), keyId: key.id })).toBe("bad-signature");
		expect(store.offer(key, signed)).toBe("kept");
		expect(store.offer(key, signCheckpoint(key, { ...cp, seq: 41 }))).toBe("not-newer");
		// Kept on disk (mode 0600), read back by the next process.
		expect(new CheckpointStore(store.file).latest("c1")).toEqual(signed);
		expect(fs.statSync(store.file).mode & 0o777).toBe(0o600);
	});
});
