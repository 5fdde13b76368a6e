/**
 * Counters of the society and governance — agents' post limits, sanction throttles and
 * policy windows — counted once for the whole cluster: in Redis when REDIS_URL is set
 * (one budget per agent across nodes, as the gateway's limits), each insured by an
 * in-memory counter that takes over while Redis is away; in this process otherwise.
 *
 * Windows are fixed: a key's window starts at its first hit and lasts `windowMs`
 * (rounded up to whole seconds, Redis' expiry unit).
 */
import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";

/** Allows `limit` hits per window and key. */
export interface WindowLimiter {
	/** Counts a hit: 0 when allowed, else the milliseconds until the key's window ends. */
	hit(key: string): Promise<number>;
}

/** Counts events per key in a window; never refuses. */
export interface WindowTally {
	/** Adds one event; answers how many the key's window holds now, this one included. */
	add(key: string): Promise<number>;
	/** Starts the key's window afresh. */
	reset(key: string): Promise<void>;
}

/** A Redis outage is reported at most this often. */
const REPORT_EVERY_MS = 10_000;
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

export class SharedCounters {
	private readonly redis: Redis | undefined;
	private readonly limiters = new Map<string, RateLimiterAbstract>();
	private lastReport = -Infinity;

	constructor(
		redisUrl: string | undefined,
		private readonly onError: (err: Error) => void = () => undefined,
		private readonly prefix = "agentos:society:"
	) {
		if (!redisUrl) return;
		// Fail fast while Redis is away (no offline queue, no retries): the in-memory insurance counts meanwhile.
		this.redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500, disconnectTimeout: 100 });
		this.redis.on("error", (err: Error) => this.report(err));
	}

	/** Whether the counts are shared through Redis. */
	get shared(): boolean {
		return this.redis !== undefined;
	}

	/** `limit` hits per `windowMs` per key, under `name`; `limit <= 0` is unlimited. */
	limiter(name: string, limit: number, windowMs: number): WindowLimiter {
		if (limit <= 0) return { hit: async () => 0 };
		const store = this.store(`${name}:${limit}:${windowMs}`, limit, windowMs);
		return {
			hit: key =>
				store.consume(key).then(
					() => 0,
					(refused: unknown) => {
						if (refused instanceof RateLimiterRes) return Math.max(1, refused.msBeforeNext);
						throw refused;
					}
				)
		};
	}

	/** Events per `windowMs` per key, under `name`. */
	tally(name: string, windowMs: number): WindowTally {
		const store = this.store(`${name}:${windowMs}`, NO_LIMIT, windowMs);
		return {
			add: async key => (await store.penalty(key, 1)).consumedPoints,
			reset: async key => {
				await store.delete(key);
			}
		};
	}

	async close(): Promise<void> {
		await this.redis?.quit().catch(() => this.redis?.disconnect());
	}

	private store(id: string, points: number, windowMs: number): RateLimiterAbstract {
		let store = this.limiters.get(id);
		if (store) return store;
		const duration = Math.max(1, Math.ceil(windowMs / 1000));
		const keyPrefix = `${this.prefix}${id}`;
		const memory = new RateLimiterMemory({ points, duration, keyPrefix });
		store = this.redis ? new RateLimiterRedis({ storeClient: this.redis, points, duration, keyPrefix, rejectIfRedisNotReady: true, insuranceLimiter: memory }) : memory;
		this.limiters.set(id, store);
		return store;
	}

	private report(err: Error): void {
		if (Date.now() - this.lastReport < REPORT_EVERY_MS) return;
		this.lastReport = Date.now();
		this.onError(err);
	}
}
