import type { Database } from "../kernel/database";
import type { Capability, GrantConstraints } from "./capabilities";

export interface Grant {
	id: number;
	agentId: string;
	capability: Capability;
	constraints: GrantConstraints;
	grantedBy: string;
	grantedAt: string;
	expiresAt: string | null;
}

interface Row {
	id: string;
	agent_id: string;
	capability: Capability;
	constraints: GrantConstraints;
	granted_by: string;
	granted_at: Date;
	expires_at: Date | null;
}

/** How long an agent's grants are trusted before they are read again; changes also clear it at once, cluster-wide. */
const CACHE_MS = 5000;

function toGrant(r: Row): Grant {
	return {
		id: Number(r.id),
		agentId: r.agent_id,
		capability: r.capability,
		constraints: r.constraints ?? {},
		grantedBy: r.granted_by,
		grantedAt: new Date(r.granted_at).toISOString(),
		expiresAt: r.expires_at ? new Date(r.expires_at).toISOString() : null
	};
}

/** Agents' capability grants, read on every privileged call an agent makes, so cached per agent. */
export class GrantStore {
	private readonly cache = new Map<string, { grants: Grant[]; until: number }>();

	constructor(private readonly db: Database) {}

	/** Active (not revoked, not expired) grants of an agent. */
	async active(agentId: string): Promise<Grant[]> {
		const now = Date.now();
		const cached = this.cache.get(agentId);
		let grants = cached && cached.until > now ? cached.grants : undefined;
		if (!grants) {
			const { rows } = await this.db.query<Row>("SELECT * FROM agent_grants WHERE agent_id = $1 AND revoked_at IS NULL ORDER BY id", [agentId]);
			grants = rows.map(toGrant);
			if (this.cache.size > 50_000) this.cache.clear();
			this.cache.set(agentId, { grants, until: now + CACHE_MS });
		}
		return grants.filter(g => !g.expiresAt || Date.parse(g.expiresAt) > now);
	}

	/** The grant that allows `capability`, or undefined. Several grants of one capability: the first (oldest) wins. */
	async find(agentId: string, capability: Capability): Promise<Grant | undefined> {
		return (await this.active(agentId)).find(g => g.capability === capability);
	}

	async grant(agentId: string, capability: Capability, by: string, constraints: GrantConstraints = {}, expiresAt: Date | null = null): Promise<Grant> {
		const { rows } = await this.db.query<Row>(
			"INSERT INTO agent_grants (agent_id, capability, constraints, granted_by, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING *",
			[agentId, capability, JSON.stringify(constraints), by, expiresAt]
		);
		this.forget(agentId);
		return toGrant(rows[0]);
	}

	/** Revokes one grant by id, or every active grant of a capability (or all of the agent's). Returns how many. */
	async revoke(agentId: string, by: string, which: { id?: number; capability?: string }): Promise<number> {
		const params: (string | number)[] = [agentId, by];
		let filter = "";
		if (which.id !== undefined) filter = ` AND id = $${params.push(which.id)}`;
		else if (which.capability) filter = ` AND capability = $${params.push(which.capability)}`;
		const { rowCount } = await this.db.query(`UPDATE agent_grants SET revoked_at = now(), revoked_by = $2 WHERE agent_id = $1 AND revoked_at IS NULL${filter}`, params);
		this.forget(agentId);
		return rowCount;
	}

	forget(agentId?: string): void {
		if (agentId) this.cache.delete(agentId);
		else this.cache.clear();
	}
}
