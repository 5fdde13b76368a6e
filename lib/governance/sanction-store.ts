import type { Database, Queryable } from "../kernel/database";
import type { SanctionCheck } from "../security/security-guard";
import { SharedCounters } from "../society/shared-counters";
import { AgentSanctionedError, AgentThrottledError } from "./errors";

export const SANCTION_KINDS = ["warn", "throttle", "quarantine", "ban"] as const;
export type SanctionKind = (typeof SANCTION_KINDS)[number];

export interface Sanction {
	id: string;
	agentId: string;
	kind: SanctionKind;
	reason: string;
	caseId: string | null;
	ratePerMinute: number | null;
	createdBy: string;
	createdAt: string;
	expiresAt: string | null;
	liftedAt: string | null;
	liftedBy: string | null;
	liftReason: string | null;
	/** For a quarantine or ban: the desired state (running, stopped) the agent gets back when it ends. */
	restoreState: "running" | "stopped" | null;
	/** When that state was given back. */
	restoredAt: string | null;
	/** The incident lockdown that made it, lifted with it. */
	lockdownId: string | null;
}

interface Row {
	id: string;
	agent_id: string;
	kind: SanctionKind;
	reason: string;
	case_id: string | null;
	rate_per_minute: number | null;
	created_by: string;
	created_at: Date;
	expires_at: Date | null;
	lifted_at: Date | null;
	lifted_by: string | null;
	lift_reason: string | null;
	restore_state: "running" | "stopped" | null;
	restored_at: Date | null;
	lockdown_id: string | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function toSanction(r: Row): Sanction {
	return {
		id: r.id,
		agentId: r.agent_id,
		kind: r.kind,
		reason: r.reason,
		caseId: r.case_id,
		ratePerMinute: r.rate_per_minute,
		createdBy: r.created_by,
		createdAt: iso(r.created_at)!,
		expiresAt: iso(r.expires_at),
		liftedAt: iso(r.lifted_at),
		liftedBy: r.lifted_by,
		liftReason: r.lift_reason,
		restoreState: r.restore_state,
		restoredAt: iso(r.restored_at),
		lockdownId: r.lockdown_id ?? null
	};
}

/** How long an agent's sanctions are trusted before they are read again; changes clear it at once, cluster-wide (`sanctions.changed`). */
const CACHE_MS = 5000;
/** Actions that set an agent to work: refused while it is quarantined or banned, whoever asks. */
const PUTS_TO_WORK = new Set(["agents.submitTask", "agents.start", "agents.restart"]);

/**
 * Agents' sanctions, read on every call an agent makes (the security middleware asks),
 * so cached per agent like grants. A sanction is active until lifted or expired; expiry
 * needs no sweep, it is read from `expires_at`. Throttles count an agent's calls on every
 * node together when the counters are shared (Redis), else per node.
 */
export class SanctionStore implements SanctionCheck {
	private readonly cache = new Map<string, { sanctions: Sanction[]; until: number }>();
	constructor(
		private readonly db: () => Database,
		private readonly defaultRatePerMinute: number,
		private readonly counters: SharedCounters = new SharedCounters(undefined)
	) {}

	async active(agentId: string): Promise<Sanction[]> {
		const now = Date.now();
		const cached = this.cache.get(agentId);
		let sanctions = cached && cached.until > now ? cached.sanctions : undefined;
		if (!sanctions) {
			const { rows } = await this.db().query<Row>("SELECT * FROM sanctions WHERE agent_id = $1 AND lifted_at IS NULL AND (expires_at IS NULL OR expires_at > now())", [agentId]);
			sanctions = rows.map(toSanction);
			if (this.cache.size > 50_000) this.cache.clear();
			this.cache.set(agentId, { sanctions, until: now + CACHE_MS });
		}
		return sanctions.filter(s => !s.expiresAt || Date.parse(s.expiresAt) > now);
	}

	/** For the security middleware: refuses a sanctioned agent's call. */
	async checkCaller(agentId: string, action: string): Promise<void> {
		const sanctions = await this.active(agentId);
		const blocking = sanctions.find(s => s.kind === "ban") ?? sanctions.find(s => s.kind === "quarantine");
		if (blocking) throw new AgentSanctionedError(blocking, action);
		const throttle = sanctions.find(s => s.kind === "throttle");
		if (throttle) {
			const rate = throttle.ratePerMinute ?? this.defaultRatePerMinute;
			const waitMs = await this.counters.limiter("throttle", rate, 60_000).hit(throttle.id);
			if (waitMs > 0) throw new AgentThrottledError(throttle, rate, Math.ceil(waitMs / 1000));
		}
	}

	/** For the security middleware: a quarantined or banned agent is given no work. */
	async checkTarget(agentId: string, action: string): Promise<void> {
		if (!PUTS_TO_WORK.has(action)) return;
		const sanctions = await this.active(agentId);
		const blocking = sanctions.find(s => s.kind === "ban") ?? sanctions.find(s => s.kind === "quarantine");
		if (blocking) throw new AgentSanctionedError(blocking, action);
	}

	async get(id: string, q: Queryable = this.db()): Promise<Sanction | undefined> {
		const { rows } = await q.query<Row>("SELECT * FROM sanctions WHERE id = $1", [id]);
		return rows[0] ? toSanction(rows[0]) : undefined;
	}

	async apply(
		q: Queryable,
		s: { agentId: string; kind: SanctionKind; reason: string; caseId?: string | null; ratePerMinute?: number | null; createdBy: string; durationMs?: number | null; lockdownId?: string }
	): Promise<Sanction> {
		const expires = s.durationMs ? new Date(Date.now() + s.durationMs) : null;
		// A quarantine or ban stops the agent: it keeps the desired state to give back when it ends —
		// the agent's own, or, when another such sanction already stopped it, the one that one keeps.
		const { rows } = await q.query<Row>(
			`INSERT INTO sanctions (agent_id, kind, reason, case_id, rate_per_minute, created_by, expires_at, lockdown_id, restore_state)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $2 IN ('quarantine', 'ban') THEN COALESCE(
			   (SELECT restore_state FROM sanctions WHERE agent_id = $1 AND restore_state IS NOT NULL AND restored_at IS NULL ORDER BY created_at LIMIT 1),
			   (SELECT desired_state FROM agents WHERE id = $1)) END)
			 RETURNING *`,
			[s.agentId, s.kind, s.reason, s.caseId ?? null, s.ratePerMinute ?? null, s.createdBy, expires, s.lockdownId ?? null]
		);
		this.forget(s.agentId);
		return toSanction(rows[0]);
	}

	/** Lifts an active sanction; undefined when there is none by that id or it is lifted already. */
	async lift(q: Queryable, id: string, by: string, reason: string): Promise<Sanction | undefined> {
		const { rows } = await q.query<Row>("UPDATE sanctions SET lifted_at = now(), lifted_by = $2, lift_reason = $3 WHERE id = $1 AND lifted_at IS NULL RETURNING *", [id, by, reason]);
		if (!rows[0]) return undefined;
		this.forget(rows[0].agent_id);
		return toSanction(rows[0]);
	}

	/**
	 * The agents whose last quarantine or ban has ended (lifted or expired) and whose desired
	 * state has not been given back yet, with that state; each is claimed once, cluster-wide
	 * (the row update is the claim), so exactly one node restores it.
	 */
	async claimRestorations(q: Queryable = this.db(), agentId?: string): Promise<{ agentId: string; state: "running" | "stopped" }[]> {
		const { rows } = await q.query<{ agent_id: string; restore_state: "running" | "stopped" }>(
			`UPDATE sanctions s SET restored_at = now()
			 WHERE restore_state IS NOT NULL AND restored_at IS NULL AND (lifted_at IS NOT NULL OR expires_at <= now())
			   ${agentId === undefined ? "" : "AND agent_id = $1"}
			   AND NOT EXISTS (SELECT 1 FROM sanctions o WHERE o.agent_id = s.agent_id AND o.kind IN ('quarantine', 'ban') AND o.lifted_at IS NULL AND (o.expires_at IS NULL OR o.expires_at > now()))
			 RETURNING agent_id, restore_state`,
			agentId === undefined ? [] : [agentId]
		);
		const states = new Map<string, "running" | "stopped">();
		for (const r of rows) if (states.get(r.agent_id) !== "running") states.set(r.agent_id, r.restore_state);
		return [...states].map(([id, state]) => ({ agentId: id, state }));
	}

	forget(agentId?: string): void {
		if (agentId) this.cache.delete(agentId);
		else this.cache.clear();
	}
}
