import crypto from "node:crypto";
import { ConfigError } from "../kernel/errors";
import { MemoryUnreadableError } from "./memory-errors";

const VERSION = "v1";

/**
 * Encryption at rest for memories: AES-256-GCM under a key of each agent's own, derived
 * with HKDF-SHA256 from the node's MEMORY_ENCRYPTION_KEY and the agent id — one leaked
 * agent key opens one agent's memories. The memory id is bound as additional data, so a
 * ciphertext moved onto another row does not decrypt. Format: `v1.<iv>.<tag>.<data>`
 * (base64url), or the same three parts as raw bytes for vectors.
 */
export class MemoryCipher {
	private readonly keys = new Map<string, Buffer>();

	constructor(private readonly master: Buffer) {
		if (master.length < 32) throw new ConfigError("Invalid configuration: MEMORY_ENCRYPTION_KEY must carry at least 32 bytes", "MEMORY_ENCRYPTION_KEY");
	}

	/** The key as configured: 64 hex digits or base64 for 32 random bytes, or any passphrase of 32+ characters. */
	static fromSetting(value: string): MemoryCipher {
		const text = value.trim();
		if (/^[0-9a-f]{64}$/i.test(text)) return new MemoryCipher(Buffer.from(text, "hex"));
		const b64 = /^[A-Za-z0-9+/_-]{43}=?$/.test(text) ? Buffer.from(text, "base64") : undefined;
		return new MemoryCipher(b64?.length === 32 ? b64 : Buffer.from(text, "utf8"));
	}

	encryptText(agentId: string, memoryId: string, plain: string): string {
		const { iv, tag, data } = this.seal(agentId, memoryId, Buffer.from(plain, "utf8"));
		return [VERSION, iv.toString("base64url"), tag.toString("base64url"), data.toString("base64url")].join(".");
	}

	decryptText(agentId: string, memoryId: string, sealed: string): string {
		const [version, iv, tag, data] = sealed.split(".");
		if (version !== VERSION || data === undefined) throw new MemoryUnreadableError(memoryId);
		return this.open(agentId, memoryId, Buffer.from(iv, "base64url"), Buffer.from(tag, "base64url"), Buffer.from(data, "base64url")).toString("utf8");
	}

	encryptBytes(agentId: string, memoryId: string, plain: Buffer): Buffer {
		const { iv, tag, data } = this.seal(agentId, memoryId, plain);
		return Buffer.concat([iv, tag, data]);
	}

	decryptBytes(agentId: string, memoryId: string, sealed: Uint8Array): Buffer {
		const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
		return this.open(agentId, memoryId, bytes.subarray(0, 12), bytes.subarray(12, 28), bytes.subarray(28));
	}

	private seal(agentId: string, memoryId: string, plain: Buffer): { iv: Buffer; tag: Buffer; data: Buffer } {
		const iv = crypto.randomBytes(12);
		const cipher = crypto.createCipheriv("aes-256-gcm", this.keyOf(agentId), iv);
		cipher.setAAD(Buffer.from(memoryId, "utf8"));
		const data = Buffer.concat([cipher.update(plain), cipher.final()]);
		return { iv, tag: cipher.getAuthTag(), data };
	}

	private open(agentId: string, memoryId: string, iv: Buffer, tag: Buffer, data: Buffer): Buffer {
		const decipher = crypto.createDecipheriv("aes-256-gcm", this.keyOf(agentId), iv);
		decipher.setAAD(Buffer.from(memoryId, "utf8"));
		try {
			decipher.setAuthTag(tag);
			return Buffer.concat([decipher.update(data), decipher.final()]);
		} catch {
			// GCM's authentication failed: another key, or a record changed or moved onto another row.
			throw new MemoryUnreadableError(memoryId);
		}
	}

	private keyOf(agentId: string): Buffer {
		let key = this.keys.get(agentId);
		if (!key) {
			key = Buffer.from(crypto.hkdfSync("sha256", this.master, "agentos-memory", `agent:${agentId}`, 32));
			if (this.keys.size > 10_000) this.keys.clear();
			this.keys.set(agentId, key);
		}
		return key;
	}
}
