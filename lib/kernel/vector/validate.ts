import { VectorStoreRequestError } from "../errors";
import type { VectorFilter, VectorPoint } from "./vector-store";

const COLLECTION_NAME = /^[a-z][a-z0-9_]{0,47}$/;
const MAX_ID_LENGTH = 200;
const FILTER_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Checks shared by every backend, so each refuses bad input the same way. */
export function checkCollectionName(name: string): void {
	if (!COLLECTION_NAME.test(name)) {
		throw new VectorStoreRequestError(
			`Collection name "${name}" must start with a letter and hold only a-z, 0-9 and _ (at most 48 characters)`,
			{ field: "collection" }
		);
	}
}

export function checkVector(vector: number[], dimension: number, field = "vector"): void {
	if (!Array.isArray(vector) || vector.length !== dimension) {
		throw new VectorStoreRequestError(`${field} must have ${dimension} numbers, got ${Array.isArray(vector) ? vector.length : typeof vector}`, { field });
	}
	if (!vector.every(Number.isFinite)) throw new VectorStoreRequestError(`${field} must hold only finite numbers`, { field });
}

export function checkPoints(points: VectorPoint[], dimension: number): void {
	points.forEach((point, i) => {
		if (typeof point.id !== "string" || point.id.length === 0 || point.id.length > MAX_ID_LENGTH) {
			throw new VectorStoreRequestError(`points[${i}].id must be a non-empty string of at most ${MAX_ID_LENGTH} characters`, { field: `points[${i}].id` });
		}
		checkVector(point.vector, dimension, `points[${i}].vector`);
	});
}

export function checkFilter(filter: VectorFilter | undefined): void {
	for (const key of Object.keys(filter ?? {})) {
		if (!FILTER_KEY.test(key)) throw new VectorStoreRequestError(`Filter key "${key}" must be a plain field name`, { field: "filter" });
	}
}

export function checkK(k: number): void {
	if (!Number.isInteger(k) || k < 1 || k > 1000) throw new VectorStoreRequestError("k must be a whole number from 1 to 1000", { field: "k" });
}
