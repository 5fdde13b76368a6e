import { Redis } from "ioredis";
import type { Database } from "../../kernel/database";
import { recordLeadership, type Leadership } from "../leader-record";
import type { LeaderLock } from "./lock";

// Take the lock only if free, under a term one higher than any before.
const ACQUIRE = `if redis.call('exists', KEYS[1]) == 1 then return 0 end
local term = redis.call('incr', KEYS[2])
redis.call('set', KEYS[1], ARGV[1] .. '|' .. term, 'PX', ARGV[2])
return term`;
// Extend or drop the lock only while it still holds this node's value.
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

export interface RedisLockOptions {
	url: string;
	nodeID: string;
	namespace: string;
	leaseMs: number;
	/** Where the term is recorded for fencing, when a database is shared by the contenders. */
	db?: Database;
}

/**
 * A Redis key set with NX and a lease (PX), renewed by its holder, with a fencing term
 * from a counter that only grows: used when there is no PostgreSQL server to hold an
 * advisory lock. A holder that stalls past the lease loses the key to another node,
 * whose higher term fences off the stalled one's claims.
 */
export class RedisLeaderLock implements LeaderLock {
	readonly kind = "redis" as const;
	private readonly client: Redis;
	private readonly key: string;
	private readonly termKey: string;

	constructor(private readonly options: RedisLockOptions) {
		this.client = new Redis(options.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1000, disconnectTimeout: 100, lazyConnect: false });
		// Errors surface through the commands; the client reconnects on its own.
		this.client.on("error", () => undefined);
		this.key = `${options.namespace}:cluster:leader`;
		this.termKey = `${options.namespace}:cluster:term`;
	}

	async acquire(): Promise<number | undefined> {
		const term = Number(await this.client.eval(ACQUIRE, 2, this.key, this.termKey, this.options.nodeID, this.options.leaseMs));
		if (!term) return undefined;
		if (this.options.db) await recordLeadership(this.options.db, { nodeID: this.options.nodeID, term }, this.options.leaseMs);
		return term;
	}

	async renew(term: number): Promise<boolean> {
		return Number(await this.client.eval(RENEW, 1, this.key, `${this.options.nodeID}|${term}`, this.options.leaseMs)) === 1;
	}

	async holder(): Promise<Leadership | undefined> {
		const value = await this.client.get(this.key);
		const at = value?.lastIndexOf("|") ?? -1;
		return value && at > 0 ? { nodeID: value.slice(0, at), term: Number(value.slice(at + 1)) } : undefined;
	}

	async release(term: number): Promise<void> {
		await this.client.eval(RELEASE, 1, this.key, `${this.options.nodeID}|${term}`);
	}

	async close(): Promise<void> {
		this.client.disconnect();
	}
}
