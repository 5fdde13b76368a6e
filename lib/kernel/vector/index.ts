import type { Config } from "../config";
import type { Database } from "../database/database";
import { PgvectorStore } from "./pgvector-store";
import { QdrantStore } from "./qdrant-store";
import type { VectorStore } from "./vector-store";

export type { VectorStore, VectorPoint, VectorHit, VectorFilter, Payload, VectorStoreKind } from "./vector-store";

/** Qdrant when QDRANT_URL is set, otherwise pgvector in the node's database. */
export function createVectorStore(config: Config, db: Database): VectorStore {
	if (config.QDRANT_URL) return new QdrantStore({ url: config.QDRANT_URL, apiKey: config.QDRANT_API_KEY });
	return new PgvectorStore(db);
}
