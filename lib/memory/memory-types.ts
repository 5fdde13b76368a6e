/** The three kinds of memory an agent keeps. */
export const MEMORY_TYPES = ["episodic", "semantic", "procedural"] as const;
export type MemoryType = (typeof MEMORY_TYPES)[number];

/**
 * Who may see a memory: `private` — its agent only; `shared` — its agent and the agents it
 * shares with; `public` — every agent.
 */
export const MEMORY_SCOPES = ["private", "shared", "public"] as const;
export type MemoryScope = (typeof MEMORY_SCOPES)[number];

export interface Memory {
	id: string;
	agentId: string;
	type: MemoryType;
	scope: MemoryScope;
	content: string;
	metadata: Record<string, unknown>;
	/** 0 (trivia) to 1 (essential); weighs in search ranking. */
	importance: number;
	encrypted: boolean;
	/** The embedding model that made its vector: searches compare it only with queries of that model. */
	embeddingModel: string;
	createdAt: string;
	archivedAt: string | null;
}

export interface NewMemory {
	type: MemoryType;
	scope: MemoryScope;
	content: string;
	metadata?: Record<string, unknown>;
	importance?: number;
}

/** Whose memories a search may see: the agent's own, what others share with it, and what is public. */
export interface Visibility {
	agentId: string;
	sharedFrom: string[];
}

/** A memory as the vector index knows it: where it lives and what a filter needs. */
export interface IndexEntry {
	id: string;
	agentId: string;
	scope: MemoryScope;
	type: MemoryType;
	/** The embedding model of `vector`; vectors of different models are never compared. */
	model: string;
	vector: Float32Array;
}

export interface VectorCandidate {
	id: string;
	/** Cosine similarity to the query. */
	similarity: number;
}
