import crypto from "node:crypto";
import type { Database } from "../../kernel/database/database";
import type { RemoteCard } from "./a2a-remote";

/** A remote A2A agent in the directory; its token stays sealed in the store. */
export interface RemoteAgent {
	id: string;
	cardUrl: string;
	url: string;
	name: string;
	description: string;
	skills: string[];
	hasToken: boolean;
	addedBy: string | null;
	createdAt: string;
	refreshedAt: string;
}

interface Row {
	id: string;
	card_url: string;
	url: string;
	name: string;
	description: string;
	skills: string[];
	token_sealed: string | null;
	added_by: string | null;
	created_at: Date | string;
	refreshed_at: Date | string;
}

const iso = (d: Date | string): string => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

function toAgent(r: Row): RemoteAgent {
	return {
		id: r.id,
		cardUrl: r.card_url,
		url: r.url,
		name: r.name,
		description: r.description,
		skills: r.skills,
		hasToken: r.token_sealed !== null,
		addedBy: r.added_by,
		createdAt: iso(r.created_at),
		refreshedAt: iso(r.refreshed_at)
	};
}

/** `Echo Agent` at `http://b.example:4000/…` → `echo-agent@b.example:4000`: never the id of a local agent. */
export function remoteIdOf(name: string, cardUrl: string): string {
	const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60) || "agent";
	return `${slug}@${new URL(cardUrl).host}`;
}

/**
 * The remote agents of the directory. Tokens are sealed with AES-256-GCM under a key every
 * node derives from the cluster secret, so they are never stored, listed or logged in clear.
 */
export class RemoteAgentStore {
	constructor(
		private readonly db: () => Database,
		private readonly key: Buffer
	) {}

	/** Adds the agent a card describes, or refreshes it when that card URL is known; a given token replaces the stored one. */
	async upsert(cardUrl: string, card: RemoteCard, token: string | undefined, addedBy: string | null): Promise<{ agent: RemoteAgent; created: boolean }> {
		const sealed = token === undefined ? null : this.seal(token);
		const { rows } = await this.db().query<Row & { inserted: boolean }>(
			`INSERT INTO remote_agents (id, card_url, url, name, description, skills, card, token_sealed, added_by)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			 ON CONFLICT (card_url) DO UPDATE SET url = EXCLUDED.url, name = EXCLUDED.name, description = EXCLUDED.description,
			 skills = EXCLUDED.skills, card = EXCLUDED.card, token_sealed = COALESCE(EXCLUDED.token_sealed, remote_agents.token_sealed), refreshed_at = now()
			 RETURNING *, (xmax = 0) AS inserted`,
			[remoteIdOf(card.name, cardUrl), cardUrl, card.url, card.name, card.description, card.skills, JSON.stringify(card.card), sealed, addedBy]
		);
		return { agent: toAgent(rows[0]), created: rows[0].inserted };
	}

	async get(id: string): Promise<RemoteAgent | null> {
		const { rows } = await this.db().query<Row>("SELECT * FROM remote_agents WHERE id = $1", [id]);
		return rows[0] ? toAgent(rows[0]) : null;
	}

	/** The stored token in clear, for the one request that sends it. */
	async tokenOf(id: string): Promise<string | undefined> {
		const { rows } = await this.db().query<{ token_sealed: string | null }>("SELECT token_sealed FROM remote_agents WHERE id = $1", [id]);
		const sealed = rows[0]?.token_sealed;
		return sealed ? this.open(sealed) : undefined;
	}

	async remove(id: string): Promise<boolean> {
		const { rows } = await this.db().query<{ id: string }>("DELETE FROM remote_agents WHERE id = $1 RETURNING id", [id]);
		return rows.length > 0;
	}

	private seal(token: string): string {
		const iv = crypto.randomBytes(12);
		const cipher = crypto.createCipheriv("aes-256-gcm", this.key, iv);
		const data = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
		return ["v1", iv.toString("base64"), cipher.getAuthTag().toString("base64"), data.toString("base64")].join(":");
	}

	private open(sealed: string): string {
		const [, iv, tag, data] = sealed.split(":");
		const decipher = crypto.createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64"));
		decipher.setAuthTag(Buffer.from(tag, "base64"));
		return Buffer.concat([decipher.update(Buffer.from(data, "base64")), decipher.final()]).toString("utf8");
	}
}
