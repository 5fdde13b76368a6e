import crypto from "node:crypto";
import { Pool, type PoolClient } from "pg";
import { DatabaseUnavailableError } from "../errors";
import { constraintError } from "./constraint-error";
import type { Database, Queryable, QueryOptions, QueryResult, SqlParam } from "./database";
import { withTimeout } from "./timeout";

/** Error codes that mean "the server is not there right now", not "the SQL is wrong". */
const UNAVAILABLE_CODES = new Set([
	"ECONNREFUSED",
	"ECONNRESET",
	"ETIMEDOUT",
	"ENOTFOUND",
	"EAI_AGAIN",
	"EPIPE",
	"57P01", // admin_shutdown
	"57P02", // crash_shutdown
	"57P03", // cannot_connect_now
	"08000",
	"08001",
	"08003",
	"08006"
]);

export function isUnavailable(err: unknown): boolean {
	const e = err as { code?: string; message?: string };
	return (
		(e.code !== undefined && UNAVAILABLE_CODES.has(e.code)) ||
		// …and a client whose connection broke while it was checked out, asked once more.
		/Connection terminated|connection timeout|timeout exceeded when trying to connect|encountered a connection error and is not queryable/i.test(e.message ?? "")
	);
}

/** Turns a lost connection into a retryable error and a missing or duplicate key into a client error; other SQL errors pass through unchanged. */
function translate(err: unknown): never {
	if (isUnavailable(err)) throw new DatabaseUnavailableError((err as Error).message || String(err));
	throw constraintError(err) ?? err;
}

/** One name per SQL text: `pg` refuses a name prepared with another text on the same connection. */
const statementName = (sql: string) => `agentos_${crypto.createHash("sha256").update(sql).digest("hex").slice(0, 32)}`;

export interface PostgresOptions {
	url: string;
	poolMax: number;
	/** Told about errors of idle connections, which would otherwise crash the process. */
	onIdleError?: (err: Error) => void;
}

/** A PostgreSQL server through a `pg` pool. Connections are made on demand, so a server that is down at boot is not an error until it is used. */
export class PostgresDatabase implements Database {
	readonly kind = "postgres" as const;
	private readonly pool: Pool;

	constructor(options: PostgresOptions) {
		this.pool = new Pool({
			connectionString: options.url,
			max: options.poolMax,
			connectionTimeoutMillis: 5000,
			idleTimeoutMillis: 30000
		});
		this.pool.on("error", err => options.onIdleError?.(err));
	}

	async query<Row>(sql: string, params?: readonly SqlParam[], options?: QueryOptions): Promise<QueryResult<Row>> {
		try {
			const values = params ? [...params] : undefined;
			// A named statement is prepared once per connection, then only bound and run.
			const result = await (options?.prepare ? this.pool.query({ name: statementName(sql), text: sql, values }) : this.pool.query(sql, values));
			return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
		} catch (err) {
			translate(err);
		}
	}

	async exec(sql: string): Promise<void> {
		try {
			await this.pool.query(sql);
		} catch (err) {
			translate(err);
		}
	}

	async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
		let client: PoolClient;
		try {
			client = await this.pool.connect();
		} catch (err) {
			translate(err);
		}
		const tx: Queryable = {
			query: async <Row>(sql: string, params?: readonly SqlParam[]) => {
				const result = await client.query(sql, params ? [...params] : undefined);
				return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
			},
			exec: async (sql: string) => void (await client.query(sql))
		};
		let broken: Error | undefined;
		// A connection lost while checked out is reported as an 'error' event on the client, which
		// the pool only listens to on idle clients: unheard, it would end the process.
		const lost = (err: Error) => (broken = err);
		client.on("error", lost);
		try {
			await client.query("BEGIN");
			const value = await fn(tx);
			await client.query("COMMIT");
			return value;
		} catch (err) {
			await client.query("ROLLBACK").catch((rollbackErr: Error) => (broken = rollbackErr));
			translate(err);
		} finally {
			client.off("error", lost);
			// A connection that was lost or could not even roll back is destroyed, not reused.
			client.release(broken);
		}
	}

	async ping(timeoutMs = 2000): Promise<void> {
		await withTimeout(this.query("SELECT 1"), timeoutMs, "database did not answer");
	}

	async hasVectorExtension(): Promise<boolean> {
		const { rows } = await this.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
		return rows.length > 0;
	}

	async close(): Promise<void> {
		await this.pool.end();
	}
}
