import { ExactPartition } from "./exact-partition";
import { TYPE_TAGS, type IndexSearch, type MemoryIndex } from "./memory-index";
import type { MemoryStore, PartitionKey } from "./memory-store";
import { PartitionCache, type PartitionCacheStats } from "./partition-cache";
import type { IndexEntry, MemoryScope, VectorCandidate, Visibility } from "./memory-types";
import { normalized } from "./vector-codec";

interface Part {
	/** One exact index per embedding model and vector length (vectors of different models do not compare). */
	byModel: Map<string, ExactPartition>;
	/** Set while the partition is read from the database; changes meanwhile wait in `pending`. */
	loading?: Promise<void>;
	pending: ((part: Part) => void)[];
}

function bytesOf(part: Part): number {
	let bytes = 0;
	for (const exact of part.byModel.values()) bytes += exact.bytes;
	return bytes;
}

function keyOf(scope: MemoryScope, agentId: string): string {
	return scope === "public" ? "public" : `${scope}:${agentId}`;
}

function vectorsOf(model: string, dims: number): string {
	return `${dims}:${model}`;
}

function partitionOf(key: string): PartitionKey {
	if (key === "public") return { scope: "public" };
	const [scope, ...rest] = key.split(":");
	return { scope: scope as MemoryScope, agentId: rest.join(":") };
}

/**
 * The embedded default: exact vector search in this process, split by visibility — each
 * agent's private memories, each agent's shared ones, and all public ones — so a search
 * scans only what its caller may see. A partition is read from the database the first
 * time a search needs it and is kept up to date by this node's writes; other nodes' writes
 * invalidate it (see `invalidate`), and it is read again when next needed. Partitions past
 * `maxBytes` are dropped least recently searched first (see PartitionCache).
 */
export class LocalMemoryIndex implements MemoryIndex {
	readonly kind = "local";
	private readonly parts: PartitionCache<Part>;

	constructor(
		private readonly store: Pick<MemoryStore, "partition">,
		maxBytes = Number.POSITIVE_INFINITY
	) {
		this.parts = new PartitionCache(bytesOf, maxBytes);
	}

	get cache(): PartitionCacheStats {
		return this.parts.stats();
	}

	get loaded(): number {
		let n = 0;
		for (const part of this.parts.values()) for (const p of part.byModel.values()) n += p.size;
		return n;
	}

	async add(entries: IndexEntry[]): Promise<void> {
		for (const entry of entries) {
			const unit = normalized(entry.vector);
			this.change(keyOf(entry.scope, entry.agentId), part => this.exactFor(part, entry.model, unit.length).upsert(entry.id, unit, TYPE_TAGS[entry.type]));
		}
		this.parts.trim();
	}

	async remove(entries: IndexEntry[]): Promise<void> {
		for (const entry of entries) {
			this.change(keyOf(entry.scope, entry.agentId), part => {
				for (const p of part.byModel.values()) if (p.remove(entry.id)) return;
			});
		}
	}

	async search(query: ArrayLike<number>, visibility: Visibility, options: IndexSearch): Promise<VectorCandidate[]> {
		const unit = normalized(query);
		const keys = [keyOf("private", visibility.agentId), keyOf("shared", visibility.agentId), "public", ...visibility.sharedFrom.map(owner => keyOf("shared", owner))];
		const tag = options.type ? TYPE_TAGS[options.type] : undefined;
		const hits: VectorCandidate[] = [];
		for (const key of new Set(keys)) {
			const part = await this.ready(key);
			this.parts.touch(key);
			const exact = part.byModel.get(vectorsOf(options.model, unit.length));
			if (exact) hits.push(...exact.search(unit, options.k, tag));
		}
		this.parts.trim();
		hits.sort((a, b) => b.similarity - a.similarity);
		return hits.slice(0, options.k);
	}

	invalidate(agentIds: string[], publicChanged: boolean): void {
		for (const agentId of agentIds) {
			this.parts.delete(keyOf("private", agentId));
			this.parts.delete(keyOf("shared", agentId));
		}
		if (publicChanged) this.parts.delete("public");
	}

	/** Applies a change to a partition held here; one not held is read whole from the database when needed. */
	private change(key: string, apply: (part: Part) => void): void {
		const part = this.parts.get(key);
		if (!part) return;
		if (part.loading) part.pending.push(apply);
		else apply(part);
	}

	private async ready(key: string): Promise<Part> {
		let part = this.parts.get(key);
		if (!part) {
			const created: Part = { byModel: new Map(), pending: [] };
			created.loading = this.load(key, created);
			this.parts.set(key, (part = created));
		}
		if (part.loading) await part.loading;
		return part;
	}

	private async load(key: string, part: Part): Promise<void> {
		try {
			for await (const batch of this.store.partition(partitionOf(key))) {
				for (const entry of batch) {
					const unit = normalized(entry.vector);
					this.exactFor(part, entry.model, unit.length).upsert(entry.id, unit, TYPE_TAGS[entry.type]);
				}
			}
			for (const apply of part.pending) apply(part);
			part.pending = [];
			part.loading = undefined;
		} catch (err) {
			if (this.parts.get(key) === part) this.parts.delete(key);
			throw err;
		}
	}

	private exactFor(part: Part, model: string, dims: number): ExactPartition {
		const key = vectorsOf(model, dims);
		let exact = part.byModel.get(key);
		if (!exact) part.byModel.set(key, (exact = new ExactPartition(dims)));
		return exact;
	}
}
