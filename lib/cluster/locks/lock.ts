import type { Leadership } from "../leader-record";

/**
 * A cluster-wide lock that at most one node holds, with a fencing term that grows with
 * every new holder. The election (lib/cluster/leader-election.ts) drives it.
 */
export interface LeaderLock {
	readonly kind: "postgres" | "redis" | "local";
	/** Tries to take the lock; the new term when taken, undefined when another node has it. */
	acquire(): Promise<number | undefined>;
	/** Keeps the lock held with `term`; false (or a rejection) means it is lost. */
	renew(term: number): Promise<boolean>;
	/** The current holder, as far as can be known from here. */
	holder(): Promise<Leadership | undefined>;
	/** Lets the lock go (when stopping); the next holder need not wait for the lease. */
	release(term: number): Promise<void>;
	close(): Promise<void>;
}
