import type { Queryable } from "../kernel/database";
import { signCheckpoint, type AuditCheckpoint, type CheckpointOffer, type CheckpointStore } from "./audit-checkpoints";
import { GENESIS_HASH, LEGACY_SCHEME, type AuditKey } from "./audit-hash";
import { verifyAuditChain, type AuditVerifyResult } from "./audit-verify";

export type ChainHead = { seq: number; hash: string };

/**
 * What ties the chain to things outside the database: the chain's id, the checkpoints this
 * node signs and keeps (with those other nodes send), and verification against them.
 */
export class AuditAnchor {
	private chain: Promise<{ id: string; legacyUntil: number }> | undefined;
	private readonly listeners = new Set<(cp: AuditCheckpoint) => void>();

	constructor(
		private readonly db: Queryable,
		private readonly key: AuditKey,
		private readonly node: string,
		private readonly store?: CheckpointStore
	) {}

	onCheckpoint(listener: (cp: AuditCheckpoint) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/**
	 * The chain id, and (the first time this node sees this database) an anchor: a signed
	 * checkpoint of the head as found, naming the last unkeyed row, so rows written before
	 * the chain was keyed keep verifying and cannot be recomputed unnoticed.
	 */
	chainInfo(): Promise<{ id: string; legacyUntil: number }> {
		this.chain ??= (async () => {
			const id = await readChainId(this.db);
			const kept = this.store?.latest(id);
			if (kept) return { id, legacyUntil: kept.legacyUntil };
			const legacy = await this.db.query<{ seq: string | null }>("SELECT max(seq) AS seq FROM audit_log WHERE scheme = $1", [LEGACY_SCHEME]);
			const info = { id, legacyUntil: Number(legacy.rows[0].seq ?? 0) };
			if (this.store) {
				this.store.home ??= id;
				this.keep(this.sign(id, await readHead(this.db), info.legacyUntil));
			}
			return info;
		})();
		this.chain.catch(() => (this.chain = undefined));
		return this.chain;
	}

	/** Signs `head` (default: the table's), keeps it in the data dir and tells the listeners; undefined when not newer or nowhere to keep it. */
	async checkpoint(head?: ChainHead): Promise<AuditCheckpoint | undefined> {
		if (!this.store) return undefined;
		const chain = await this.chainInfo();
		const cp = this.sign(chain.id, head ?? (await readHead(this.db)), chain.legacyUntil);
		return this.keep(cp) ? cp : undefined;
	}

	async latest(): Promise<AuditCheckpoint | undefined> {
		return this.store?.latest((await this.chainInfo()).id);
	}

	receive(cp: AuditCheckpoint): CheckpointOffer | "no-store" {
		return this.store?.offer(this.key, cp) ?? "no-store";
	}

	async verify(): Promise<AuditVerifyResult> {
		await this.chainInfo();
		// Read again, not remembered: a chain id changed under a running node is a replaced log.
		const chain = await readChainId(this.db);
		const home = this.store?.home;
		const foreignHome = this.store && home && home !== chain && this.store.latest(home) ? { database: chain, home, file: this.store.file } : undefined;
		return verifyAuditChain({ db: this.db, key: this.key, checkpoint: this.store?.latest(chain), foreignHome });
	}

	private sign(chain: string, head: ChainHead, legacyUntil: number): AuditCheckpoint {
		return signCheckpoint(this.key, { chain, seq: head.seq, hash: head.hash, legacyUntil, at: new Date().toISOString(), node: this.node });
	}

	private keep(cp: AuditCheckpoint): boolean {
		if (this.store?.offer(this.key, cp) !== "kept") return false;
		for (const listener of this.listeners) listener(cp);
		return true;
	}
}

export async function readHead(q: Queryable): Promise<ChainHead> {
	const { rows } = await q.query<{ seq: string; hash: string }>("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
	return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : { seq: 0, hash: GENESIS_HASH };
}

/**
 * The database's chain id (made by migration 009). A missing one is made anew, so the log
 * keeps working; a node whose checkpoints name the old id then reports the log replaced.
 */
async function readChainId(db: Queryable): Promise<string> {
	const oldest = "SELECT id FROM audit_chain ORDER BY created_at, id LIMIT 1";
	const { rows } = await db.query<{ id: string }>(oldest);
	if (rows[0]) return rows[0].id;
	await db.query("INSERT INTO audit_chain (id) SELECT gen_random_uuid()::text WHERE NOT EXISTS (SELECT 1 FROM audit_chain)");
	return (await db.query<{ id: string }>(oldest)).rows[0].id;
}
