import type { Database } from "../../kernel/database";
import { LEADER_ROW, readLeadership, recordLeadership, renewLeadership } from "../leader-record";
import type { LeaderLock } from "./lock";

/** A node with nobody to share with (the embedded database): it always leads, under a new term at each boot. */
export class LocalLeaderLock implements LeaderLock {
	readonly kind = "local" as const;

	constructor(
		private readonly db: Database,
		private readonly nodeID: string,
		private readonly leaseMs: number
	) {}

	async acquire(): Promise<number> {
		const { rows } = await this.db.query<{ term: string }>("SELECT term FROM cluster_leader WHERE name = $1", [LEADER_ROW]);
		const term = Number(rows[0]?.term ?? 0) + 1;
		await recordLeadership(this.db, { nodeID: this.nodeID, term }, this.leaseMs);
		return term;
	}

	renew(term: number): Promise<boolean> {
		return renewLeadership(this.db, { nodeID: this.nodeID, term }, this.leaseMs);
	}

	holder() {
		return readLeadership(this.db);
	}

	async release(): Promise<void> {}

	async close(): Promise<void> {}
}
