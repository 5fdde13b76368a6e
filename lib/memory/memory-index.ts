import type { PartitionCacheStats } from "./partition-cache";
import type { IndexEntry, MemoryType, VectorCandidate, Visibility } from "./memory-types";

export interface IndexSearch {
	k: number;
	/** The embedding model of the query: only vectors of this model are compared with it. */
	model: string;
	type?: MemoryType;
}

/**
 * Vector search over memories, filtered by who may see them. Two implementations: an
 * exact in-process index built from the database (the default), and the kernel's
 * VectorStore (pgvector, or Qdrant in a cluster).
 */
export interface MemoryIndex {
	readonly kind: string;
	add(entries: IndexEntry[]): Promise<void>;
	remove(entries: IndexEntry[]): Promise<void>;
	/** The `k` visible memories most similar to `query` (any length; it is normalised), best first. */
	search(query: ArrayLike<number>, visibility: Visibility, options: IndexSearch): Promise<VectorCandidate[]>;
	/** Another node changed memories of these agents: forget what is cached about them. */
	invalidate(agentIds: string[], publicChanged: boolean): void;
	/** Vectors held in this process (0 for an external store). */
	readonly loaded: number;
	/** What an index held in this process holds, against its budget (absent for an external store). */
	readonly cache?: PartitionCacheStats;
}

export const TYPE_TAGS: Record<MemoryType, number> = { episodic: 1, semantic: 2, procedural: 3 };
