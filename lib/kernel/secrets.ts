import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export interface StoredSecret {
	token: string;
	/** `env`: from its variable; `generated`: made on this boot; `stored`: made on an earlier boot. */
	source: "env" | "generated" | "stored";
	/** Where a generated secret is kept. */
	file?: string;
}

/** The admin token is one such secret. */
export type AdminToken = StoredSecret;

export function generateToken(bytes = 32): string {
	return crypto.randomBytes(bytes).toString("base64url");
}

/**
 * A secret from its variable when set; otherwise one generated on the first boot and
 * kept (mode 0600) in the data dir, so a zero-setup node is still never open.
 */
export function loadSecret(configured: string | undefined, dataDir: string, fileName: string): StoredSecret {
	if (configured) return { token: configured, source: "env" };
	const file = path.resolve(dataDir, fileName);
	try {
		const stored = fs.readFileSync(file, "utf8").trim();
		if (stored) return { token: stored, source: "stored", file };
	} catch (err) {
		if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
	}
	fs.mkdirSync(path.dirname(file), { recursive: true });
	const token = generateToken();
	fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
	return { token, source: "generated", file };
}

export function loadAdminToken(configured: string | undefined, dataDir: string): AdminToken {
	return loadSecret(configured, dataDir, "admin-token");
}

/** Compares secrets in constant time, so response timing does not leak a prefix. */
export function secretsEqual(given: string, expected: string): boolean {
	const a = crypto.createHash("sha256").update(given).digest();
	const b = crypto.createHash("sha256").update(expected).digest();
	return crypto.timingSafeEqual(a, b);
}

/**
 * A key for one purpose derived from a shared secret (HKDF-SHA256), so one secret set on
 * every node can key several things without any of them revealing it or each other.
 */
export function deriveKey(secret: string, purpose: string, bytes = 32): Buffer {
	return Buffer.from(crypto.hkdfSync("sha256", secret, "agentos", purpose, bytes));
}
