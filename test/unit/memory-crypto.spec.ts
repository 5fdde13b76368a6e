import { MemoryCipher } from "../../lib/memory/memory-crypto";
import { loadConfig } from "../../lib/kernel/config";

describe("MemoryCipher", () => {
	const cipher = MemoryCipher.fromSetting("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");

	it("round-trips text and bytes, with a fresh nonce every time", () => {
		const a = cipher.encryptText("agent-1", "m1", "the secret");
		const b = cipher.encryptText("agent-1", "m1", "the secret");
		expect(a).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
		expect(a).not.toBe(b);
		expect(cipher.decryptText("agent-1", "m1", a)).toBe("the secret");
		const bytes = Buffer.from([1, 2, 3, 250]);
		expect(cipher.decryptBytes("agent-1", "m1", cipher.encryptBytes("agent-1", "m1", bytes))).toEqual(bytes);
	});

	it("opens nothing under another agent's key, another memory's id, or a changed byte", () => {
		const sealed = cipher.encryptText("agent-1", "m1", "the secret");
		expect(() => cipher.decryptText("agent-2", "m1", sealed)).toThrow();
		expect(() => cipher.decryptText("agent-1", "m2", sealed)).toThrow();
		const parts = sealed.split(".");
		parts[3] = Buffer.from(Buffer.from(parts[3], "base64url").map((x, i) => (i === 0 ? x ^ 1 : x))).toString("base64url");
		expect(() => cipher.decryptText("agent-1", "m1", parts.join("."))).toThrow();
		expect(() => MemoryCipher.fromSetting("another key, also long enough 32+").decryptText("agent-1", "m1", sealed)).toThrow();
	});

	it("accepts hex, base64 or a long passphrase, and refuses a short key", () => {
		expect(() => MemoryCipher.fromSetting(Buffer.alloc(32, 7).toString("base64"))).not.toThrow();
		expect(() => new MemoryCipher(Buffer.alloc(16))).toThrow(/at least 32 bytes/);
		expect(() => new MemoryCipher(Buffer.alloc(16))).toThrow(expect.objectContaining({ type: "CONFIG_INVALID", key: "MEMORY_ENCRYPTION_KEY" }));
		expect(() => loadConfig({ MEMORY_ENCRYPTION_ENABLED: "true" })).toThrow("MEMORY_ENCRYPTION_KEY must be set when MEMORY_ENCRYPTION_ENABLED is true");
		expect(() => loadConfig({ MEMORY_ENCRYPTION_KEY: "short" })).toThrow("MEMORY_ENCRYPTION_KEY must be text of at least 32 characters");
		expect(() => loadConfig({ MEMORY_ENCRYPTION_KEY: "short" })).not.toThrow(/short/);
	});
});
