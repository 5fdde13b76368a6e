import { createHash, createHmac } from "node:crypto";
import { canonicalJson } from "../kernel/canonical-json";
import { deriveKey, secretsEqual } from "../kernel/secrets";

/** What an entry's hash covers, as hashed (`at` is ISO 8601 with milliseconds). */
export interface AuditHashedFields {
	at: string;
	actorKind: string;
	actorId: string;
	node: string;
	action: string;
	target: string | null;
	outcome: string;
	requestId: string | null;
	data: Record<string, unknown>;
	/** Who authenticated the call; not covered by the unkeyed scheme (its rows predate the field). */
	principalKind: string;
	principalId: string;
}

/**
 * `sha256`: rows written before the chain was keyed (hash = sha256(prev_hash + entry));
 * `hmac-sha256`: hash = HMAC(key, prev_hash + entry), the entry including the principal
 * and the key's id, so nobody without the key can write or rewrite a row that verifies.
 */
export type AuditScheme = "sha256" | "hmac-sha256";
export const LEGACY_SCHEME: AuditScheme = "sha256";
export const KEYED_SCHEME: AuditScheme = "hmac-sha256";
export const GENESIS_HASH = "0".repeat(64);

/** The key the chain and its checkpoints are signed with; only its id is ever shown or stored. */
export class AuditKey {
	/** 16 hex digits that name the key without revealing it, stored on every row it signs. */
	readonly id: string;
	private readonly secret: Buffer;

	constructor(secret: Buffer | string) {
		this.secret = typeof secret === "string" ? Buffer.from(secret, "utf8") : secret;
		if (this.secret.length < 16) throw new RangeError("An audit key needs at least 16 bytes");
		this.id = this.mac("agentos audit key id").slice(0, 16);
	}

	/**
	 * AUDIT_HMAC_KEY when set; otherwise derived from the cluster secret, which every node of
	 * a cluster already shares (or which is generated in the data dir of a single node).
	 */
	static from(configured: string | undefined, clusterSecret: string): AuditKey {
		return new AuditKey(configured ? Buffer.from(configured, "utf8") : deriveKey(clusterSecret, "audit-chain"));
	}

	mac(text: string): string {
		return createHmac("sha256", this.secret).update(text).digest("hex");
	}

	/** Whether `mac` is this key's MAC of `text`, compared in constant time. */
	verifies(text: string, mac: string): boolean {
		return secretsEqual(mac, this.mac(text));
	}
}

/** The unkeyed hash of rows written before the chain was keyed. */
export function auditHash(prevHash: string, e: Omit<AuditHashedFields, "principalKind" | "principalId">): string {
	const { at, actorKind, actorId, node, action, target, outcome, requestId, data } = e;
	const body = canonicalJson({ at, actorKind, actorId, node, action, target, outcome, requestId, data });
	return createHash("sha256").update(prevHash + body).digest("hex");
}

export function keyedAuditHash(key: AuditKey, prevHash: string, e: AuditHashedFields): string {
	const { at, actorKind, actorId, node, action, target, outcome, requestId, data, principalKind, principalId } = e;
	return key.mac(prevHash + canonicalJson({ at, actorKind, actorId, node, action, target, outcome, requestId, data, principalKind, principalId, keyId: key.id }));
}
