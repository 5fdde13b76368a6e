/**
 * Vector storage behind one interface, so memory and search code is the same on a
 * laptop (pgvector inside the embedded database) and on a cluster (Qdrant, or pgvector
 * on a PostgreSQL server that has the extension).
 */

/** Payload values a filter can match on. */
export type PayloadValue = string | number | boolean | null;
export type Payload = Record<string, PayloadValue | PayloadValue[] | Record<string, unknown>>;

export interface VectorPoint {
	/** The caller's own id (any non-empty string, at most 200 characters). */
	id: string;
	vector: number[];
	payload?: Payload;
}

/**
 * Every key must match: a scalar matches by equality, an array matches any of its
 * values. Keys address top-level payload fields.
 */
export type VectorFilter = Record<string, PayloadValue | PayloadValue[]>;

export interface VectorHit {
	id: string;
	/** Cosine similarity: 1 is the same direction, 0 unrelated, -1 opposite. */
	score: number;
	payload: Payload;
}

export interface CollectionOptions {
	dimension: number;
}

export interface SearchOptions {
	k: number;
	filter?: VectorFilter;
}

export type VectorStoreKind = "pgvector" | "qdrant";

export interface VectorStore {
	readonly kind: VectorStoreKind;
	/** Creates the collection when missing; a collection of another dimension is an error. */
	ensureCollection(name: string, options: CollectionOptions): Promise<void>;
	/** Inserts or replaces points by id. */
	upsert(collection: string, points: VectorPoint[]): Promise<void>;
	delete(collection: string, ids: string[]): Promise<void>;
	/** The `k` nearest points by cosine similarity, best first, among those matching the filter. */
	search(collection: string, vector: number[], options: SearchOptions): Promise<VectorHit[]>;
	count(collection: string, filter?: VectorFilter): Promise<number>;
	/** Resolves when the store can serve requests; rejects with the reason when not. */
	ping(): Promise<void>;
	close(): Promise<void>;
}
