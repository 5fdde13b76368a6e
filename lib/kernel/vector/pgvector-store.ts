import crypto from "node:crypto";
import type { Database, SqlParam } from "../database/database";
import { VectorStoreRequestError, VectorStoreUnavailableError } from "../errors";
import { checkCollectionName, checkFilter, checkK, checkPoints, checkVector } from "./validate";
import type { CollectionOptions, Payload, SearchOptions, VectorFilter, VectorHit, VectorPoint, VectorStore } from "./vector-store";

/** Postgres caps a statement at 65,535 parameters; three per row leaves room. */
const UPSERT_BATCH = 1000;

/**
 * pgvector in the node's own database (PGlite embedded, or a PostgreSQL server that
 * has the extension). Each collection is a table `vectors_<name>`; search is exact
 * (a sequential scan ordered by cosine distance), which is both correct and fast for
 * the small stores of one node. Callers with large stores add an index themselves.
 */
export class PgvectorStore implements VectorStore {
	readonly kind = "pgvector" as const;
	private readonly dimensions = new Map<string, number>();
	private extensionReady = false;

	constructor(private readonly db: Database) {}

	async ensureCollection(name: string, { dimension }: CollectionOptions): Promise<void> {
		checkCollectionName(name);
		if (!Number.isInteger(dimension) || dimension < 1 || dimension > 16000) {
			throw new VectorStoreRequestError("dimension must be a whole number from 1 to 16000", { field: "dimension" });
		}
		await this.ping();
		const existing = await this.db.transaction(async tx => {
			// Nodes creating the same collection at once take turns.
			await tx.query("SELECT pg_advisory_xact_lock($1)", [lockKey(name)]);
			const { rows } = await tx.query<{ dimension: number }>("SELECT dimension FROM vector_collections WHERE name = $1", [name]);
			if (rows[0]) return rows[0].dimension;
			await tx.exec(`CREATE TABLE IF NOT EXISTS ${table(name)} (
				id text PRIMARY KEY,
				embedding vector(${dimension}) NOT NULL,
				payload jsonb NOT NULL DEFAULT '{}'
			)`);
			await tx.query("INSERT INTO vector_collections (name, dimension) VALUES ($1, $2)", [name, dimension]);
			return dimension;
		});
		if (existing !== dimension) {
			throw new VectorStoreRequestError(`Collection "${name}" exists with dimension ${existing}, not ${dimension}`, { field: "dimension" });
		}
		this.dimensions.set(name, dimension);
	}

	async upsert(collection: string, points: VectorPoint[]): Promise<void> {
		const dimension = await this.dimensionOf(collection);
		checkPoints(points, dimension);
		for (let start = 0; start < points.length; start += UPSERT_BATCH) {
			const batch = points.slice(start, start + UPSERT_BATCH);
			const params: SqlParam[] = [];
			const rows = batch.map(p => {
				params.push(p.id, toVectorLiteral(p.vector), JSON.stringify(p.payload ?? {}));
				const n = params.length;
				return `($${n - 2}, $${n - 1}::vector, $${n}::jsonb)`;
			});
			await this.db.query(
				`INSERT INTO ${table(collection)} (id, embedding, payload) VALUES ${rows.join(", ")}
				 ON CONFLICT (id) DO UPDATE SET embedding = EXCLUDED.embedding, payload = EXCLUDED.payload`,
				params
			);
		}
	}

	async delete(collection: string, ids: string[]): Promise<void> {
		await this.dimensionOf(collection);
		if (ids.length === 0) return;
		await this.db.query(`DELETE FROM ${table(collection)} WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))`, [JSON.stringify(ids)]);
	}

	async search(collection: string, vector: number[], { k, filter }: SearchOptions): Promise<VectorHit[]> {
		checkVector(vector, await this.dimensionOf(collection));
		checkK(k);
		const params: SqlParam[] = [toVectorLiteral(vector)];
		const where = filterSql(filter, params);
		params.push(k);
		const { rows } = await this.db.query<{ id: string; score: number; payload: Payload }>(
			`SELECT id, payload, 1 - (embedding <=> $1::vector) AS score
			 FROM ${table(collection)} ${where}
			 ORDER BY embedding <=> $1::vector LIMIT $${params.length}`,
			params
		);
		return rows.map(r => ({ id: r.id, score: Number(r.score), payload: r.payload }));
	}

	async count(collection: string, filter?: VectorFilter): Promise<number> {
		await this.dimensionOf(collection);
		const params: SqlParam[] = [];
		const where = filterSql(filter, params);
		const { rows } = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table(collection)} ${where}`, params);
		return Number(rows[0].n);
	}

	async ping(): Promise<void> {
		await this.db.ping();
		if (this.extensionReady) return;
		if (!(await this.db.hasVectorExtension())) {
			throw new VectorStoreUnavailableError("the PostgreSQL server has no pgvector extension; install it (CREATE EXTENSION vector) or set QDRANT_URL");
		}
		await this.db.exec("CREATE EXTENSION IF NOT EXISTS vector");
		this.extensionReady = true;
	}

	async close(): Promise<void> {
		// The database belongs to the kernel, which closes it.
	}

	private async dimensionOf(collection: string): Promise<number> {
		checkCollectionName(collection);
		const known = this.dimensions.get(collection);
		if (known) return known;
		const { rows } = await this.db.query<{ dimension: number }>("SELECT dimension FROM vector_collections WHERE name = $1", [collection]);
		if (!rows[0]) throw new VectorStoreRequestError(`Collection "${collection}" does not exist`, { field: "collection" });
		this.dimensions.set(collection, rows[0].dimension);
		return rows[0].dimension;
	}
}

function table(name: string): string {
	return `vectors_${name}`;
}

function toVectorLiteral(vector: number[]): string {
	return `[${vector.join(",")}]`;
}

function lockKey(name: string): number {
	return crypto.createHash("sha256").update(`vectors:${name}`).digest().readInt32BE(0);
}

/** A WHERE clause for the filter, with its values appended to `params` (never inlined). */
function filterSql(filter: VectorFilter | undefined, params: SqlParam[]): string {
	checkFilter(filter);
	const clauses = Object.entries(filter ?? {}).map(([key, value]) => {
		params.push(key, JSON.stringify(Array.isArray(value) ? value : [value]));
		return `payload -> $${params.length - 1} IN (SELECT jsonb_array_elements($${params.length}::jsonb))`;
	});
	return clauses.length ? `WHERE ${clauses.join(" AND ")}` : "";
}

