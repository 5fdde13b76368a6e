import crypto from "node:crypto";
import { QdrantClient } from "@qdrant/js-client-rest";
import { VectorStoreRequestError, VectorStoreUnavailableError } from "../errors";
import { checkCollectionName, checkFilter, checkK, checkPoints, checkVector } from "./validate";
import type { CollectionOptions, Payload, PayloadValue, SearchOptions, VectorFilter, VectorHit, VectorPoint, VectorStore } from "./vector-store";

/** Where the caller's own id is kept, since Qdrant ids must be unsigned integers or UUIDs. */
const ID_FIELD = "_agentos_id";

type QdrantCondition =
	| { key: string; match: { value: string | number | boolean } }
	| { key: string; match: { any: (string | number)[] } }
	| { is_null: { key: string } };

export interface QdrantOptions {
	url: string;
	apiKey?: string;
}

/** Qdrant over its REST API, for clusters whose vectors outgrow one database. */
export class QdrantStore implements VectorStore {
	readonly kind = "qdrant" as const;
	private readonly client: QdrantClient;
	private readonly dimensions = new Map<string, number>();

	constructor(options: QdrantOptions) {
		const url = new URL(options.url);
		this.client = new QdrantClient({
			url: `${url.protocol}//${url.hostname}`,
			port: url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 6333,
			apiKey: options.apiKey,
			checkCompatibility: false
		});
	}

	async ensureCollection(name: string, { dimension }: CollectionOptions): Promise<void> {
		checkCollectionName(name);
		const existing = await this.call(async () => {
			const { exists } = await this.client.collectionExists(name);
			if (!exists) {
				await this.client.createCollection(name, { vectors: { size: dimension, distance: "Cosine" } });
				return dimension;
			}
			return sizeOf(await this.client.getCollection(name));
		});
		if (existing !== dimension) {
			throw new VectorStoreRequestError(`Collection "${name}" exists with dimension ${existing}, not ${dimension}`, { field: "dimension" });
		}
		this.dimensions.set(name, dimension);
	}

	async upsert(collection: string, points: VectorPoint[]): Promise<void> {
		checkPoints(points, await this.dimensionOf(collection));
		if (points.length === 0) return;
		await this.call(() =>
			this.client.upsert(collection, {
				wait: true,
				points: points.map(p => ({ id: pointId(p.id), vector: p.vector, payload: { ...(p.payload ?? {}), [ID_FIELD]: p.id } }))
			})
		);
	}

	async delete(collection: string, ids: string[]): Promise<void> {
		await this.dimensionOf(collection);
		if (ids.length === 0) return;
		await this.call(() => this.client.delete(collection, { wait: true, points: ids.map(pointId) }));
	}

	async search(collection: string, vector: number[], { k, filter }: SearchOptions): Promise<VectorHit[]> {
		checkVector(vector, await this.dimensionOf(collection));
		checkK(k);
		const hits = await this.call(() =>
			this.client.search(collection, { vector, limit: k, filter: toQdrantFilter(filter), with_payload: true })
		);
		return hits.map(hit => {
			const { [ID_FIELD]: id, ...payload } = (hit.payload ?? {}) as Payload;
			return { id: String(id), score: hit.score, payload };
		});
	}

	async count(collection: string, filter?: VectorFilter): Promise<number> {
		await this.dimensionOf(collection);
		const { count } = await this.call(() => this.client.count(collection, { filter: toQdrantFilter(filter), exact: true }));
		return count;
	}

	async ping(): Promise<void> {
		await this.call(() => this.client.getCollections());
	}

	async close(): Promise<void> {
		// The REST client holds no connections open between calls.
	}

	private async dimensionOf(collection: string): Promise<number> {
		checkCollectionName(collection);
		const known = this.dimensions.get(collection);
		if (known) return known;
		const { exists } = await this.call(() => this.client.collectionExists(collection));
		if (!exists) throw new VectorStoreRequestError(`Collection "${collection}" does not exist`, { field: "collection" });
		const size = sizeOf(await this.call(() => this.client.getCollection(collection)));
		this.dimensions.set(collection, size);
		return size;
	}

	/** Network failures become retryable "unavailable" errors; Qdrant's own 4xx answers pass through. */
	private async call<T>(fn: () => Promise<T>): Promise<T> {
		try {
			return await fn();
		} catch (err) {
			const status = (err as { status?: number }).status;
			if (status !== undefined && status >= 400 && status < 500) {
				throw new VectorStoreRequestError(`Qdrant refused the request: ${(err as Error).message}`);
			}
			throw new VectorStoreUnavailableError(`Qdrant: ${(err as Error).message}`);
		}
	}
}

function sizeOf(info: { config: { params: { vectors?: unknown } } }): number {
	const vectors = info.config.params.vectors as { size?: number } | undefined;
	return vectors?.size ?? 0;
}

/** A stable UUID for any string id (SHA-256, formatted as a version-5-style UUID). */
export function pointId(id: string): string {
	const hex = crypto.createHash("sha256").update(id).digest("hex");
	return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function toQdrantFilter(filter: VectorFilter | undefined): { must: { should: QdrantCondition[] }[] } | undefined {
	checkFilter(filter);
	const entries = Object.entries(filter ?? {});
	if (entries.length === 0) return undefined;
	// Each key must match; within a key, any of its values may (a nested "should").
	return {
		must: entries.map(([key, value]) => ({
			should: (Array.isArray(value) ? value : [value]).map(v => condition(key, v))
		}))
	};
}

function condition(key: string, value: PayloadValue): QdrantCondition {
	if (value === null) return { is_null: { key } };
	return { key, match: { value } };
}
