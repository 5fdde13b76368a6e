/**
 * Per-key request rate limits for the gateway (per API token, per client IP): a sliding
 * window approximated with two fixed windows — the "sliding window counter". The count
 * of the previous window is weighted by how much of it still overlaps the sliding
 * window, so memory is two counters per key and a hit is O(1); in Redis one atomic Lua
 * script per hit, so every node of a cluster shares one budget per key.
 *
 * Only allowed requests count: a refused client that backs off recovers as the window
 * slides, instead of being locked out by its own retries.
 *
 * Keys end up as Redis key names: pass an identifier (a token's id or hash, an IP),
 * never a secret itself.
 */
import { createHash } from "node:crypto";
import { Redis } from "ioredis";

export interface RateDecision {
	allowed: boolean;
	/** 0 when unlimited. */
	limit: number;
	/** Requests that would be allowed right now; Infinity when unlimited. */
	remaining: number;
	/** seconds until a request would be allowed again (for Retry-After), 0 when allowed */
	retryAfterSeconds: number;
	/** Seconds until no counted request weighs on the key any more (the full limit is back). */
	resetSeconds: number;
}

export interface RateLimiter {
	hit(key: string): Promise<RateDecision>;
	close(): Promise<void>;
}

export interface RateLimitOptions {
	/** Allowed requests per window; `<= 0` means unlimited. */
	limit: number;
	windowMs: number;
	/** The clock, for tests; milliseconds. */
	now?: () => number;
}

const UNLIMITED: RateDecision = Object.freeze({ allowed: true, limit: 0, remaining: Infinity, retryAfterSeconds: 0, resetSeconds: 0 });

/**
 * The weighted count is `prev * (W - elapsed) / W + curr`; everything is kept multiplied
 * by W so the comparison is exact integer arithmetic, identical in JavaScript and Lua.
 */
function fits(limit: number, windowMs: number, elapsed: number, prev: number, curr: number): boolean {
	return prev * (windowMs - elapsed) + (curr + 1) * windowMs <= limit * windowMs;
}

/** The decision once the counts are known (`curr` already includes this hit when allowed). */
function decide(allowed: boolean, limit: number, windowMs: number, elapsed: number, prev: number, curr: number): RateDecision {
	const weighted = prev * (windowMs - elapsed) + curr * windowMs; // × windowMs
	const resetMs = curr > 0 ? 2 * windowMs - elapsed : prev > 0 ? windowMs - elapsed : 0;
	let retryMs = 0;
	if (!allowed) {
		const room = limit - 1 - curr; // what the previous window may still weigh for one more hit
		retryMs =
			room >= 0
				? windowMs - Math.floor((room * windowMs) / prev) - elapsed // later in this window
				: 2 * windowMs - Math.floor(((limit - 1) * windowMs) / curr) - elapsed; // once this window is the previous one
	}
	return {
		allowed,
		limit,
		remaining: Math.max(0, Math.floor((limit * windowMs - weighted) / windowMs)),
		retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(retryMs / 1000)),
		resetSeconds: Math.ceil(resetMs / 1000)
	};
}

function checkWindow(windowMs: number): void {
	if (!Number.isInteger(windowMs) || windowMs <= 0) throw new RangeError(`windowMs must be a positive integer, got ${windowMs}`);
}

interface Counts {
	window: number;
	prev: number;
	curr: number;
}

/** One process's limits; bounded memory: least recently hit keys are evicted beyond `maxKeys`. */
export class MemoryRateLimiter implements RateLimiter {
	private readonly keys = new Map<string, Counts>();
	private readonly limit: number;
	private readonly windowMs: number;
	private readonly maxKeys: number;
	private readonly now: () => number;
	private cursor?: Iterator<string>;

	constructor(opts: RateLimitOptions & { maxKeys?: number }) {
		checkWindow(opts.windowMs);
		this.limit = opts.limit;
		this.windowMs = opts.windowMs;
		this.maxKeys = Math.max(1, opts.maxKeys ?? 100_000);
		this.now = opts.now ?? Date.now;
	}

	/** Keys currently held. */
	get size(): number {
		return this.keys.size;
	}

	async hit(key: string): Promise<RateDecision> {
		if (this.limit <= 0) return UNLIMITED;
		const now = Math.floor(this.now());
		const window = Math.floor(now / this.windowMs);
		const elapsed = now - window * this.windowMs;
		let c = this.keys.get(key);
		if (c) this.keys.delete(key); // re-inserted below: Map order is then least recently hit first
		if (!c || c.window < window - 1) c = { window, prev: 0, curr: 0 };
		else if (c.window === window - 1) c = { window, prev: c.curr, curr: 0 };
		const allowed = fits(this.limit, this.windowMs, elapsed, c.prev, c.curr);
		if (allowed) c.curr++;
		this.keys.set(key, c);
		if (this.keys.size > this.maxKeys) this.evictOldest();
		return decide(allowed, this.limit, this.windowMs, elapsed, c.prev, c.curr);
	}

	/**
	 * One long-lived iterator: a Map iterator is live (it skips deleted entries and reaches
	 * ones appended later), and everything behind it has been evicted, so its next entry is
	 * always the oldest. A fresh `keys().next()` per eviction would rescan the holes V8
	 * leaves at the front: ~100 µs a hit under a flood of new keys instead of ~2.
	 */
	private evictOldest(): void {
		let next = this.cursor?.next();
		if (!next || next.done) next = (this.cursor = this.keys.keys()).next();
		this.keys.delete(next.value as string);
	}

	async close(): Promise<void> {
		this.keys.clear();
		this.cursor = undefined;
	}
}

/** KEYS: current window, previous window. ARGV: limit, windowMs, elapsed ms into the current window. */
const HIT_SCRIPT = `
local curr = tonumber(redis.call("GET", KEYS[1]) or "0")
local prev = tonumber(redis.call("GET", KEYS[2]) or "0")
local limit, windowMs, elapsed = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if prev * (windowMs - elapsed) + (curr + 1) * windowMs > limit * windowMs then return {0, prev, curr} end
curr = redis.call("INCR", KEYS[1])
if curr == 1 then redis.call("PEXPIRE", KEYS[1], 2 * windowMs) end
return {1, prev, curr}
`;
const HIT_SHA = createHash("sha1").update(HIT_SCRIPT).digest("hex");

/** A Redis outage is reported at most this often, not once per request. */
const ERROR_REPORT_INTERVAL_MS = 10_000;

function throttled(report: (err: Error) => void): (err: Error) => void {
	let last = -Infinity;
	return err => {
		if (Date.now() - last < ERROR_REPORT_INTERVAL_MS) return;
		last = Date.now();
		report(err);
	};
}

const warn = (err: Error): void => console.warn(`Rate limiter: Redis failed, requests are not limited: ${err.message}`);

export interface RedisRateLimitOptions extends RateLimitOptions {
	/** Default "agentos:rate:". */
	prefix?: string;
	/** Called (throttled) when Redis fails and requests are let through; default: console.warn. */
	onError?: (err: Error) => void;
}

/**
 * Limits shared by every node using the same Redis. Windows follow each node's clock, so
 * nodes should be NTP-synced; a skew of s ms only shifts window boundaries by s ms.
 *
 * On a Redis error the hit is ALLOWED (fail open) and `onError` is told: the limiter
 * protects the API, so losing Redis must not take the API down with it. How fast a hit
 * fails depends on the client's options: see `createRateLimiter`.
 */
export class RedisRateLimiter implements RateLimiter {
	private readonly limit: number;
	private readonly windowMs: number;
	private readonly prefix: string;
	private readonly now: () => number;
	private readonly onError: (err: Error) => void;

	constructor(
		private readonly redis: Redis,
		opts: RedisRateLimitOptions
	) {
		checkWindow(opts.windowMs);
		this.limit = opts.limit;
		this.windowMs = opts.windowMs;
		this.prefix = opts.prefix ?? "agentos:rate:";
		this.now = opts.now ?? Date.now;
		this.onError = throttled(opts.onError ?? warn);
	}

	async hit(key: string): Promise<RateDecision> {
		if (this.limit <= 0) return UNLIMITED;
		const now = Math.floor(this.now());
		const window = Math.floor(now / this.windowMs);
		const elapsed = now - window * this.windowMs;
		// The {hash tag} keeps both windows of a key in one Redis Cluster slot.
		const base = `${this.prefix}{${key}}:`;
		const args = [`${base}${window}`, `${base}${window - 1}`, this.limit, this.windowMs, elapsed];
		try {
			const [allowed, prev, curr] = (await this.redis.evalsha(HIT_SHA, 2, ...args).catch((err: Error) => {
				if (!err.message.startsWith("NOSCRIPT")) throw err;
				return this.redis.eval(HIT_SCRIPT, 2, ...args); // first use on this server: load it
			})) as [number, number, number];
			return decide(allowed === 1, this.limit, this.windowMs, elapsed, prev, curr);
		} catch (err) {
			this.onError(err as Error);
			return { allowed: true, limit: this.limit, remaining: this.limit, retryAfterSeconds: 0, resetSeconds: 0 };
		}
	}

	/** The client belongs to the caller, who closes it. */
	async close(): Promise<void> {}
}

/**
 * Redis when a URL is given (the limiter owns and closes that client), memory otherwise;
 * unlimited (`limit <= 0`) never connects. The owned client fails fast so an outage
 * costs no latency: no offline queue (a hit while disconnected fails at once), no
 * retries, and a timeout for a server that hangs.
 */
export function createRateLimiter(opts: { limit: number; windowMs: number; redisUrl?: string; onError?: (err: Error) => void }): RateLimiter {
	if (!opts.redisUrl || opts.limit <= 0) return new MemoryRateLimiter(opts);
	// disconnectTimeout: closing during an outage arms ioredis' timer on a dead socket; nothing to flush anyway.
	const client = new Redis(opts.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500, disconnectTimeout: 100 });
	// One throttle for failed hits and connection errors, so an outage is logged even without traffic.
	const onError = throttled(opts.onError ?? warn);
	client.on("error", onError);
	const limiter = new RedisRateLimiter(client, { ...opts, onError });
	return {
		hit: key => limiter.hit(key),
		close: async () => {
			await client.quit().catch(() => client.disconnect());
		}
	};
}
