/**
 * One leader per cluster. Every node runs an election: it polls a lock (a PostgreSQL
 * advisory lock on a connection of its own; a Redis key with a fencing term when there
 * is no PostgreSQL server; nothing to contend for on a lone embedded node) every third
 * of the lease. The holder renews it at that pace and leads; a holder that cannot renew
 * steps down at once, and a follower takes the lock as soon as it is free. Listeners
 * hear every change of leader (the node broadcasts it as `cluster.leader.changed`).
 */
import type { Logger } from "moleculer";
import type { Config } from "../kernel/config";
import type { Database } from "../kernel/database";
import type { Leadership } from "./leader-record";
import { LocalLeaderLock } from "./locks/local";
import type { LeaderLock } from "./locks/lock";
import { PostgresLeaderLock } from "./locks/postgres";
import { RedisLeaderLock } from "./locks/redis";

export type { Leadership } from "./leader-record";

export interface LeaderChange {
	/** The leader now, if known. */
	leader: Leadership | undefined;
	/** Whether this node is it. */
	self: boolean;
}

export class LeaderElection {
	private own: Leadership | undefined;
	private known: Leadership | undefined;
	private timer: NodeJS.Timeout | undefined;
	private running = false;
	private polling: Promise<void> = Promise.resolve();
	private readonly listeners: Array<(change: LeaderChange) => void> = [];

	constructor(
		private readonly lock: LeaderLock,
		readonly nodeID: string,
		readonly leaseMs: number,
		private readonly logger: Logger
	) {}

	get kind(): LeaderLock["kind"] {
		return this.lock.kind;
	}

	get isLeader(): boolean {
		return this.own !== undefined;
	}

	/** This node's term while it leads: the fencing token of its once-only work. */
	get term(): number | undefined {
		return this.own?.term;
	}

	/** The leader as last seen from here (this node, or the holder of the lock). */
	leader(): Leadership | undefined {
		return this.own ?? this.known;
	}

	onChange(listener: (change: LeaderChange) => void): void {
		this.listeners.push(listener);
	}

	/** What another node announced; a later term replaces what this node believed. */
	observe(leadership: Leadership): void {
		if (this.own || (this.known && this.known.term > leadership.term)) return;
		this.setKnown(leadership);
	}

	start(): void {
		if (this.running) return;
		this.running = true;
		this.schedule(0);
	}

	/** Stops polling and lets the lock go, so another node takes over without waiting for the lease. */
	async stop(): Promise<void> {
		this.running = false;
		clearTimeout(this.timer);
		await this.polling;
		const own = this.own;
		if (own) {
			this.own = undefined;
			await this.lock.release(own.term).catch((err: Error) => this.logger.warn(`Could not release the leadership: ${err.message}`));
		}
		await this.lock.close();
	}

	/** One round: renew while leading, else try to take the lock, else learn who has it. */
	async poll(): Promise<void> {
		if (this.own) {
			const held = await this.lock.renew(this.own.term).catch((err: Error) => {
				this.logger.warn(`Could not renew the leadership: ${err.message}`);
				return false;
			});
			if (!held) await this.stepDown();
			return;
		}
		try {
			const term = await this.lock.acquire();
			if (term !== undefined) {
				this.own = { nodeID: this.nodeID, term };
				this.logger.info(`This node leads the cluster (term ${term}, ${this.lock.kind} lock)`);
				this.setKnown(this.own);
				return;
			}
			const holder = await this.lock.holder();
			if (holder?.nodeID !== this.known?.nodeID || holder?.term !== this.known?.term) this.setKnown(holder);
		} catch (err) {
			this.logger.debug(`Leader election: ${(err as Error).message}`);
			await (this.lock as Partial<{ reset(): Promise<void> }>).reset?.();
		}
	}

	private async stepDown(): Promise<void> {
		this.logger.warn(`This node lost the leadership (term ${this.own?.term})`);
		this.own = undefined;
		await (this.lock as Partial<{ reset(): Promise<void> }>).reset?.();
		this.setKnown(undefined);
	}

	private setKnown(leader: Leadership | undefined): void {
		this.known = leader;
		const change = { leader, self: leader !== undefined && leader.nodeID === this.nodeID && this.own !== undefined };
		for (const listener of this.listeners) {
			try {
				listener(change);
			} catch (err) {
				this.logger.warn(`A leader-change listener failed: ${(err as Error).message}`);
			}
		}
	}

	private schedule(delayMs: number): void {
		if (!this.running) return;
		this.timer = setTimeout(() => {
			this.polling = this.poll().finally(() => this.schedule(Math.max(100, Math.floor(this.leaseMs / 3))));
		}, delayMs);
		this.timer.unref();
	}
}

/**
 * The election for this node's configuration: PostgreSQL advisory lock with a database
 * server; else a Redis lock when REDIS_URL is set and the node is in a cluster; else the
 * node leads alone.
 */
export function createLeaderElection(config: Config, db: Database, nodeID: string, logger: Logger): LeaderElection {
	const leaseMs = config.CLUSTER_LEADER_LEASE_MS;
	const common = { nodeID, namespace: config.NAMESPACE, leaseMs };
	let lock: LeaderLock;
	if (config.DATABASE_URL) {
		lock = new PostgresLeaderLock({ ...common, url: config.DATABASE_URL, onError: err => logger.warn(`Leader lock connection: ${err.message}`) });
	} else if (config.TRANSPORTER && config.REDIS_URL) {
		// Each node has a database of its own here: nothing shared to record the term in.
		lock = new RedisLeaderLock({ ...common, url: config.REDIS_URL });
	} else {
		lock = new LocalLeaderLock(db, nodeID, leaseMs);
	}
	return new LeaderElection(lock, nodeID, leaseMs, logger);
}

/**
 * The election the scheduler fires under. Jobs live in the database: with one shared by
 * the cluster, only the cluster's leader fires them; with a database of its own (the
 * Redis-lock case), each node fires the jobs stored in it.
 */
export function schedulerElection(cluster: LeaderElection, db: Database, logger: Logger): { election: LeaderElection; owned: boolean } {
	if (cluster.kind !== "redis") return { election: cluster, owned: false };
	return { election: new LeaderElection(new LocalLeaderLock(db, cluster.nodeID, cluster.leaseMs), cluster.nodeID, cluster.leaseMs, logger), owned: true };
}
