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

/**
 * Scalar int8 quantization of a unit vector. The components of a unit vector of d
 * dimensions are mostly within ±4/√d, so that range maps onto ±127 (outliers clip);
 * int8 dot products then rank candidates, and float32 re-ranks the short list.
 */
export function quantize(unit: Float32Array, into: Int8Array, offset = 0): void {
	const scale = (127 * Math.sqrt(unit.length)) / 4;
	for (let i = 0; i < unit.length; i++) {
		const q = Math.round(unit[i] * scale);
		into[offset + i] = q > 127 ? 127 : q < -127 ? -127 : q;
	}
}
