import usearch from "usearch";
import { maxAbs, quantize } from "./vector-codec";
import type { VectorCandidate } from "./memory-types";

/** Below this many vectors a plain float32 scan is as fast as anything and needs no short list. */
const SCAN_BELOW = 1024;
/** How many int8 candidates per wanted hit are re-ranked in float32. */
const RERANK_FACTOR = 8;
const MIN_RERANK = 100;
/** What an id costs beside its vector: the string, its array slot and its map entry (about 100 bytes measured for 36-character ids; rounded up). */
const ID_BYTES = 160;

/**
 * One exact vector index: unit vectors kept twice, as int8 codes and as float32. A search
 * scans every int8 code with SIMD (usearch's exact search; ~7 ms for 100k × 384 on one
 * core), keeps a short list, and re-ranks it in float32 — exact-search recall with no
 * index to build, so an insert costs an array write. Each vector carries a small tag
 * (its memory type) that a search may filter on.
 */
export class ExactPartition {
	private ids: string[] = [];
	private readonly slots = new Map<string, number>();
	private codes: Int8Array;
	private floats: Float32Array;
	private tags: Uint8Array;
	private readonly tagCounts = new Map<number, number>();
	/** The largest component held; codes are the floats times 127 / largest. */
	private largest = 0;

	constructor(readonly dims: number, capacity = 16) {
		this.codes = new Int8Array(capacity * dims);
		this.floats = new Float32Array(capacity * dims);
		this.tags = new Uint8Array(capacity);
	}

	get size(): number {
		return this.ids.length;
	}

	/** Bytes held: the vector arrays at their capacity, and each id. */
	get bytes(): number {
		return this.codes.byteLength + this.floats.byteLength + this.tags.byteLength + this.ids.length * ID_BYTES;
	}

	has(id: string): boolean {
		return this.slots.has(id);
	}

	/** Adds or replaces a unit vector. */
	upsert(id: string, unit: Float32Array, tag: number): void {
		if (unit.length !== this.dims) throw new Error(`vector has ${unit.length} dimensions; this index holds ${this.dims}`);
		let slot = this.slots.get(id);
		if (slot === undefined) {
			slot = this.ids.length;
			this.grow(slot + 1);
			this.ids.push(id);
			this.slots.set(id, slot);
		} else this.count(this.tags[slot], -1);
		this.floats.set(unit, slot * this.dims);
		const largest = maxAbs(unit);
		if (largest > this.largest) {
			// A larger component than any before: the scale shrinks and every code is redone (rare once an index has some size).
			this.largest = largest;
			for (let s = 0; s < this.ids.length; s++) if (s !== slot) quantize(this.floats.subarray(s * this.dims, (s + 1) * this.dims), this.scale, this.codes, s * this.dims);
		}
		quantize(unit, this.scale, this.codes, slot * this.dims);
		this.tags[slot] = tag;
		this.count(tag, 1);
	}

	/** Removes a vector by moving the last one into its slot. */
	remove(id: string): boolean {
		const slot = this.slots.get(id);
		if (slot === undefined) return false;
		const last = this.ids.length - 1;
		this.count(this.tags[slot], -1);
		if (slot !== last) {
			const moved = this.ids[last];
			this.ids[slot] = moved;
			this.slots.set(moved, slot);
			this.floats.copyWithin(slot * this.dims, last * this.dims, (last + 1) * this.dims);
			this.codes.copyWithin(slot * this.dims, last * this.dims, (last + 1) * this.dims);
			this.tags[slot] = this.tags[last];
		}
		this.ids.pop();
		this.slots.delete(id);
		return true;
	}

	/** The `k` most similar vectors, best first; with `tag`, only vectors carrying it. */
	search(unit: Float32Array, k: number, tag?: number): VectorCandidate[] {
		const eligible = tag === undefined ? this.size : (this.tagCounts.get(tag) ?? 0);
		if (eligible === 0 || k <= 0) return [];
		if (this.size < SCAN_BELOW) return this.scan(unit, k, tag);
		const query = new Int8Array(this.dims);
		// The query's own scale: one factor on every dot product changes no ranking.
		const top = maxAbs(unit);
		quantize(unit, top > 0 ? 127 / top : 0, query);
		const dataset = this.codes.subarray(0, this.size * this.dims);
		const wanted = Math.min(eligible, Math.max(k * RERANK_FACTOR, MIN_RERANK));
		// A filter makes most candidates useless: ask for proportionally more, and more again
		// if the short list still has too few — it ends, at worst, as a full scan.
		let count = Math.min(this.size, Math.ceil((wanted * this.size) / eligible));
		for (;;) {
			const { keys } = usearch.exactSearch(dataset, query, this.dims, count, usearch.MetricKind.IP, 1) as { keys: BigUint64Array };
			const slots: number[] = [];
			for (const key of keys) {
				const slot = Number(key);
				if (slot < this.size && (tag === undefined || this.tags[slot] === tag)) slots.push(slot);
			}
			if (slots.length >= wanted || count >= this.size) return this.rerank(unit, slots, k);
			count = Math.min(this.size, count * 2);
		}
	}

	private get scale(): number {
		return this.largest > 0 ? 127 / this.largest : 0;
	}

	private scan(unit: Float32Array, k: number, tag?: number): VectorCandidate[] {
		const slots: number[] = [];
		for (let slot = 0; slot < this.size; slot++) if (tag === undefined || this.tags[slot] === tag) slots.push(slot);
		return this.rerank(unit, slots, k);
	}

	private rerank(unit: Float32Array, slots: number[], k: number): VectorCandidate[] {
		const dims = this.dims;
		const scored = slots.map(slot => {
			let dot = 0;
			const base = slot * dims;
			for (let i = 0; i < dims; i++) dot += this.floats[base + i] * unit[i];
			return { id: this.ids[slot], similarity: dot };
		});
		scored.sort((a, b) => b.similarity - a.similarity);
		return scored.slice(0, k);
	}

	private count(tag: number, delta: number): void {
		this.tagCounts.set(tag, (this.tagCounts.get(tag) ?? 0) + delta);
	}

	private grow(needed: number): void {
		if (needed <= this.tags.length) return;
		const capacity = Math.max(needed, this.tags.length * 2);
		const codes = new Int8Array(capacity * this.dims);
		codes.set(this.codes);
		const floats = new Float32Array(capacity * this.dims);
		floats.set(this.floats);
		const tags = new Uint8Array(capacity);
		tags.set(this.tags);
		this.codes = codes;
		this.floats = floats;
		this.tags = tags;
	}
}
