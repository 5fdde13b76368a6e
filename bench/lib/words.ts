/** Deterministic text for the memory benchmarks, so runs compare. */

/** A linear congruential generator: the same numbers for the same seed. */
export function prng(seed: number): () => number {
	let s = seed >>> 0;
	return () => {
		s = (s * 1664525 + 1013904223) >>> 0;
		return s / 2 ** 32;
	};
}

const SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qu", "dor", "len", "mar", "sol", "tan", "vik", "wel", "xan", "yor"];

/** Sentences of made-up words from a vocabulary of 3,000, drawn with `random`. */
export function sentences(random: () => number): (words: number) => string {
	const vocabulary = Array.from({ length: 3000 }, () => Array.from({ length: 2 + Math.floor(random() * 3) }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]).join(""));
	return words => Array.from({ length: words }, () => vocabulary[Math.floor(random() * vocabulary.length)]).join(" ");
}
