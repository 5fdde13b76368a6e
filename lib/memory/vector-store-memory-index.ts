import type { VectorFilter, VectorStore } from "../kernel/vector";
import type { IndexSearch, MemoryIndex } from "./memory-index";
import type { IndexEntry, VectorCandidate, Visibility } from "./memory-types";
import { normalized } from "./vector-codec";

/**
 * Memories' vectors in the kernel's VectorStore — pgvector in the database, or Qdrant —
 * one collection per vector length, each vector labelled with its embedding model. What a
 * caller may see is three filtered searches (its own, the shared memories of those who
 * share with it, the public ones) merged, each among vectors of the query's model alone.
 * Vectors there are plain even when memories are encrypted at rest.
 */
export class VectorStoreMemoryIndex implements MemoryIndex {
	readonly kind: string;
	readonly loaded = 0;
	private readonly collections = new Map<number, Promise<string>>();

	constructor(private readonly store: VectorStore) {
		this.kind = store.kind;
	}

	async add(entries: IndexEntry[]): Promise<void> {
		for (const [dims, group] of this.byDims(entries)) {
			const collection = await this.collection(dims);
			await this.store.upsert(
				collection,
				group.map(e => ({ id: e.id, vector: Array.from(normalized(e.vector)), payload: { agentId: e.agentId, scope: e.scope, type: e.type, model: e.model } }))
			);
		}
	}

	async remove(entries: IndexEntry[]): Promise<void> {
		for (const [dims, group] of this.byDims(entries)) await this.store.delete(await this.collection(dims), group.map(e => e.id));
	}

	async search(query: ArrayLike<number>, visibility: Visibility, options: IndexSearch): Promise<VectorCandidate[]> {
		const collection = await this.collection(query.length);
		const vector = Array.from(normalized(query));
		const type: VectorFilter = { model: options.model, ...(options.type ? { type: options.type } : {}) };
		const filters: VectorFilter[] = [{ agentId: visibility.agentId, ...type }, { scope: "public", ...type }];
		if (visibility.sharedFrom.length) filters.push({ scope: "shared", agentId: visibility.sharedFrom, ...type });
		const hits = new Map<string, number>();
		for (const filter of filters) {
			for (const hit of await this.store.search(collection, vector, { k: options.k, filter })) hits.set(hit.id, hit.score);
		}
		return [...hits]
			.map(([id, similarity]) => ({ id, similarity }))
			.sort((a, b) => b.similarity - a.similarity)
			.slice(0, options.k);
	}

	invalidate(): void {
		// The store is shared by every node: nothing is cached here.
	}

	private byDims(entries: IndexEntry[]): Map<number, IndexEntry[]> {
		const out = new Map<number, IndexEntry[]>();
		for (const e of entries) {
			const group = out.get(e.vector.length);
			if (group) group.push(e);
			else out.set(e.vector.length, [e]);
		}
		return out;
	}

	private collection(dims: number): Promise<string> {
		let name = this.collections.get(dims);
		if (!name) {
			const wanted = `memories_${dims}`;
			name = this.store.ensureCollection(wanted, { dimension: dims }).then(() => wanted);
			name.catch(() => this.collections.delete(dims));
			this.collections.set(dims, name);
		}
		return name;
	}
}
