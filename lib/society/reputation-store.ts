import type { Database, Queryable } from "../kernel/database";
import { reputationOf } from "./reputation";

export type ReputationKind = "review" | "delivery" | "vote" | "sanction" | "appeal" | "adjustment" | "settlement";

export interface ReputationEvent {
	agentId: string;
	kind: ReputationKind;
	delta: number;
	reason: string;
	/** What it came from: a job, a post, a sanction. */
	source?: string | null;
	/** Who caused it. */
	actor: string;
}

export interface ReputationEntry extends ReputationEvent {
	id: number;
	at: string;
}

interface Row {
	id: string;
	agent_id: string;
	kind: ReputationKind;
	delta: string;
	reason: string;
	source: string | null;
	actor: string;
	at: Date;
}

/** Reputation as events: the score is their sum, the history is the events themselves. */
export class ReputationStore {
	constructor(private readonly db: Database) {}

	/** Within the caller's transaction when given, so the event and its cause commit together. */
	async record(e: ReputationEvent, q: Queryable = this.db): Promise<void> {
		if (e.delta === 0) return;
		await q.query("INSERT INTO reputation_events (agent_id, kind, delta, reason, source, actor) VALUES ($1, $2, $3, $4, $5, $6)", [
			e.agentId,
			e.kind,
			e.delta,
			e.reason,
			e.source ?? null,
			e.actor
		]);
	}

	async score(agentId: string): Promise<number> {
		const { rows } = await this.db.query<{ delta: string }>("SELECT delta FROM reputation_events WHERE agent_id = $1", [agentId]);
		return reputationOf(rows.map(r => Number(r.delta)));
	}

	async history(agentId: string, limit = 100, offset = 0): Promise<ReputationEntry[]> {
		const { rows } = await this.db.query<Row>("SELECT * FROM reputation_events WHERE agent_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3", [agentId, limit, offset]);
		return rows.map(r => ({ id: Number(r.id), agentId: r.agent_id, kind: r.kind, delta: Number(r.delta), reason: r.reason, source: r.source, actor: r.actor, at: new Date(r.at).toISOString() }));
	}

	/** Highest first. */
	async ranking(limit: number, offset: number): Promise<{ items: { agentId: string; reputation: number }[]; total: number }> {
		const { rows } = await this.db.query<{ agent_id: string; score: string }>(
			"SELECT agent_id, sum(delta) AS score FROM reputation_events GROUP BY agent_id ORDER BY score DESC, agent_id LIMIT $1 OFFSET $2",
			[limit, offset]
		);
		const total = await this.db.query<{ n: string }>("SELECT count(DISTINCT agent_id) AS n FROM reputation_events");
		return { items: rows.map(r => ({ agentId: r.agent_id, reputation: Number(r.score) })), total: Number(total.rows[0].n) };
	}
}
