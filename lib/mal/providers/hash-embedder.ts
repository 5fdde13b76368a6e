import { STOPWORDS } from "./offline-text";

/** Dimensions of the offline embedding model `offline-hash-384`. */
export const HASH_DIMENSIONS = 384;

/** Character trigrams weigh less than whole words: they only bridge inflections ("index" / "indexing"). */
const TRIGRAM_WEIGHT = 0.5;

/** FNV-1a, 32-bit, over the string's UTF-8 bytes; an unsigned integer. */
export function fnv1a(text: string): number {
	let hash = 0x811c9dc5;
	for (const byte of Buffer.from(text, "utf8")) {
		hash ^= byte;
		hash = Math.imul(hash, 0x01000193);
	}
	return hash >>> 0;
}

/**
 * A feature-hashing embedding: the lowercased text's words (stopwords left out unless the
 * text has nothing else) and the character trigrams of each word (padded with `#`) are
 * hashed into `dimensions` buckets, each with a sign taken from a second hash, weighted
 * `1 + ln(tf)`, and the vector is L2-normalised. Texts sharing words or word stems get a
 * higher cosine than unrelated texts; it knows nothing of synonyms. A text with no words
 * gets a fixed unit vector, so cosine similarity is always defined.
 */
export function hashEmbed(text: string, dimensions = HASH_DIMENSIONS): number[] {
	const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
	const content = words.filter(w => !STOPWORDS.has(w));
	const counts = new Map<string, { tf: number; weight: number }>();
	const add = (feature: string, weight: number) => {
		const seen = counts.get(feature);
		if (seen) seen.tf++;
		else counts.set(feature, { tf: 1, weight });
	};
	for (const word of content.length ? content : words) {
		add(`w:${word}`, 1);
		const padded = `#${word}#`;
		for (let i = 0; i + 3 <= padded.length; i++) add(`t:${padded.slice(i, i + 3)}`, TRIGRAM_WEIGHT);
	}
	const vector = new Array<number>(dimensions).fill(0);
	for (const [feature, { tf, weight }] of counts) {
		const bucket = fnv1a(feature) % dimensions;
		const sign = fnv1a(`sign:${feature}`) & 1 ? 1 : -1;
		vector[bucket] += sign * weight * (1 + Math.log(tf));
	}
	const norm = Math.hypot(...vector);
	if (norm === 0) return new Array<number>(dimensions).fill(1 / Math.sqrt(dimensions));
	return vector.map(v => v / norm);
}

/** Cosine similarity of two vectors of the same length (0 when either is all zeros). */
export function cosine(a: number[], b: number[]): number {
	let dot = 0;
	let na = 0;
	let nb = 0;
	for (let i = 0; i < a.length; i++) {
		dot += a[i] * (b[i] ?? 0);
		na += a[i] * a[i];
		nb += (b[i] ?? 0) * (b[i] ?? 0);
	}
	return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
