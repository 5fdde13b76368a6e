/**
 * The one storage interface of AgentOS: PostgreSQL SQL, served either by the embedded
 * PGlite database or by a PostgreSQL server. Higher layers write plain SQL with `$1`
 * parameters and never learn which one they talk to.
 */

export type SqlParam = string | number | boolean | null | Date | Buffer | object;

export interface QueryResult<Row> {
	rows: Row[];
	/** Rows returned or touched by the statement. */
	rowCount: number;
}

export interface QueryOptions {
	/**
	 * Keep the statement prepared and reuse it for the next calls of the same SQL: for a hot
	 * statement run many times with other values (a durable run's journal row), not for SQL
	 * built anew each time. Ignored inside a transaction.
	 */
	prepare?: boolean;
}

export interface Queryable {
	/** One statement with `$n` parameters. */
	query<Row = Record<string, unknown>>(sql: string, params?: readonly SqlParam[], options?: QueryOptions): Promise<QueryResult<Row>>;
	/** A script of several statements, without parameters (migrations). */
	exec(sql: string): Promise<void>;
}

export type DatabaseKind = "pglite" | "postgres";

export interface Database extends Queryable {
	readonly kind: DatabaseKind;
	/** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
	transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
	/** Resolves when the database answers, rejects with the reason when it does not. */
	ping(timeoutMs?: number): Promise<void>;
	/** Whether `CREATE EXTENSION vector` can succeed here. */
	hasVectorExtension(): Promise<boolean>;
	close(): Promise<void>;
}
