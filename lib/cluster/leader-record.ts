import type { Queryable } from "../kernel/database";

/** The leadership a node holds (or is believed to hold): its node and fencing term. */
export interface Leadership {
	nodeID: string;
	term: number;
}

export const LEADER_ROW = "leader";

/**
 * Writes a leadership taken through a lock outside the database (Redis, or the single
 * embedded node) into `cluster_leader`, unless a later term is already there: claims of
 * once-only work check this row, so an older leader's claims fail.
 */
export async function recordLeadership(db: Queryable, leadership: Leadership, leaseMs: number): Promise<boolean> {
	const { rowCount } = await db.query(
		`INSERT INTO cluster_leader (name, node_id, term, expires_at) VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
		 ON CONFLICT (name) DO UPDATE SET node_id = EXCLUDED.node_id, term = EXCLUDED.term, acquired_at = now(), renewed_at = now(), expires_at = EXCLUDED.expires_at
		 WHERE cluster_leader.term < EXCLUDED.term`,
		[LEADER_ROW, leadership.nodeID, leadership.term, leaseMs]
	);
	return rowCount > 0;
}

/** Extends the recorded lease of `leadership`; false when the row names another leader or term. */
export async function renewLeadership(db: Queryable, leadership: Leadership, leaseMs: number): Promise<boolean> {
	const { rowCount } = await db.query(
		"UPDATE cluster_leader SET renewed_at = now(), expires_at = now() + $4 * interval '1 millisecond' WHERE name = $1 AND node_id = $2 AND term = $3",
		[LEADER_ROW, leadership.nodeID, leadership.term, leaseMs]
	);
	return rowCount > 0;
}

/** The recorded leader whose lease has not run out. */
export async function readLeadership(db: Queryable): Promise<Leadership | undefined> {
	const { rows } = await db.query<{ node_id: string; term: string }>("SELECT node_id, term FROM cluster_leader WHERE name = $1 AND expires_at > now()", [LEADER_ROW]);
	return rows[0] ? { nodeID: rows[0].node_id, term: Number(rows[0].term) } : undefined;
}
