import type { Queryable } from "../kernel/database";
import { checkpointSignedBy, type AuditCheckpoint } from "./audit-checkpoints";
import { auditHash, keyedAuditHash, LEGACY_SCHEME, type AuditKey } from "./audit-hash";
import { auditPage, fieldsOf, PAGE_SIZE, type AuditRow } from "./audit-rows";

/**
 * - `edited`: a row the chain or a checkpoint vouched for no longer matches its hash;
 * - `chain_broken`: a row does not name the hash of the row before it (one between was removed);
 * - `truncated`: rows a checkpoint vouched for are gone from the end;
 * - `forged`: a row after the last checkpoint (or a checkpoint itself) was written without the key;
 * - `key_mismatch`: signed with another key than this node's (AUDIT_HMAC_KEY / CLUSTER_SECRET differ).
 */
export type AuditCheck = "edited" | "chain_broken" | "truncated" | "forged" | "key_mismatch";

export interface AuditVerifyResult {
	ok: boolean;
	checked: number;
	/** The first failure: which check, and the row (seq) it concerns. */
	firstBad?: { check: AuditCheck; seq: number; reason: string };
	/** The newest checkpoint the log was checked against; null when this node has none for this database. */
	checkpoint: { seq: number; at: string; node: string } | null;
}

export interface VerifyInput {
	db: Queryable;
	key: AuditKey;
	checkpoint?: AuditCheckpoint;
	/** Set when this node's checkpoints are for another chain than the database's. */
	foreignHome?: { database: string; home: string; file: string };
}

type Bad = NonNullable<AuditVerifyResult["firstBad"]>;

/** Walks the chain in seq order; the oldest kept row's prev_hash is the anchor (retention removes rows from the start). */
export async function verifyAuditChain({ db, key, checkpoint: cp, foreignHome }: VerifyInput): Promise<AuditVerifyResult> {
	const anchor = cp ? { seq: cp.seq, at: cp.at, node: cp.node } : null;
	const fail = (checked: number, firstBad: Bad): AuditVerifyResult => ({ ok: false, checked, firstBad, checkpoint: anchor });
	if (foreignHome) {
		return fail(0, { check: "forged", seq: 0, reason: `the database names its audit chain ${foreignHome.database}, but this node's checkpoints (${foreignHome.file}) are for chain ${foreignHome.home}: the log was replaced (if this node moved to another database on purpose, move that file aside)` });
	}
	if (cp && cp.keyId !== key.id) return fail(0, { check: "key_mismatch", seq: cp.seq, reason: `the checkpoint was signed with key ${cp.keyId}; this node's key is ${key.id}` });
	if (cp && !checkpointSignedBy(key, cp)) return fail(0, { check: "forged", seq: cp.seq, reason: "the checkpoint's signature does not match: the checkpoint file was altered" });
	/** Rows the key (through a later row, or a checkpoint) vouched for were edited; later ones were written without it. */
	const vouched = async (row: AuditRow): Promise<boolean> => {
		const seq = Number(row.seq);
		if (cp && seq <= cp.seq) return true;
		const [next] = await auditPage(db, {}, seq, 1);
		return !!next && next.scheme !== LEGACY_SCHEME && next.key_id === key.id && next.prev_hash === row.hash && keyedAuditHash(key, next.prev_hash, fieldsOf(next)) === next.hash;
	};
	const unkeyed = async (row: AuditRow, why: string): Promise<Bad> =>
		(await vouched(row))
			? { check: "edited", seq: Number(row.seq), reason: `the row does not match its keyed hash: it was edited (${why})` }
			: { check: "forged", seq: Number(row.seq), reason: `the row was not written with the audit key: it was added (or rewritten) after the last checkpoint${cp ? ` (seq ${cp.seq})` : ""} (${why})` };

	let prev: { seq: number; hash: string } | undefined;
	let keyedSeen = false;
	let checked = 0;
	for (let after = 0; ; ) {
		const rows = await auditPage(db, {}, after);
		for (const row of rows) {
			const seq = Number(row.seq);
			// A purge running during the walk makes this row the oldest: then it is the anchor.
			if (prev && row.prev_hash !== prev.hash && !(await isOldest(db, seq))) {
				return fail(checked, { check: "chain_broken", seq, reason: `prev_hash is not the hash of seq ${prev.seq}: a row between them was removed` });
			}
			if (row.scheme === LEGACY_SCHEME) {
				if (keyedSeen || (cp && seq > cp.legacyUntil)) return fail(checked, await unkeyed(row, "an unkeyed row after the chain was keyed"));
				if (auditHash(row.prev_hash, fieldsOf(row)) !== row.hash) return fail(checked, { check: "edited", seq, reason: "the row does not match its hash: it was edited" });
			} else {
				if (row.key_id !== key.id) return fail(checked, { check: "key_mismatch", seq, reason: `the row was signed with key ${row.key_id ?? "(none)"}; this node's key is ${key.id}: every node needs the same AUDIT_HMAC_KEY (or CLUSTER_SECRET)` });
				if (keyedAuditHash(key, row.prev_hash, fieldsOf(row)) !== row.hash) return fail(checked, await unkeyed(row, "its hash is not the HMAC of its content"));
				keyedSeen = true;
			}
			if (cp && seq === cp.seq && row.hash !== cp.hash) {
				return fail(checked, { check: "edited", seq, reason: `the checkpoint of ${cp.at} (node ${cp.node}) names another hash for this row: it or a row before it was changed and the chain recomputed` });
			}
			prev = { seq, hash: row.hash };
			checked++;
		}
		if (rows.length < PAGE_SIZE) break;
		after = Number(rows[rows.length - 1].seq);
	}
	if (cp && (prev?.seq ?? 0) < cp.seq) {
		const last = prev ? `the last row left is seq ${prev.seq}` : "no row is left";
		return fail(checked, { check: "truncated", seq: cp.seq, reason: `rows were removed from the end: the checkpoint of ${cp.at} (node ${cp.node}) vouches for seq ${cp.seq}, but ${last}` });
	}
	return { ok: true, checked, checkpoint: anchor };
}

async function isOldest(db: Queryable, seq: number): Promise<boolean> {
	const { rows } = await db.query<{ oldest: boolean }>("SELECT NOT EXISTS (SELECT 1 FROM audit_log WHERE seq < $1) AS oldest", [seq]);
	return rows[0].oldest;
}
