/** Embeddings are kept as little-endian float32 bytes: 4 bytes a dimension, no framing. */
export function encodeVector(vector: ArrayLike<number>): Buffer {
	const out = Buffer.alloc(vector.length * 4);
	for (let i = 0; i < vector.length; i++) out.writeFloatLE(vector[i], i * 4);
	return out;
}

export function decodeVector(bytes: Uint8Array): Float32Array {
	const out = new Float32Array(bytes.byteLength / 4);
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
	return out;
}

/** A unit-length copy (the zero vector stays zero), so a dot product is the cosine. */
export function normalized(vector: ArrayLike<number>): Float32Array {
	let norm = 0;
	for (let i = 0; i < vector.length; i++) norm += vector[i] * vector[i];
	norm = Math.sqrt(norm);
	const out = new Float32Array(vector.length);
	if (norm > 0) for (let i = 0; i < vector.length; i++) out[i] = vector[i] / norm;
	return out;
}

/** The largest absolute component of a vector. */
export function maxAbs(vector: ArrayLike<number>): number {
	let max = 0;
	for (let i = 0; i < vector.length; i++) {
		const a = Math.abs(vector[i]);
		if (a > max) max = a;
	}
	return max;
}

/**
 * Scalar int8 quantization: each component times `scale`, rounded, clipped to ±127. An
 * index quantizes all its vectors with one scale (127 over the largest component it
 * holds), so int8 dot products rank them as float32 ones would, to rounding.
 */
export function quantize(vector: ArrayLike<number>, scale: number, into: Int8Array, offset = 0): void {
	for (let i = 0; i < vector.length; i++) {
		const q = Math.round(vector[i] * scale);
		into[offset + i] = q > 127 ? 127 : q < -127 ? -127 : q;
	}
}
