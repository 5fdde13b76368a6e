import type { Queryable, SqlParam } from "../kernel/database";
import type { AuditHashedFields, AuditScheme } from "./audit-hash";

export type AuditParty = { kind: "user" | "agent" | "system" | "node"; id: string };

export interface AuditEvent {
	/** Who the action was done as: the agent acted for, or the person when no agent is involved. */
	actor: AuditParty;
	/**
	 * Who authenticated the call: the person's token (`token:<id>`, `admin`), or the agent
	 * itself for its own calls. Defaults to the actor.
	 */
	principal?: AuditParty;
	action: string;
	target?: string | null;
	outcome: "allowed" | "denied" | "succeeded" | "failed";
	requestId?: string | null;
	data?: Record<string, unknown>;
	/** When it happened; defaults to the moment it is recorded. */
	at?: Date;
}

export interface AuditRecord extends Required<Omit<AuditEvent, "at" | "principal">> {
	seq: number;
	/** ISO 8601 with milliseconds, UTC. */
	at: string;
	/** Null on rows written before principals were recorded. */
	principal: AuditParty | null;
	node: string;
	prevHash: string;
	hash: string;
	scheme: AuditScheme;
}

/** `agentId` matches the actor or the target; `target` the target alone; `principalId` who authenticated; `action` is exact or a prefix ending in "*"; since ≤ at < until; limit 1–1000 (100). */
export interface AuditQuery {
	actorId?: string;
	agentId?: string;
	principalId?: string;
	target?: string;
	action?: string;
	outcome?: string;
	since?: Date;
	until?: Date;
	limit?: number;
	offset?: number;
}

export const PAGE_SIZE = 1000;
// Microseconds, not a Date: a Date would hide a sub-millisecond edit of `at`.
export const COLUMNS = `seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS at_us, actor_kind, actor_id, node, action, target, outcome, request_id, data, prev_hash, hash, scheme, key_id, principal_kind, principal_id`;

export type AuditRow = { seq: string | number; at_us: string; actor_kind: string; actor_id: string; node: string; action: string; target: string | null } & {
	outcome: string;
	request_id: string | null;
	data: Record<string, unknown>;
	prev_hash: string;
	hash: string;
	scheme: AuditScheme;
	key_id: string | null;
	principal_kind: string | null;
	principal_id: string | null;
};

/** Rows after `afterSeq` in seq order, a page at a time. */
export async function auditPage(db: Queryable, q: Omit<AuditQuery, "limit" | "offset">, afterSeq: number, limit = PAGE_SIZE): Promise<AuditRow[]> {
	const { where, params } = auditFilter(q, afterSeq);
	return (await db.query<AuditRow>(`SELECT ${COLUMNS} FROM audit_log ${where} ORDER BY seq LIMIT ${limit}`, params)).rows;
}

export function auditFilter(q: Omit<AuditQuery, "limit" | "offset">, afterSeq?: number): { where: string; params: SqlParam[] } {
	const params: SqlParam[] = [];
	const conditions: string[] = [];
	const add = (value: SqlParam, sql: (p: string) => string) => conditions.push(sql(`$${params.push(value)}`));
	if (afterSeq !== undefined) add(afterSeq, p => `seq > ${p}`);
	if (q.actorId) add(q.actorId, p => `actor_id = ${p}`);
	if (q.agentId) add(q.agentId, p => `(actor_id = ${p} OR target = ${p})`);
	if (q.principalId) add(q.principalId, p => `principal_id = ${p}`);
	if (q.target) add(q.target, p => `target = ${p}`);
	if (q.action?.endsWith("*")) {
		const prefix = q.action.slice(0, -1);
		// % and _ in the prefix are literal characters, not LIKE wildcards.
		if (prefix) add(`${prefix.replace(/[\\%_]/g, "\\$&")}%`, p => `action LIKE ${p} ESCAPE '\\'`);
	} else if (q.action) add(q.action, p => `action = ${p}`);
	if (q.outcome) add(q.outcome, p => `outcome = ${p}`);
	if (q.since) add(new Date(q.since).toISOString(), p => `at >= ${p}::timestamptz`);
	if (q.until) add(new Date(q.until).toISOString(), p => `at < ${p}::timestamptz`);
	return { where: conditions.length > 0 ? `WHERE ${conditions.join(" AND ")}` : "", params };
}

/** Entries are written with milliseconds; a row with other sub-millisecond digits was changed, and keeps them so its hash fails. */
function isoOf(atMicros: string): string {
	return atMicros.endsWith("000") ? `${atMicros.slice(0, -3)}Z` : `${atMicros}Z`;
}

/** A row as hashed; an unkeyed row has no principal, and its hash does not cover one. */
export function fieldsOf(r: AuditRow): AuditHashedFields {
	const { actor_kind: actorKind, actor_id: actorId, node, action, target, outcome, request_id: requestId, data } = r;
	return { at: isoOf(r.at_us), actorKind, actorId, node, action, target, outcome, requestId, data, principalKind: r.principal_kind ?? "", principalId: r.principal_id ?? "" };
}

export function toRecord(r: AuditRow): AuditRecord {
	const { at, actorKind, actorId, node, action, target, outcome, requestId, data } = fieldsOf(r);
	const party = (kind: string, id: string) => ({ kind: kind as AuditParty["kind"], id });
	const principal = r.principal_kind !== null && r.principal_id !== null ? party(r.principal_kind, r.principal_id) : null;
	return { seq: Number(r.seq), at, actor: party(actorKind, actorId), principal, node, action, target, outcome: outcome as AuditEvent["outcome"], requestId, data, prevHash: r.prev_hash, hash: r.hash, scheme: r.scheme };
}

/** What `audit.recorded` carries: an entry shaped as the query answers it, less what only writing gives it (seq, hashes). */
export type LiveAuditEntry = Omit<AuditRecord, "seq" | "prevHash" | "hash" | "scheme">;

export function liveEntry(e: AuditHashedFields): LiveAuditEntry {
	return {
		at: e.at,
		actor: { kind: e.actorKind as AuditParty["kind"], id: e.actorId },
		principal: { kind: e.principalKind as AuditParty["kind"], id: e.principalId },
		node: e.node,
		action: e.action,
		target: e.target,
		outcome: e.outcome as AuditRecord["outcome"],
		requestId: e.requestId,
		data: e.data
	};
}
