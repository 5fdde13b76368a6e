import type { Database, Queryable } from "../kernel/database";
import { FieldError } from "../kernel/errors";
import { LockdownActiveError, NoLockdownError } from "./errors";
import type { SanctionStore } from "./sanction-store";

/** An incident lockdown: every agent (or a selection) quarantined at once, lifted the same way. */
export interface Lockdown {
	id: string;
	reason: string;
	/** The agents asked for; null when it covers every agent. */
	selection: string[] | null;
	/** The agents it quarantined (the sanctions it made). */
	agents: string[];
	createdBy: string;
	createdAt: string;
	liftedAt: string | null;
	liftedBy: string | null;
	liftReason: string | null;
}

interface Row {
	id: string;
	reason: string;
	selection: string[] | null;
	created_by: string;
	created_at: Date;
	lifted_at: Date | null;
	lifted_by: string | null;
	lift_reason: string | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

/**
 * Lockdowns and the quarantines they make: each such sanction carries the lockdown's id,
 * so lifting it lifts exactly those and leaves every other sanction in force. At most one
 * lockdown is active (a unique index holds that across nodes).
 */
export class LockdownStore {
	constructor(
		private readonly db: () => Database,
		private readonly sanctions: SanctionStore
	) {}

	/** The lockdown in force, or null. */
	async active(q: Queryable = this.db()): Promise<Lockdown | null> {
		const { rows } = await q.query<Row>("SELECT * FROM lockdowns WHERE lifted_at IS NULL");
		return rows[0] ? this.withAgents(q, rows[0]) : null;
	}

	/** Quarantines the selected agents (all agents when none are named); refuses unknown ids and a second lockdown. */
	async start(tx: Queryable, s: { reason: string; selection?: string[]; createdBy: string }): Promise<Lockdown> {
		const current = await this.active(tx);
		if (current) throw new LockdownActiveError(current);
		const selection = s.selection ? [...new Set(s.selection)] : null;
		const { rows: known } = selection
			? await tx.query<{ id: string }>("SELECT id FROM agents WHERE id = ANY($1::text[]) ORDER BY id", [selection])
			: await tx.query<{ id: string }>("SELECT id FROM agents ORDER BY id");
		if (selection) {
			const unknown = selection.filter(id => !known.some(k => k.id === id));
			if (unknown.length) throw new FieldError("agentIds", `"agentIds" names agents that do not exist: ${unknown.slice(0, 10).join(", ")}`);
		}
		const { rows } = await tx
			.query<Row>("INSERT INTO lockdowns (reason, selection, created_by) VALUES ($1, $2, $3) RETURNING *", [s.reason, selection ? JSON.stringify(selection) : null, s.createdBy])
			.catch((err: { type?: string }) => {
				// The unique index on the active lockdown: another node's start won the race.
				throw err.type === "ALREADY_EXISTS" ? new LockdownActiveError() : err;
			});
		const lockdown = rows[0];
		for (const { id } of known) {
			await this.sanctions.apply(tx, { agentId: id, kind: "quarantine", reason: `lockdown: ${s.reason}`, createdBy: s.createdBy, lockdownId: lockdown.id });
		}
		return this.toLockdown(lockdown, known.map(k => k.id));
	}

	/**
	 * An agent that starts while a lockdown of every agent is in force, and that it does not
	 * hold yet (spawned after it began): quarantined by it too. Undefined when there is
	 * nothing to do — no such lockdown, or it holds the agent already (also when another
	 * node got there first: one quarantine per agent and lockdown).
	 */
	async cover(tx: Queryable, agentId: string): Promise<Lockdown | undefined> {
		const current = await this.active(tx);
		if (!current || current.selection || current.agents.includes(agentId)) return undefined;
		const { rows } = await tx.query<{ id: string }>("SELECT id FROM agents WHERE id = $1", [agentId]);
		if (!rows[0]) return undefined;
		await this.sanctions.apply(tx, { agentId, kind: "quarantine", reason: `lockdown: ${current.reason}`, createdBy: current.createdBy, lockdownId: current.id });
		return { ...current, agents: [...current.agents, agentId].sort() };
	}

	/** Lifts the active lockdown and exactly the quarantines it made; the agents' desired state is given back by the caller. */
	async lift(tx: Queryable, by: string, reason: string): Promise<Lockdown> {
		const { rows } = await tx.query<Row>("UPDATE lockdowns SET lifted_at = now(), lifted_by = $1, lift_reason = $2 WHERE lifted_at IS NULL RETURNING *", [by, reason]);
		if (!rows[0]) throw new NoLockdownError();
		const { rows: lifted } = await tx.query<{ agent_id: string }>(
			"UPDATE sanctions SET lifted_at = now(), lifted_by = $2, lift_reason = $3 WHERE lockdown_id = $1 AND lifted_at IS NULL RETURNING agent_id",
			[rows[0].id, by, `lockdown lifted: ${reason}`]
		);
		this.sanctions.forget();
		return this.toLockdown(rows[0], lifted.map(r => r.agent_id).sort());
	}

	private async withAgents(q: Queryable, row: Row): Promise<Lockdown> {
		const { rows } = await q.query<{ agent_id: string }>("SELECT agent_id FROM sanctions WHERE lockdown_id = $1 ORDER BY agent_id", [row.id]);
		return this.toLockdown(row, rows.map(r => r.agent_id));
	}

	private toLockdown(r: Row, agents: string[]): Lockdown {
		return {
			id: r.id,
			reason: r.reason,
			selection: r.selection,
			agents,
			createdBy: r.created_by,
			createdAt: iso(r.created_at)!,
			liftedAt: iso(r.lifted_at),
			liftedBy: r.lifted_by,
			liftReason: r.lift_reason
		};
	}
}
