import { Client } from "pg";
import { LEADER_ROW, type Leadership } from "../leader-record";
import type { LeaderLock } from "./lock";

/** First key of the advisory lock (two-int form): "AG", apart from the migrations' lock. */
const LOCK_CLASS = 0x4147;
const QUERY_TIMEOUT_MS = 2000;

export interface PostgresLockOptions {
	url: string;
	nodeID: string;
	namespace: string;
	leaseMs: number;
	onError(err: Error): void;
}

/** A stable 32-bit key for the namespace, so two clusters on one database do not share a leader. */
function namespaceKey(namespace: string): number {
	let h = 0;
	for (const ch of namespace) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
	return h;
}

/**
 * A session-level advisory lock held on a connection of its own: it stays held while
 * that connection lives and the server drops it the moment the holder's process dies,
 * so a follower can take over within one poll. The server also probes the holder's
 * socket (TCP keepalives), so a holder cut off by the network loses it too. Any error on
 * the connection counts as losing the lock: the session, and so the lock, may be gone.
 */
export class PostgresLeaderLock implements LeaderLock {
	readonly kind = "postgres" as const;
	private client: Client | undefined;
	private connecting: Promise<Client> | undefined;
	private readonly key: number;

	constructor(private readonly options: PostgresLockOptions) {
		this.key = namespaceKey(options.namespace);
	}

	async acquire(): Promise<number | undefined> {
		const client = await this.connection();
		const { rows } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::int, $2::int) AS ok", [LOCK_CLASS, this.key]);
		if (!rows[0]?.ok) return undefined;
		try {
			const result = await client.query<{ term: string }>(
				`INSERT INTO cluster_leader (name, node_id, term, expires_at) VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond')
				 ON CONFLICT (name) DO UPDATE SET node_id = EXCLUDED.node_id, term = cluster_leader.term + 1, acquired_at = now(), renewed_at = now(), expires_at = EXCLUDED.expires_at
				 RETURNING term`,
				[LEADER_ROW, this.options.nodeID, this.options.leaseMs]
			);
			return Number(result.rows[0].term);
		} catch (err) {
			await client.query("SELECT pg_advisory_unlock($1::int, $2::int)", [LOCK_CLASS, this.key]).catch(() => undefined);
			throw err;
		}
	}

	async renew(term: number): Promise<boolean> {
		const client = await this.connection();
		const { rowCount } = await client.query(
			"UPDATE cluster_leader SET renewed_at = now(), expires_at = now() + $4 * interval '1 millisecond' WHERE name = $1 AND node_id = $2 AND term = $3",
			[LEADER_ROW, this.options.nodeID, term, this.options.leaseMs]
		);
		return (rowCount ?? 0) > 0;
	}

	async holder(): Promise<Leadership | undefined> {
		const client = await this.connection();
		const { rows } = await client.query<{ node_id: string; term: string }>("SELECT node_id, term FROM cluster_leader WHERE name = $1 AND expires_at > now()", [LEADER_ROW]);
		return rows[0] ? { nodeID: rows[0].node_id, term: Number(rows[0].term) } : undefined;
	}

	async release(term: number): Promise<void> {
		const client = this.client;
		if (!client) return;
		// Followers need not wait for the lease: the row says it ended now.
		await client.query("UPDATE cluster_leader SET expires_at = now() WHERE name = $1 AND node_id = $2 AND term = $3", [LEADER_ROW, this.options.nodeID, term]);
		await client.query("SELECT pg_advisory_unlock($1::int, $2::int)", [LOCK_CLASS, this.key]);
	}

	async close(): Promise<void> {
		const client = this.client ?? (await this.connecting?.catch(() => undefined));
		this.client = undefined;
		this.connecting = undefined;
		await client?.end().catch(() => undefined);
	}

	/** Drops the connection after an error: its session (and any lock) cannot be trusted. */
	async reset(): Promise<void> {
		await this.close();
	}

	private connection(): Promise<Client> {
		if (this.client) return Promise.resolve(this.client);
		this.connecting ??= (async () => {
			const client = new Client({
				connectionString: this.options.url,
				connectionTimeoutMillis: QUERY_TIMEOUT_MS,
				query_timeout: QUERY_TIMEOUT_MS,
				keepAlive: true,
				keepAliveInitialDelayMillis: 1000,
				application_name: `agentos-leader-${this.options.nodeID}`.slice(0, 63)
			});
			client.on("error", err => {
				if (this.client === client) this.client = undefined;
				this.options.onError(err);
				client.end().catch(() => undefined);
			});
			try {
				await client.connect();
				// The server notices a holder that vanished from the network within ~10 s.
				await client.query("SET tcp_keepalives_idle = 4; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3");
			} catch (err) {
				await client.end().catch(() => undefined);
				throw err;
			}
			this.client = client;
			return client;
		})().finally(() => (this.connecting = undefined));
		return this.connecting;
	}
}
