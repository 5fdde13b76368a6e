import type { Database, SqlParam } from "../kernel/database";
import type { MemoryCipher } from "./memory-crypto";
import type { IndexEntry, Memory, MemoryScope, MemoryType, Visibility } from "./memory-types";
import { MemoryLockedError } from "./memory-errors";
import { decodeVector, encodeVector } from "./vector-codec";

interface Row {
	id: string;
	agent_id: string;
	type: MemoryType;
	scope: MemoryScope;
	content: string;
	metadata: Record<string, unknown>;
	importance: number;
	encrypted: boolean;
	embedding_model: string;
	created_at: Date;
	archived_at: Date | null;
}

interface VectorRow {
	id: string;
	agent_id: string;
	type: MemoryType;
	scope: MemoryScope;
	encrypted: boolean;
	embedding_model: string;
	embedding: Uint8Array;
}

/** A memory as it is written: its vector comes from the embedding model. */
export type MemoryRecord = Omit<Memory, "encrypted" | "createdAt" | "archivedAt"> & { vector: ArrayLike<number> };

export interface ListQuery {
	agentId: string;
	type?: MemoryType;
	scope?: MemoryScope;
	archived?: boolean;
	limit: number;
	offset: number;
}

/** A memory whose vector another model made, to re-embed. */
export interface StaleMemory {
	memory: Memory;
	/** Its index entry as it is: where the old vector is to be removed from. */
	entry: IndexEntry;
	archived: boolean;
}

/** A partition of the vector index: one agent's private or shared memories, or all public ones. */
export interface PartitionKey {
	scope: MemoryScope;
	agentId?: string;
}

const COLUMNS = "id, agent_id, type, scope, content, metadata, importance, encrypted, embedding_model, created_at, archived_at";
/** What an index entry needs of a row. */
const ENTRY_COLUMNS = "id, agent_id, type, scope, encrypted, embedding_model, embedding";
/** Rows per INSERT: well under PostgreSQL's 65,535 parameters, large enough to amortise a round trip. */
const INSERT_BATCH = 500;
const LOAD_BATCH = 5000;
const TEXT_MATCHES_RANKED = 1000;

/**
 * Which memories a reindex re-embeds: those whose vectors another model made than the
 * current one, of one agent or of all; with `all`, every memory after the id
 * `after` whatever its model (vectors written to a vector store before memories recorded
 * their model carry no label there, and only re-embedding gives them one).
 */
export interface ReindexScope {
	agentId?: string;
	all?: boolean;
	after?: string;
}

function staleWhere(model: string, scope: ReindexScope, params: SqlParam[]): string {
	// Two ranges rather than `<>`, so the planner reads the embedding-model index.
	const where = [scope.all ? `id > $${params.push(scope.after ?? "")}` : `(embedding_model < $${params.push(model)} OR embedding_model > $${params.length})`];
	if (scope.agentId !== undefined) where.push(`agent_id = $${params.push(scope.agentId)}`);
	return where.join(" AND ");
}

/** What a visibility allows, as SQL over `memories`; parameters are appended to `params`. */
function visibleTo(visibility: Visibility, params: SqlParam[]): string {
	params.push(visibility.agentId, visibility.sharedFrom);
	const a = params.length - 1;
	const shared = params.length;
	return `(agent_id = $${a} OR scope = 'public' OR (scope = 'shared' AND agent_id = ANY($${shared}::text[])))`;
}

/**
 * Memories in the database: the rows are the truth (vector indexes are rebuilt from
 * them), written in batches, encrypted on the way in and decrypted on the way out when
 * a cipher is configured.
 */
export class MemoryStore {
	constructor(
		private readonly db: Database,
		private readonly cipher?: MemoryCipher
	) {}

	get encrypting(): boolean {
		return this.cipher !== undefined;
	}

	async insert(records: MemoryRecord[]): Promise<Memory[]> {
		const out: Memory[] = [];
		for (let start = 0; start < records.length; start += INSERT_BATCH) {
			const batch = records.slice(start, start + INSERT_BATCH);
			const params: SqlParam[] = [];
			const values = batch.map(r => {
				const sealed = this.seal(r);
				params.push(r.id, r.agentId, r.type, r.scope, sealed.content, sealed.metadata, r.importance, this.encrypting, sealed.embedding, r.vector.length, r.embeddingModel);
				const n = params.length;
				return `($${n - 10}, $${n - 9}, $${n - 8}, $${n - 7}, $${n - 6}, $${n - 5}::jsonb, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
			});
			const { rows } = await this.db.query<Row>(
				`INSERT INTO memories (id, agent_id, type, scope, content, metadata, importance, encrypted, embedding, dims, embedding_model) VALUES ${values.join(", ")} RETURNING ${COLUMNS}`,
				params
			);
			const byId = new Map(batch.map(r => [r.id, r]));
			// The caller's plain text is the answer; decrypting what was just sealed would only cost.
			for (const row of rows) out.push({ ...this.toMemory({ ...row, encrypted: false }), content: byId.get(row.id)!.content, metadata: byId.get(row.id)!.metadata, encrypted: row.encrypted });
		}
		return out;
	}

	async get(id: string): Promise<Memory | undefined> {
		const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM memories WHERE id = $1`, [id]);
		return rows[0] && this.toMemory(rows[0]);
	}

	/** The memories with these ids that the visibility allows (archived ones excluded). */
	async fetchVisible(ids: string[], visibility: Visibility): Promise<Memory[]> {
		return (await this.fetchHits(ids, visibility, [])).map(h => h.memory);
	}

	/** As fetchVisible, with the `lexemes` each memory's full text contains. */
	async fetchHits(ids: string[], visibility: Visibility, lexemes: string[]): Promise<{ memory: Memory; words: string[] }[]> {
		if (!ids.length) return [];
		const params: SqlParam[] = [ids, lexemes];
		const { rows } = await this.db.query<Row & { words: string[] }>(
			`SELECT ${COLUMNS}, ARRAY(SELECT lexeme FROM unnest(search_text) WHERE lexeme = ANY($2::text[])) AS words
			 FROM memories WHERE id = ANY($1::text[]) AND archived_at IS NULL AND ${visibleTo(visibility, params)}`,
			params
		);
		return rows.map(r => ({ memory: this.toMemory(r), words: r.words ?? [] }));
	}

	async list(query: ListQuery): Promise<{ items: Memory[]; total: number }> {
		const params: SqlParam[] = [query.agentId];
		const where = ["agent_id = $1", query.archived ? "archived_at IS NOT NULL" : "archived_at IS NULL"];
		if (query.type) where.push(`type = $${params.push(query.type)}`);
		if (query.scope) where.push(`scope = $${params.push(query.scope)}`);
		const clause = where.join(" AND ");
		const total = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM memories WHERE ${clause}`, params);
		const { rows } = await this.db.query<Row>(
			`SELECT ${COLUMNS} FROM memories WHERE ${clause} ORDER BY created_at DESC, id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
			[...params, query.limit, query.offset]
		);
		return { items: rows.map(r => this.toMemory(r)), total: Number(total.rows[0].n) };
	}

	/** The words of a search as the full-text index knows them: stemmed, without stop words. */
	async lexemes(text: string): Promise<string[]> {
		const { rows } = await this.db.query<{ lexeme: string }>("SELECT lexeme FROM unnest(to_tsvector('english', $1))", [text]);
		return rows.map(r => r.lexeme);
	}

	/**
	 * Full-text candidates among the visible, unencrypted memories: any one of the query's
	 * lexemes may match, so a missing word does not hide a good match; ts_rank favours
	 * memories that hold more of them. The query goes in as a constant tsquery, so the
	 * planner can use the GIN index; at most TEXT_MATCHES_RANKED matches are ranked, so a
	 * query of very common words costs a bounded time (the vector side still sees all).
	 */
	async textCandidates(lexemes: string[], visibility: Visibility, options: { type?: MemoryType; limit: number }): Promise<{ id: string; rank: number }[]> {
		if (!lexemes.length) return [];
		const query = lexemes.map(l => `'${l.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`).join(" | ");
		const params: SqlParam[] = [query];
		const where = ["search_text @@ $1::tsquery", "archived_at IS NULL", visibleTo(visibility, params)];
		if (options.type) where.push(`type = $${params.push(options.type)}`);
		params.push(TEXT_MATCHES_RANKED, options.limit);
		const { rows } = await this.db.query<{ id: string; rank: number }>(
			`WITH matches AS MATERIALIZED (SELECT id, search_text FROM memories WHERE ${where.join(" AND ")} LIMIT $${params.length - 1})
			 SELECT id, ts_rank(search_text, $1::tsquery) AS rank FROM matches ORDER BY rank DESC LIMIT $${params.length}`,
			params
		);
		return rows.map(r => ({ id: r.id, rank: Number(r.rank) }));
	}

	/**
	 * Refreshes the planner's statistics of the memories table. PostgreSQL's autovacuum does
	 * this on a server; the embedded database has none, and with stale statistics after a
	 * bulk load the planner scans every row of an agent instead of using the text index.
	 */
	async analyze(): Promise<void> {
		await this.db.exec("ANALYZE memories");
	}

	/** Every live vector of one index partition, in batches (a partition may hold 100k). */
	async *partition(key: PartitionKey): AsyncGenerator<IndexEntry[]> {
		let after = "";
		for (;;) {
			const params: SqlParam[] = [key.scope, after, LOAD_BATCH];
			const owner = key.agentId === undefined ? "" : ` AND agent_id = $${params.push(key.agentId)}`;
			const { rows } = await this.db.query<VectorRow>(
				`SELECT ${ENTRY_COLUMNS} FROM memories
				 WHERE scope = $1 AND archived_at IS NULL AND id > $2${owner} ORDER BY id LIMIT $3`,
				params
			);
			if (!rows.length) return;
			yield rows.map(r => this.toEntry(r));
			after = rows[rows.length - 1].id;
			if (rows.length < LOAD_BATCH) return;
		}
	}

	/**
	 * Visible live memories whose vectors another model made (so a query of `model` cannot
	 * rank them by meaning). Written as two ranges rather than `<>` so the planner reads
	 * the embedding-model index: when every memory has the current model, both are empty.
	 */
	async countOtherModels(model: string, visibility: Visibility, type?: MemoryType): Promise<number> {
		const params: SqlParam[] = [model];
		const where = ["(embedding_model < $1 OR embedding_model > $1)", "archived_at IS NULL", visibleTo(visibility, params)];
		if (type) where.push(`type = $${params.push(type)}`);
		const { rows } = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM memories WHERE ${where.join(" AND ")}`, params);
		return Number(rows[0].n);
	}

	/** Memories to re-embed (archived ones too: they may be restored): see ReindexScope. */
	async countStale(model: string, scope: ReindexScope): Promise<number> {
		const params: SqlParam[] = [];
		const { rows } = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM memories WHERE ${staleWhere(model, scope, params)}`, params);
		return Number(rows[0].n);
	}

	/** The next `limit` of those memories, by id, decrypted: what re-embedding needs. */
	async staleBatch(model: string, scope: ReindexScope, limit: number): Promise<StaleMemory[]> {
		const params: SqlParam[] = [];
		const where = staleWhere(model, scope, params);
		const { rows } = await this.db.query<Row & VectorRow>(`SELECT ${COLUMNS}, embedding FROM memories WHERE ${where} ORDER BY id LIMIT $${params.push(limit)}`, params);
		return rows.map(r => ({ memory: this.toMemory(r), entry: this.toEntry(r), archived: r.archived_at !== null }));
	}

	/**
	 * Replaces a memory's vector with one of another model, only while its model is still the
	 * one it was read with: a memory re-embedded meanwhile (a second run) is left as it is.
	 * The new index entry, or undefined when nothing changed.
	 */
	async reembed(memory: Memory, model: string, vector: ArrayLike<number>): Promise<IndexEntry | undefined> {
		const embedding = this.sealVector(memory.agentId, memory.id, memory.encrypted, vector);
		const { rows } = await this.db.query<VectorRow>(
			`UPDATE memories SET embedding = $3, dims = $4, embedding_model = $5 WHERE id = $1 AND embedding_model = $2 RETURNING ${ENTRY_COLUMNS}`,
			[memory.id, memory.embeddingModel, embedding, vector.length, model]
		);
		return rows[0] && this.toEntry(rows[0]);
	}

	/** Removes memories of an agent (all of them when `ids` is absent); the rows removed. */
	async forget(agentId: string, ids?: string[]): Promise<IndexEntry[]> {
		const params: SqlParam[] = [agentId];
		const only = ids ? ` AND id = ANY($${params.push(ids)}::text[])` : "";
		const { rows } = await this.db.query<VectorRow>(`DELETE FROM memories WHERE agent_id = $1${only} RETURNING ${ENTRY_COLUMNS}`, params);
		return rows.map(r => this.toEntry(r));
	}

	/** An agent's memories, oldest first, decrypted, one JSON object a line. */
	async *exportLines(agentId: string): AsyncGenerator<string> {
		let after = "";
		for (;;) {
			const { rows } = await this.db.query<Row>(
				`SELECT ${COLUMNS} FROM memories WHERE agent_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
				[agentId, after, LOAD_BATCH]
			);
			for (const row of rows) yield JSON.stringify(this.toMemory(row));
			if (rows.length < LOAD_BATCH) return;
			after = rows[rows.length - 1].id;
		}
	}

	/** Archives live memories of a kind created before `before`; the archived rows. */
	async archive(type: MemoryType, before: Date, now: Date): Promise<IndexEntry[]> {
		const { rows } = await this.db.query<VectorRow>(
			`UPDATE memories SET archived_at = $3 WHERE type = $1 AND created_at < $2 AND archived_at IS NULL RETURNING ${ENTRY_COLUMNS}`,
			[type, before, now]
		);
		return rows.map(r => this.toEntry(r));
	}

	/** Deletes memories archived before `before`; how many. */
	async purgeArchived(before: Date): Promise<number> {
		const { rowCount } = await this.db.query(`DELETE FROM memories WHERE archived_at < $1`, [before]);
		return rowCount;
	}

	/** Brings an archived memory back; undefined when there is no such archived memory of this agent. */
	async restore(agentId: string, id: string): Promise<{ memory: Memory; entry: IndexEntry } | undefined> {
		const { rows } = await this.db.query<Row & VectorRow>(
			`UPDATE memories SET archived_at = NULL WHERE id = $1 AND agent_id = $2 AND archived_at IS NOT NULL RETURNING ${COLUMNS}, embedding`,
			[id, agentId]
		);
		return rows[0] && { memory: this.toMemory(rows[0]), entry: this.toEntry(rows[0]) };
	}

	async share(ownerId: string, granteeId: string): Promise<void> {
		await this.db.query(`INSERT INTO memory_shares (owner_id, grantee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [ownerId, granteeId]);
	}

	async unshare(ownerId: string, granteeId: string): Promise<boolean> {
		const { rowCount } = await this.db.query(`DELETE FROM memory_shares WHERE owner_id = $1 AND grantee_id = $2`, [ownerId, granteeId]);
		return rowCount > 0;
	}

	async sharesOf(ownerId: string): Promise<{ agentId: string; since: string }[]> {
		const { rows } = await this.db.query<{ grantee_id: string; created_at: Date }>(`SELECT grantee_id, created_at FROM memory_shares WHERE owner_id = $1 ORDER BY grantee_id`, [ownerId]);
		return rows.map(r => ({ agentId: r.grantee_id, since: new Date(r.created_at).toISOString() }));
	}

	/** The agents whose shared memories `granteeId` may see. */
	async sharedWith(granteeId: string): Promise<string[]> {
		const { rows } = await this.db.query<{ owner_id: string }>(`SELECT owner_id FROM memory_shares WHERE grantee_id = $1`, [granteeId]);
		return rows.map(r => r.owner_id);
	}

	private seal(r: MemoryRecord): { content: string; metadata: string; embedding: Buffer } {
		const embedding = encodeVector(r.vector);
		if (!this.cipher) return { content: r.content, metadata: JSON.stringify(r.metadata), embedding };
		return {
			content: this.cipher.encryptText(r.agentId, r.id, r.content),
			metadata: JSON.stringify({ $encrypted: this.cipher.encryptText(r.agentId, r.id, JSON.stringify(r.metadata)) }),
			embedding: this.cipher.encryptBytes(r.agentId, r.id, embedding)
		};
	}

	/** A vector as the row keeps it: sealed when the row is encrypted. */
	private sealVector(agentId: string, id: string, encrypted: boolean, vector: ArrayLike<number>): Buffer {
		const bytes = encodeVector(vector);
		if (!encrypted) return bytes;
		if (!this.cipher) throw new MemoryLockedError(id);
		return this.cipher.encryptBytes(agentId, id, bytes);
	}

	private toMemory(r: Row): Memory {
		let content = r.content;
		let metadata = r.metadata ?? {};
		if (r.encrypted) {
			if (!this.cipher) throw new MemoryLockedError(r.id);
			content = this.cipher.decryptText(r.agent_id, r.id, r.content);
			metadata = JSON.parse(this.cipher.decryptText(r.agent_id, r.id, String(metadata.$encrypted))) as Record<string, unknown>;
		}
		return {
			id: r.id,
			agentId: r.agent_id,
			type: r.type,
			scope: r.scope,
			content,
			metadata,
			importance: Number(r.importance),
			encrypted: r.encrypted,
			embeddingModel: r.embedding_model,
			createdAt: new Date(r.created_at).toISOString(),
			archivedAt: r.archived_at ? new Date(r.archived_at).toISOString() : null
		};
	}

	private toEntry(r: VectorRow): IndexEntry {
		let bytes: Uint8Array = r.embedding;
		if (r.encrypted) {
			if (!this.cipher) throw new MemoryLockedError(r.id);
			bytes = this.cipher.decryptBytes(r.agent_id, r.id, bytes);
		}
		return { id: r.id, agentId: r.agent_id, scope: r.scope, type: r.type, model: r.embedding_model, vector: decodeVector(bytes) };
	}
}
