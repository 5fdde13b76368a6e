import type { Database } from "../lib/kernel/database";

const MAX_KEY_LENGTH = 200;
const MAX_VALUE_BYTES = 256 * 1024;

/** An agent's own persisted key/value state (`ctx.state`). */
export class StateStore {
	constructor(private readonly db: Database) {}

	async get(agentId: string, key: string): Promise<unknown> {
		checkKey(key);
		const { rows } = await this.db.query<{ value: unknown }>("SELECT value FROM agent_state WHERE agent_id = $1 AND key = $2", [agentId, key]);
		return rows[0]?.value ?? null;
	}

	async set(agentId: string, key: string, value: unknown): Promise<void> {
		checkKey(key);
		const json = JSON.stringify(value ?? null);
		if (Buffer.byteLength(json) > MAX_VALUE_BYTES) throw new RangeError(`state value for "${key}" is over ${MAX_VALUE_BYTES} bytes`);
		await this.db.query(
			`INSERT INTO agent_state (agent_id, key, value) VALUES ($1, $2, $3)
			 ON CONFLICT (agent_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
			[agentId, key, json]
		);
	}

	async delete(agentId: string, key: string): Promise<void> {
		checkKey(key);
		await this.db.query("DELETE FROM agent_state WHERE agent_id = $1 AND key = $2", [agentId, key]);
	}

	async list(agentId: string): Promise<string[]> {
		const { rows } = await this.db.query<{ key: string }>("SELECT key FROM agent_state WHERE agent_id = $1 ORDER BY key", [agentId]);
		return rows.map(r => r.key);
	}

	async clear(agentId: string): Promise<void> {
		await this.db.query("DELETE FROM agent_state WHERE agent_id = $1", [agentId]);
	}
}

function checkKey(key: unknown): void {
	if (typeof key !== "string" || key.length === 0 || key.length > MAX_KEY_LENGTH) {
		throw new RangeError(`state key must be a non-empty string of at most ${MAX_KEY_LENGTH} characters`);
	}
}
