import { createHash } from "node:crypto";
import { canonicalJson } from "../../actors/manifest-signature";
import type { Database, Queryable, SqlParam } from "../kernel/database";
import { withTimeout } from "../kernel/database/timeout";
import { AuditBufferFullError } from "./errors";

export interface AuditEvent {
	actor: { kind: "user" | "agent" | "system" | "node"; id: string };
	action: string;
	target?: string | null;
	outcome: "allowed" | "denied" | "succeeded" | "failed";
	requestId?: string | null;
	data?: Record<string, unknown>;
	/** When it happened; defaults to the moment it is recorded. */
	at?: Date;
}

export interface AuditRecord extends Required<Omit<AuditEvent, "at">> {
	seq: number;
	/** ISO 8601 with milliseconds, UTC. */
	at: string;
	node: string;
	prevHash: string;
	hash: string;
}

/** `agentId` matches the actor or the target; `action` is exact or a prefix ending in "*"; since ≤ at < until; limit 1–1000 (100). */
export interface AuditQuery {
	actorId?: string;
	agentId?: string;
	action?: string;
	outcome?: string;
	since?: Date;
	until?: Date;
	limit?: number;
	offset?: number;
}

/** maxBackoffMs: longest wait between attempts while the database is away; stopTimeoutMs: how long stop() keeps trying. */
export interface AuditLogOptions {
	node: string;
	maxBuffer?: number;
	flushIntervalMs?: number;
	batchSize?: number;
	maxBackoffMs?: number;
	stopTimeoutMs?: number;
	onError?(err: Error): void;
}

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
}

export const DEFAULT_AUDIT_OPTIONS = { maxBuffer: 10_000, flushIntervalMs: 200, batchSize: 500, maxBackoffMs: 10_000, stopTimeoutMs: 5_000 };
export const GENESIS_HASH = "0".repeat(64);
/** Held per transaction by every writer, so nodes sharing one database extend one chain. */
const AUDIT_LOCK_KEY = 4_242_002;
const PAGE_SIZE = 1000;
/** 11 parameters a row: well under PostgreSQL's 65,535 a statement, whatever batchSize is. */
const ROWS_PER_INSERT = 1000;
/** Larger payloads become a note: the buffer must stay small and every batch writable. */
const MAX_DATA_CHARS = 65_536;
const ACTOR_KINDS = new Set(["user", "agent", "system", "node"]);
const OUTCOMES = new Set(["allowed", "denied", "succeeded", "failed"]);
const INSERT_COLUMNS = "at, actor_kind, actor_id, node, action, target, outcome, request_id, data, prev_hash, hash";
const CASTS = ["::timestamptz", "", "", "", "", "", "", "", "::jsonb", "", ""];
// Microseconds, not a Date: a Date would hide a sub-millisecond edit of `at`.
const COLUMNS = `seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS at_us, actor_kind, actor_id, node, action, target, outcome, request_id, data, prev_hash, hash`;

type Row = { seq: string | number; at_us: string; actor_kind: string; actor_id: string; node: string; action: string; target: string | null } & {
	outcome: string;
	request_id: string | null;
	data: Record<string, unknown>;
	prev_hash: string;
	hash: string;
};

export function auditHash(prevHash: string, e: AuditHashedFields): string {
	const { at, actorKind, actorId, node, action, target, outcome, requestId, data } = e;
	const body = canonicalJson({ at, actorKind, actorId, node, action, target, outcome, requestId, data });
	return createHash("sha256").update(prevHash + body).digest("hex");
}

/**
 * The append-only, hash-chained audit log. record() only appends to a bounded buffer, so
 * auditing never waits on the database; a timer writes the buffer in batches and keeps it,
 * in order, while the database is away.
 */
export class AuditLog {
	private readonly opts: typeof DEFAULT_AUDIT_OPTIONS & AuditLogOptions;
	private readonly buffer: AuditHashedFields[] = [];
	private running = false;
	private timer: NodeJS.Timeout | undefined;
	private soon = false;
	private failures = 0;
	/** Entries written since creation; flush() waits until it passes what was buffered. */
	private written = 0;
	private lock: Promise<unknown> = Promise.resolve();
	/** A batch whose commit failed after its rows were sent: it may be in the table already. */
	private inDoubt: { at: string; hash: string; count: number } | undefined;
	private readonly listeners = new Set<(entry: AuditHashedFields) => void>();

	constructor(
		private readonly db: Database,
		options: AuditLogOptions
	) {
		this.opts = { ...DEFAULT_AUDIT_OPTIONS, ...options };
	}

	get buffered(): number {
		return this.buffer.length;
	}

	get full(): boolean {
		return this.buffer.length >= this.opts.maxBuffer;
	}

	/** Throws AuditBufferFullError when full, and TypeError for a malformed event (a caller bug). */
	record(event: AuditEvent): void {
		if (this.full) throw new AuditBufferFullError(this.buffer.length);
		const entry = normalise(event, this.opts.node);
		this.buffer.push(entry);
		for (const listener of this.listeners) listener(entry);
		if (this.running && this.timer && !this.soon && this.failures === 0 && this.buffer.length >= this.opts.batchSize) this.schedule(0);
	}

	/** Hears every entry as it is recorded, before it is written (e.g. to evaluate policies on the stream); returns the unsubscribe. A listener must not throw. */
	onRecord(listener: (entry: AuditHashedFields) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/** Writes everything buffered when called; rejects (keeping the entries) when the database fails. */
	async flush(): Promise<void> {
		const target = this.written + this.buffer.length;
		while (this.written < target) await this.exclusive(() => this.writeBatch());
	}

	start(): void {
		if (this.running) return;
		this.running = true;
		this.schedule(this.opts.flushIntervalMs);
	}

	async stop(): Promise<void> {
		this.running = false;
		clearTimeout(this.timer);
		this.timer = undefined;
		const deadline = Date.now() + this.opts.stopTimeoutMs;
		let lastError: unknown;
		while (this.buffer.length > 0 && Date.now() < deadline) {
			try {
				await withTimeout(this.flush(), Math.max(1, deadline - Date.now()), "the audit buffer was not written");
			} catch (err) {
				lastError = err;
				await new Promise(resolve => setTimeout(resolve, Math.min(200, Math.max(0, deadline - Date.now()))));
			}
		}
		if (this.buffer.length > 0) {
			this.report(new Error(`${this.buffer.length} audit entries were not written before stopping: ${(lastError as Error)?.message ?? "timed out"}`));
		}
	}

	/** Newest first. */
	async query(q: AuditQuery): Promise<{ items: AuditRecord[]; total: number; limit: number; offset: number }> {
		const limit = clamp(q.limit ?? 100, 1, 1000);
		const offset = clamp(q.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
		const { where, params } = filter(q);
		const count = await this.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM audit_log ${where}`, params);
		const n = params.length;
		const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM audit_log ${where} ORDER BY seq DESC LIMIT $${n + 1} OFFSET $${n + 2}`, [...params, limit, offset]);
		return { items: rows.map(toRecord), total: Number(count.rows[0].n), limit, offset };
	}

	/** One JSON object a line (no newline), oldest first, read a page at a time. */
	async *exportLines(q: Omit<AuditQuery, "limit" | "offset">): AsyncIterable<string> {
		for (let after = 0; ; ) {
			const rows = await this.page(q, after);
			for (const row of rows) yield JSON.stringify(toRecord(row));
			if (rows.length < PAGE_SIZE) return;
			after = Number(rows[rows.length - 1].seq);
		}
	}

	/** Recomputes the chain in seq order; the oldest kept row's prev_hash is the anchor (retention removes rows from the start). */
	async verify(): Promise<{ ok: boolean; checked: number; firstBad?: { seq: number; reason: string } }> {
		let prev: { seq: number; hash: string } | undefined;
		let checked = 0;
		for (let after = 0; ; ) {
			const rows = await this.page({}, after);
			for (const row of rows) {
				const seq = Number(row.seq);
				// A purge running during the walk makes this row the oldest: then it is the anchor.
				if (prev && row.prev_hash !== prev.hash && !(await this.isOldest(seq))) {
					return { ok: false, checked, firstBad: { seq, reason: `prev_hash is not the hash of seq ${prev.seq}: a row between them was removed` } };
				}
				if (auditHash(row.prev_hash, fieldsOf(row)) !== row.hash) {
					return { ok: false, checked, firstBad: { seq, reason: "the row does not match its hash: it was edited" } };
				}
				prev = { seq, hash: row.hash };
				checked++;
			}
			if (rows.length < PAGE_SIZE) return { ok: true, checked };
			after = Number(rows[rows.length - 1].seq);
		}
	}

	/**
	 * Retention. Removes only a prefix of the chain, so what is left still verifies: an old
	 * entry written late (after newer ones) stays until everything before it is old too, and
	 * the newest row always stays, so the chain carries on from it.
	 */
	async purgeOlderThan(days: number): Promise<number> {
		if (!(days >= 0)) throw new RangeError("purgeOlderThan: days must be a number >= 0");
		const cutoff = new Date(Date.now() - days * 86_400_000).toISOString();
		const { rowCount } = await this.db.query(
			`DELETE FROM audit_log WHERE seq < COALESCE(
				(SELECT seq FROM audit_log WHERE at >= $1::timestamptz ORDER BY seq LIMIT 1),
				(SELECT max(seq) FROM audit_log))`,
			[cutoff]
		);
		return rowCount;
	}

	private async writeBatch(): Promise<void> {
		const batch = this.buffer.slice(0, this.opts.batchSize);
		if (batch.length === 0) return;
		const doubt = this.inDoubt;
		const sent: { attempt?: { at: string; hash: string; count: number } } = {};
		let done: number;
		try {
			done = await this.db.transaction(async tx => {
				await tx.query("SELECT pg_advisory_xact_lock($1)", [AUDIT_LOCK_KEY]);
				// Under the lock the earlier attempt has ended; if it did commit, do not write it twice.
				if (doubt && (await tx.query("SELECT 1 FROM audit_log WHERE at = $1::timestamptz AND hash = $2", [doubt.at, doubt.hash])).rows.length > 0) {
					return doubt.count;
				}
				const last = await tx.query<{ hash: string }>("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1");
				let prev = last.rows[0]?.hash ?? GENESIS_HASH;
				const rows = batch.map(e => {
					const hash = auditHash(prev, e);
					const row = [e.at, e.actorKind, e.actorId, e.node, e.action, e.target, e.outcome, e.requestId, canonicalJson(e.data), prev, hash];
					prev = hash;
					return row;
				});
				sent.attempt = { at: batch[0].at, hash: rows[0][10] as string, count: batch.length };
				for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) await insert(tx, rows.slice(i, i + ROWS_PER_INSERT));
				return batch.length;
			});
		} catch (err) {
			if (sent.attempt) this.inDoubt = sent.attempt;
			throw err;
		}
		this.buffer.splice(0, done);
		this.written += done;
		this.inDoubt = undefined;
		this.failures = 0;
	}

	private async tick(): Promise<void> {
		this.timer = undefined;
		this.soon = false;
		if (this.buffer.length > 0) {
			try {
				await this.exclusive(() => this.writeBatch());
			} catch (err) {
				this.failures++;
				this.report(err);
			}
		}
		const { maxBackoffMs, flushIntervalMs, batchSize } = this.opts;
		if (this.failures > 0) this.schedule(Math.min(maxBackoffMs, flushIntervalMs * 2 ** (this.failures - 1)));
		else this.schedule(this.buffer.length >= batchSize ? 0 : flushIntervalMs);
	}

	private schedule(ms: number): void {
		if (!this.running) return;
		clearTimeout(this.timer);
		this.soon = ms === 0;
		this.timer = setTimeout(() => void this.tick(), ms);
		this.timer.unref();
	}

	/** One write at a time: the timer and flush() must not both extend the chain from the same head. */
	private exclusive(fn: () => Promise<void>): Promise<void> {
		const run = this.lock.then(fn);
		this.lock = run.catch(() => undefined);
		return run;
	}

	private async page(q: Omit<AuditQuery, "limit" | "offset">, after: number): Promise<Row[]> {
		const { where, params } = filter(q, after);
		return (await this.db.query<Row>(`SELECT ${COLUMNS} FROM audit_log ${where} ORDER BY seq LIMIT ${PAGE_SIZE}`, params)).rows;
	}

	private async isOldest(seq: number): Promise<boolean> {
		const { rows } = await this.db.query<{ oldest: boolean }>("SELECT NOT EXISTS (SELECT 1 FROM audit_log WHERE seq < $1) AS oldest", [seq]);
		return rows[0].oldest;
	}

	private report(err: unknown): void {
		this.opts.onError?.(err instanceof Error ? err : new Error(String(err)));
	}
}

async function insert(tx: Queryable, rows: SqlParam[][]): Promise<void> {
	const params: SqlParam[] = [];
	const values = rows.map(row => {
		const base = params.length;
		params.push(...row);
		return `(${row.map((_, i) => `$${base + i + 1}${CASTS[i]}`).join(", ")})`;
	});
	await tx.query(`INSERT INTO audit_log (${INSERT_COLUMNS}) VALUES ${values.join(", ")}`, params);
}

function filter(q: Omit<AuditQuery, "limit" | "offset">, afterSeq?: number): { where: string; params: SqlParam[] } {
	const params: SqlParam[] = [];
	const conditions: string[] = [];
	const add = (value: SqlParam, sql: (p: string) => string) => conditions.push(sql(`$${params.push(value)}`));
	if (afterSeq !== undefined) add(afterSeq, p => `seq > ${p}`);
	if (q.actorId) add(q.actorId, p => `actor_id = ${p}`);
	if (q.agentId) add(q.agentId, p => `(actor_id = ${p} OR target = ${p})`);
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

function clamp(value: number, min: number, max: number): number {
	return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.floor(value))) : min;
}

/** Entries are written with milliseconds; a row with other sub-millisecond digits was changed, and keeps them so its hash fails. */
function isoOf(atMicros: string): string {
	return atMicros.endsWith("000") ? `${atMicros.slice(0, -3)}Z` : `${atMicros}Z`;
}

function fieldsOf(r: Row): AuditHashedFields {
	return { at: isoOf(r.at_us), actorKind: r.actor_kind, actorId: r.actor_id, node: r.node, action: r.action, target: r.target, outcome: r.outcome, requestId: r.request_id, data: r.data };
}

function toRecord(r: Row): AuditRecord {
	const { at, actorKind, actorId, node, action, target, outcome, requestId, data } = fieldsOf(r);
	const actor = { kind: actorKind as AuditEvent["actor"]["kind"], id: actorId };
	return { seq: Number(r.seq), at, actor, node, action, target, outcome: outcome as AuditEvent["outcome"], requestId, data, prevHash: r.prev_hash, hash: r.hash };
}

/**
 * The entry exactly as the database will give it back, so its hash can be recomputed:
 * text without NUL or lone surrogates (PostgreSQL rejects or replaces them) and data as JSON.
 */
function normalise(e: AuditEvent, node: string): AuditHashedFields {
	if (!ACTOR_KINDS.has(e?.actor?.kind) || typeof e.actor.id !== "string" || e.actor.id === "") throw new TypeError("Audit event: actor must be { kind: user|agent|system|node, id }");
	if (typeof e.action !== "string" || e.action === "") throw new TypeError("Audit event: action must be a non-empty string");
	if (!OUTCOMES.has(e.outcome)) throw new TypeError("Audit event: outcome must be allowed, denied, succeeded or failed");
	const at = e.at ?? new Date();
	const year = at instanceof Date ? at.getUTCFullYear() : NaN;
	if (!(year >= 1 && year <= 9999)) throw new TypeError("Audit event: at must be a valid Date in the years 1-9999");
	const text = (value: string | null | undefined) => (value === null || value === undefined ? null : wellFormed(String(value)));
	const [actorId, action, target, requestId] = [wellFormed(e.actor.id), wellFormed(e.action), text(e.target), text(e.requestId)];
	return { at: at.toISOString(), actorKind: e.actor.kind, actorId, node: wellFormed(node), action, target, outcome: e.outcome, requestId, data: dataOf(e.data) };
}

function dataOf(data: unknown): Record<string, unknown> {
	let json: string;
	try {
		json = canonicalJson(data ?? {});
	} catch (err) {
		return { unserialisable: (err as Error).message };
	}
	if (json.length > MAX_DATA_CHARS) return { truncated: true, chars: json.length };
	const value = scrub(JSON.parse(json));
	return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
}

function scrub(value: unknown): unknown {
	if (typeof value === "string") return wellFormed(value);
	if (Array.isArray(value)) return value.map(scrub);
	if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [wellFormed(k), scrub(v)]));
	return value;
}

function wellFormed(s: string): string {
	return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd").replaceAll("\0", "\ufffd");
}
