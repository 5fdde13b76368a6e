/** What the in-process index holds, as `memory.status` reports it. */
export interface PartitionCacheStats {
	/** Bytes held now. */
	bytes: number;
	/** The budget (MEMORY_INDEX_CACHE_MB). */
	maxBytes: number;
	/** Partitions held (each agent's private and shared memories, and the public ones). */
	partitions: number;
	/** Partitions dropped for room since the node started. */
	evictions: number;
}

/**
 * The partitions of the in-process memory index, kept in the order they were last
 * searched and dropped least recently searched first once they hold more than a budget of
 * bytes — so memory stays bounded however many agents' memories are searched. A dropped
 * partition costs only a read from the database the next time it is searched.
 */
export class PartitionCache<P> {
	/** Oldest first: a Map iterates in insertion order, and a use re-inserts. */
	private readonly held = new Map<string, P>();
	private evictions = 0;

	constructor(
		private readonly bytesOf: (part: P) => number,
		readonly maxBytes: number
	) {}

	get(key: string): P | undefined {
		return this.held.get(key);
	}

	/** Holds a partition as the most recently used. */
	set(key: string, part: P): void {
		this.held.delete(key);
		this.held.set(key, part);
	}

	delete(key: string): boolean {
		return this.held.delete(key);
	}

	values(): IterableIterator<P> {
		return this.held.values();
	}

	/** Marks a held partition as just searched. */
	touch(key: string): void {
		const part = this.held.get(key);
		if (part !== undefined) this.set(key, part);
	}

	get bytes(): number {
		let total = 0;
		for (const part of this.held.values()) total += this.bytesOf(part);
		return total;
	}

	/** Drops the least recently searched partitions until the rest fit the budget; the keys dropped. */
	trim(): string[] {
		let total = this.bytes;
		const dropped: string[] = [];
		for (const [key, part] of this.held) {
			if (total <= this.maxBytes) break;
			total -= this.bytesOf(part);
			this.held.delete(key);
			dropped.push(key);
		}
		this.evictions += dropped.length;
		return dropped;
	}

	stats(): PartitionCacheStats {
		return { bytes: this.bytes, maxBytes: this.maxBytes, partitions: this.held.size, evictions: this.evictions };
	}
}
