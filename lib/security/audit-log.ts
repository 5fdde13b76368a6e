import { canonicalJson } from "../kernel/canonical-json";
import type { Database, Queryable, SqlParam } from "../kernel/database";
import { withTimeout } from "../kernel/database/timeout";
import { AuditAggregator } from "./audit-aggregator";
import { AuditAnchor, readHead } from "./audit-anchor";
import type { AuditCheckpoint, CheckpointOffer, CheckpointStore } from "./audit-checkpoints";
import { KEYED_SCHEME, keyedAuditHash, type AuditHashedFields, type AuditKey } from "./audit-hash";
import { auditFilter, auditPage, COLUMNS, PAGE_SIZE, toRecord, type AuditEvent, type AuditQuery, type AuditRecord, type AuditRow } from "./audit-rows";
import type { AuditVerifyResult } from "./audit-verify";
import { normalise } from "./audit-normalise";
import { AuditBufferFullError } from "./errors";

export { auditHash, AuditKey, GENESIS_HASH, keyedAuditHash, type AuditHashedFields } from "./audit-hash";
export type { AuditEvent, AuditParty, AuditQuery, AuditRecord, LiveAuditEntry } from "./audit-rows";
export type { AuditCheck, AuditVerifyResult } from "./audit-verify";
export type { AuditCheckpoint, CheckpointOffer } from "./audit-checkpoints";

/** maxBackoffMs: longest wait between attempts while the database is away; stopTimeoutMs: how long stop() keeps trying. */
export interface AuditLogOptions {
	node: string;
	/** Keys the chain and signs its checkpoints; the database never holds it. */
	key: AuditKey;
	/** Where checkpoints are kept (the data dir), and how often one is made: every `every` entries this node writes, or `intervalMs` after a write. */
	checkpoints?: { store: CheckpointStore; every: number; intervalMs: number };
	/** The window in which aggregate() folds like events into one entry. */
	aggregateWindowMs?: number;
	maxBuffer?: number;
	flushIntervalMs?: number;
	batchSize?: number;
	maxBackoffMs?: number;
	stopTimeoutMs?: number;
	onError?(err: Error): void;
}

export const DEFAULT_AUDIT_OPTIONS = { maxBuffer: 10_000, flushIntervalMs: 200, batchSize: 500, maxBackoffMs: 10_000, stopTimeoutMs: 5_000, aggregateWindowMs: 60_000 };
/** Held per transaction by every writer, so nodes sharing one database extend one chain. */
const AUDIT_LOCK_KEY = 4_242_002;
/** 15 parameters a row: well under PostgreSQL's 65,535 a statement, whatever batchSize is. */
const ROWS_PER_INSERT = 1000;
const INSERT_COLUMNS = "at, actor_kind, actor_id, node, action, target, outcome, request_id, data, prev_hash, hash, scheme, key_id, principal_kind, principal_id";
const CASTS = ["::timestamptz", "", "", "", "", "", "", "", "::jsonb", "", "", "", "", "", ""];
const HASH_COLUMN = 10;

/**
 * The append-only audit log, a chain keyed with HMAC and anchored by signed checkpoints
 * kept outside the database. record() only appends to a bounded buffer, so auditing never
 * waits on the database; a timer writes the buffer in batches and keeps it, in order,
 * while the database is away.
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
	private readonly aggregator: AuditAggregator;
	private readonly anchor: AuditAnchor;
	/** The head this node last wrote, and what it wrote since its last checkpoint. */
	private head: { seq: number; hash: string } | undefined;
	private sinceCheckpoint = 0;
	private lastCheckpointAt = Date.now();

	constructor(
		private readonly db: Database,
		options: AuditLogOptions
	) {
		this.opts = { ...DEFAULT_AUDIT_OPTIONS, ...options };
		this.aggregator = new AuditAggregator(e => this.record(e), this.opts.aggregateWindowMs, err => this.report(err));
		this.anchor = new AuditAnchor(db, this.opts.key, this.opts.node, this.opts.checkpoints?.store);
	}

	get buffered(): number {
		return this.buffer.length;
	}

	get full(): boolean {
		return this.buffer.length >= this.opts.maxBuffer;
	}

	/** The id (not the key) of the key this node signs with. */
	get keyId(): string {
		return this.opts.key.id;
	}

	/** Throws AuditBufferFullError when full, and TypeError for a malformed event (a caller bug). */
	record(event: AuditEvent): void {
		if (this.full) throw new AuditBufferFullError(this.buffer.length);
		const entry = normalise(event, this.opts.node);
		this.buffer.push(entry);
		for (const listener of this.listeners) listener(entry);
		if (this.running && this.timer && !this.soon && this.failures === 0 && this.buffer.length >= this.opts.batchSize) this.schedule(0);
	}

	/**
	 * Counts `event` in the open window for `key` instead of recording it: one entry per key
	 * and window (aggregateWindowMs) carries the exact count, per `detail`, from the first event.
	 */
	aggregate(key: string, event: AuditEvent, detail: string): void {
		this.aggregator.add(key, { ...event, at: event.at ?? new Date() }, detail);
	}

	/** Hears every entry as it is recorded, before it is written (e.g. to evaluate policies on the stream); returns the unsubscribe. A listener must not throw. */
	onRecord(listener: (entry: AuditHashedFields) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/** Hears every checkpoint this node makes (to log it and send it to the other nodes); returns the unsubscribe. */
	onCheckpoint(listener: (cp: AuditCheckpoint) => void): () => void {
		return this.anchor.onCheckpoint(listener);
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
		this.aggregator.flushAll();
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
		// The tail this node wrote is anchored before it goes, so a restart finds it whole.
		if (this.sinceCheckpoint > 0) await this.checkpoint().catch(err => this.report(err));
	}

	/** Newest first. */
	async query(q: AuditQuery): Promise<{ items: AuditRecord[]; total: number; limit: number; offset: number }> {
		const limit = clamp(q.limit ?? 100, 1, 1000);
		const offset = clamp(q.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
		const { where, params } = auditFilter(q);
		const count = await this.db.query<{ n: string | number }>(`SELECT count(*) AS n FROM audit_log ${where}`, params);
		const n = params.length;
		const { rows } = await this.db.query<AuditRow>(`SELECT ${COLUMNS} FROM audit_log ${where} ORDER BY seq DESC LIMIT $${n + 1} OFFSET $${n + 2}`, [...params, limit, offset]);
		return { items: rows.map(toRecord), total: Number(count.rows[0].n), limit, offset };
	}

	/** One JSON object a line (no newline), oldest first, read a page at a time. */
	async *exportLines(q: Omit<AuditQuery, "limit" | "offset">): AsyncIterable<string> {
		for (let after = 0; ; ) {
			const rows = await auditPage(this.db, q, after);
			for (const row of rows) yield JSON.stringify(toRecord(row));
			if (rows.length < PAGE_SIZE) return;
			after = Number(rows[rows.length - 1].seq);
		}
	}

	/** Checks every row's hash and link, and the end of the chain against the newest checkpoint; names the first failure's check and seq. */
	verify(): Promise<AuditVerifyResult> {
		return this.anchor.verify();
	}

	/** Signs the head this node last wrote, keeps it in the data dir and tells the listeners (onCheckpoint). */
	checkpoint(): Promise<AuditCheckpoint | undefined> {
		this.sinceCheckpoint = 0;
		this.lastCheckpointAt = Date.now();
		return this.anchor.checkpoint(this.head);
	}

	/** The newest checkpoint kept for this database's chain (made here or received). */
	latestCheckpoint(): Promise<AuditCheckpoint | undefined> {
		return this.anchor.latest();
	}

	/** A checkpoint another node made: kept when signed with this node's key and newer than the one kept for its chain. */
	receiveCheckpoint(cp: AuditCheckpoint): CheckpointOffer | "no-store" {
		return this.anchor.receive(cp);
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
		await this.anchor.chainInfo();
		const { key } = this.opts;
		const doubt = this.inDoubt;
		const sent: { attempt?: { at: string; hash: string; count: number } } = {};
		let done: { count: number; head?: { seq: number; hash: string } };
		try {
			done = await this.db.transaction(async tx => {
				await tx.query("SELECT pg_advisory_xact_lock($1)", [AUDIT_LOCK_KEY]);
				// Under the lock the earlier attempt has ended; if it did commit, do not write it twice.
				if (doubt && (await tx.query("SELECT 1 FROM audit_log WHERE at = $1::timestamptz AND hash = $2", [doubt.at, doubt.hash])).rows.length > 0) {
					return { count: doubt.count };
				}
				let prev = (await readHead(tx)).hash;
				const rows = batch.map(e => {
					const hash = keyedAuditHash(key, prev, e);
					const row: SqlParam[] = [e.at, e.actorKind, e.actorId, e.node, e.action, e.target, e.outcome, e.requestId, canonicalJson(e.data), prev, hash, KEYED_SCHEME, key.id, e.principalKind, e.principalId];
					prev = hash;
					return row;
				});
				sent.attempt = { at: batch[0].at, hash: rows[0][HASH_COLUMN] as string, count: batch.length };
				let seq = 0;
				for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) seq = await insert(tx, rows.slice(i, i + ROWS_PER_INSERT));
				return { count: batch.length, head: { seq, hash: prev } };
			});
		} catch (err) {
			if (sent.attempt) this.inDoubt = sent.attempt;
			throw err;
		}
		this.buffer.splice(0, done.count);
		this.written += done.count;
		this.inDoubt = undefined;
		this.failures = 0;
		if (done.head) this.head = done.head;
		this.sinceCheckpoint += done.count;
		if (this.sinceCheckpoint >= (this.opts.checkpoints?.every ?? Infinity)) await this.checkpoint().catch(err => this.report(err));
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
		const every = this.opts.checkpoints?.intervalMs;
		if (every !== undefined && this.sinceCheckpoint > 0 && Date.now() - this.lastCheckpointAt >= every) await this.checkpoint().catch(err => this.report(err));
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

	private report(err: unknown): void {
		this.opts.onError?.(err instanceof Error ? err : new Error(String(err)));
	}
}

/** Inserts the rows; answers the seq of the last. */
async function insert(tx: Queryable, rows: SqlParam[][]): Promise<number> {
	const params: SqlParam[] = [];
	const values = rows.map(row => {
		const base = params.length;
		params.push(...row);
		return `(${row.map((_, i) => `$${base + i + 1}${CASTS[i]}`).join(", ")})`;
	});
	const { rows: inserted } = await tx.query<{ seq: string }>(`INSERT INTO audit_log (${INSERT_COLUMNS}) VALUES ${values.join(", ")} RETURNING seq`, params);
	return Math.max(...inserted.map(r => Number(r.seq)));
}

function clamp(value: number, min: number, max: number): number {
	return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.floor(value))) : min;
}
