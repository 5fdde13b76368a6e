import crypto from "node:crypto";
import type { Database } from "../kernel/database";
import { ApprovalExpiredError, ApprovalNotPendingError } from "./approval-errors";

export type ApprovalStatus = "pending" | "approved" | "denied" | "expired";

export interface Approval {
	id: string;
	agentId: string;
	action: string;
	params: unknown;
	reason: string;
	status: ApprovalStatus;
	requestedAt: string;
	expiresAt: string;
	decidedAt: string | null;
	decidedBy: string | null;
	note: string | null;
	/** The durable run suspended on it, if one is. */
	taskId: string | null;
	/** When a resumed call took its answer (a decision answers one call only). */
	usedAt: string | null;
}

interface Row {
	id: string;
	agent_id: string;
	action: string;
	params: unknown;
	reason: string;
	status: ApprovalStatus;
	requested_at: Date;
	expires_at: Date;
	decided_at: Date | null;
	decided_by: string | null;
	note: string | null;
	task_id: string | null;
	used_at: Date | null;
}

const toApproval = (r: Row): Approval => ({
	id: r.id,
	agentId: r.agent_id,
	action: r.action,
	params: r.params,
	reason: r.reason,
	status: r.status,
	requestedAt: new Date(r.requested_at).toISOString(),
	expiresAt: new Date(r.expires_at).toISOString(),
	decidedAt: r.decided_at ? new Date(r.decided_at).toISOString() : null,
	decidedBy: r.decided_by,
	note: r.note,
	taskId: r.task_id ?? null,
	usedAt: r.used_at ? new Date(r.used_at).toISOString() : null
});

/** What a waiting call is told: the decision as broadcast. */
export type Decided = Pick<Approval, "id" | "status" | "action" | "note" | "decidedBy" | "decidedAt">;

interface Waiter {
	resolve(decided: Decided): void;
	reject(err: Error): void;
	timer: NodeJS.Timeout;
}

/**
 * Actions waiting for a person. A call that waits in memory waits on the node that runs it;
 * the decision may be taken on any node, which broadcasts it (`settle` is then called on
 * every node, and the one holding the waiter tells its call). A durable run's call does not
 * wait: it `use`s the decision when the run is resumed (see approval-gate.ts).
 */
export class ApprovalStore {
	private readonly waiters = new Map<string, Waiter>();

	constructor(private readonly db: Database) {}

	/**
	 * Records a pending approval that nobody waits on yet: a request decided later (a grant),
	 * or one a suspended durable run (`taskId`) waits for.
	 */
	async open(agentId: string, action: string, params: unknown, reason: string, timeoutMs: number, taskId: string | null = null): Promise<Approval> {
		const { rows } = await this.db.query<Row>(
			"INSERT INTO approvals (id, agent_id, action, params, reason, status, expires_at, task_id) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) RETURNING *",
			[crypto.randomUUID(), agentId, action, JSON.stringify(params ?? {}), reason, new Date(Date.now() + timeoutMs), taskId]
		);
		return toApproval(rows[0]);
	}

	/**
	 * Waits on this node for a person's decision on an open approval: resolves with it
	 * (approved or denied); rejects with ApprovalExpiredError when nobody decides in time.
	 */
	decision(approval: Approval, timeoutMs: number): Promise<Decided> {
		return new Promise<Decided>((resolve, reject) => {
			const timer = setTimeout(() => {
				this.waiters.delete(approval.id);
				this.db
					.query("UPDATE approvals SET status = 'expired', decided_at = now() WHERE id = $1 AND status = 'pending'", [approval.id])
					.catch(() => undefined)
					.finally(() => reject(new ApprovalExpiredError(approval.id, approval.action, timeoutMs)));
			}, timeoutMs);
			this.waiters.set(approval.id, { resolve, reject, timer });
		});
	}

	/** How many calls wait on this node for a decision. */
	get waiting(): number {
		return this.waiters.size;
	}

	/**
	 * Takes a closed approval's answer for one call: returns it marked used (an open one past
	 * its time marked expired too), once. Undefined when another call took it already, or when
	 * it is still open. Atomic, so one decision lets exactly one call through.
	 */
	async use(id: string): Promise<Approval | undefined> {
		const { rows } = await this.db.query<Row>(
			`UPDATE approvals SET used_at = now(),
				status = CASE WHEN status = 'pending' THEN 'expired' ELSE status END,
				decided_at = CASE WHEN status = 'pending' THEN now() ELSE decided_at END
			WHERE id = $1 AND used_at IS NULL AND (status <> 'pending' OR expires_at <= now()) RETURNING *`,
			[id]
		);
		return rows[0] ? toApproval(rows[0]) : undefined;
	}

	/** One approval, or undefined. */
	async get(id: string): Promise<Approval | undefined> {
		const { rows } = await this.db.query<Row>("SELECT * FROM approvals WHERE id = $1", [id]);
		return rows[0] ? toApproval(rows[0]) : undefined;
	}

	/** The approvals of `action` still open (pending, not past their time) for these agents. */
	async pending(action: string, agentIds: string[]): Promise<Approval[]> {
		if (!agentIds.length) return [];
		const { rows } = await this.db.query<Row>(
			"SELECT * FROM approvals WHERE action = $1 AND agent_id = ANY($2) AND status = 'pending' AND expires_at > now()",
			[action, agentIds]
		);
		return rows.map(toApproval);
	}

	/**
	 * Closes an agent's open approvals of `action` — all, or those whose params have `param`
	 * equal to `equals` — without a waiter to tell: `expired` (moot) or `approved` (done
	 * another way), noting why. Returns how many.
	 */
	async closeOpen(agentId: string, action: string, close: { status: "approved" | "expired"; by: string | null; note: string; param?: string; equals?: string }): Promise<number> {
		const params: (string | null)[] = [agentId, action, close.status, close.by, close.note];
		const only = close.param && close.equals !== undefined ? ` AND params ->> $${params.push(close.param)} = $${params.push(close.equals)}` : "";
		const { rowCount } = await this.db.query(
			`UPDATE approvals SET status = $3, decided_at = now(), decided_by = $4, note = $5 WHERE agent_id = $1 AND action = $2 AND status = 'pending'${only}`,
			params
		);
		return rowCount;
	}

	/** Closes one pending approval as expired (what waited for it is gone), noting why; undefined when it was not pending. */
	async expire(id: string, note: string): Promise<Approval | undefined> {
		const { rows } = await this.db.query<Row>("UPDATE approvals SET status = 'expired', decided_at = now(), note = $2 WHERE id = $1 AND status = 'pending' RETURNING *", [id, note]);
		return rows[0] ? toApproval(rows[0]) : undefined;
	}

	/**
	 * Closes the approvals of suspended durable runs that nobody decided in time, as expired,
	 * and answers them (their runs are woken to see it). A compare-and-set: when every node
	 * sweeps, each approval is answered to one. Approvals a call waits for in memory expire
	 * with their own timer.
	 */
	async expireDue(limit = 500): Promise<Approval[]> {
		const { rows } = await this.db.query<Row>(
			`UPDATE approvals SET status = 'expired', decided_at = now()
			 WHERE id IN (SELECT id FROM approvals WHERE status = 'pending' AND task_id IS NOT NULL AND expires_at <= now() ORDER BY expires_at LIMIT $1)
			   AND status = 'pending' RETURNING *`,
			[limit]
		);
		return rows.map(toApproval);
	}

	/** A person's decision; refused when the approval is not pending any more. */
	async decide(id: string, status: "approved" | "denied", by: string, note: string | null): Promise<Approval> {
		const { rows } = await this.db.query<Row>(
			"UPDATE approvals SET status = $2, decided_at = now(), decided_by = $3, note = $4 WHERE id = $1 AND status = 'pending' AND expires_at > now() RETURNING *",
			[id, status, by, note]
		);
		if (rows[0]) return toApproval(rows[0]);
		const current = await this.get(id);
		throw new ApprovalNotPendingError(id, current ? (current.status === "pending" ? "expired" : current.status) : null);
	}

	/** Tells a waiting call the decision (called on every node when a decision is broadcast). */
	settle(approval: Decided): void {
		const waiter = this.waiters.get(approval.id);
		if (!waiter) return;
		this.waiters.delete(approval.id);
		clearTimeout(waiter.timer);
		waiter.resolve(approval);
	}

	async list(status?: ApprovalStatus, limit = 100, offset = 0): Promise<{ items: Approval[]; total: number }> {
		const where = status ? "WHERE status = $3" : "";
		const params = status ? [limit, offset, status] : [limit, offset];
		const { rows } = await this.db.query<Row>(`SELECT * FROM approvals ${where} ORDER BY requested_at DESC LIMIT $1 OFFSET $2`, params);
		const total = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM approvals ${status ? "WHERE status = $1" : ""}`, status ? [status] : []);
		return { items: rows.map(toApproval), total: Number(total.rows[0].n) };
	}

	/** Ends every wait (the node is stopping); the actions do not run. */
	close(): void {
		for (const [id, w] of this.waiters) {
			clearTimeout(w.timer);
			w.reject(new ApprovalExpiredError(id, "(node stopping)", 0));
		}
		this.waiters.clear();
	}
}
