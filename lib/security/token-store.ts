import crypto from "node:crypto";
import type { Database } from "../kernel/database";
import type { Scope } from "./capabilities";

export interface ApiToken {
	id: string;
	name: string;
	scopes: Scope[];
	createdBy: string;
	createdAt: string;
	expiresAt: string | null;
	revokedAt: string | null;
	lastUsedAt: string | null;
}

interface Row {
	id: string;
	name: string;
	scopes: Scope[];
	created_by: string;
	created_at: Date;
	expires_at: Date | null;
	revoked_at: Date | null;
	last_used_at: Date | null;
}

/** How long a looked-up token is trusted before the database is asked again (revocation reaches other nodes within this). */
const CACHE_MS = 5000;
const PREFIX = "aos_";

export function hashToken(token: string): string {
	return crypto.createHash("sha256").update(token).digest("hex");
}

function toToken(r: Row): ApiToken {
	const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
	return {
		id: r.id,
		name: r.name,
		scopes: r.scopes,
		createdBy: r.created_by,
		createdAt: new Date(r.created_at).toISOString(),
		expiresAt: iso(r.expires_at),
		revokedAt: iso(r.revoked_at),
		lastUsedAt: iso(r.last_used_at)
	};
}

/**
 * Scoped API tokens. The token itself is shown once, at creation; only its SHA-256 is
 * stored. Lookups are cached briefly, so a busy token costs no query per request.
 */
export class TokenStore {
	private readonly cache = new Map<string, { token: ApiToken | null; until: number }>();

	constructor(private readonly db: Database) {}

	async create(name: string, scopes: Scope[], createdBy: string, expiresAt: Date | null): Promise<{ token: string; record: ApiToken }> {
		const token = `${PREFIX}${crypto.randomBytes(24).toString("base64url")}`;
		const { rows } = await this.db.query<Row>(
			"INSERT INTO api_tokens (id, name, token_hash, scopes, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
			[crypto.randomUUID(), name, hashToken(token), scopes, createdBy, expiresAt]
		);
		return { token, record: toToken(rows[0]) };
	}

	/** The live token a bearer value stands for: not revoked, not expired. */
	async resolve(token: string): Promise<ApiToken | null> {
		if (!token.startsWith(PREFIX)) return null;
		const hash = hashToken(token);
		const cached = this.cache.get(hash);
		const now = Date.now();
		let record = cached && cached.until > now ? cached.token : undefined;
		if (record === undefined) {
			const { rows } = await this.db.query<Row>("SELECT * FROM api_tokens WHERE token_hash = $1", [hash]);
			record = rows[0] ? toToken(rows[0]) : null;
			if (this.cache.size > 10_000) this.cache.clear();
			this.cache.set(hash, { token: record, until: now + CACHE_MS });
			if (record) void this.db.query("UPDATE api_tokens SET last_used_at = now() WHERE id = $1", [record.id]).catch(() => undefined);
		}
		if (!record || record.revokedAt || (record.expiresAt && Date.parse(record.expiresAt) <= now)) return null;
		return record;
	}

	async list(): Promise<ApiToken[]> {
		const { rows } = await this.db.query<Row>("SELECT * FROM api_tokens ORDER BY created_at");
		return rows.map(toToken);
	}

	async revoke(id: string): Promise<ApiToken | null> {
		const { rows } = await this.db.query<Row>("UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING *", [id]);
		this.forget();
		return rows[0] ? toToken(rows[0]) : null;
	}

	/** Drops cached lookups (a token was revoked here or on another node). */
	forget(): void {
		this.cache.clear();
	}
}
