import path from "node:path";
import type { Config } from "../config";
import type { Database } from "./database";
import { PgliteDatabase } from "./pglite-database";
import { PostgresDatabase } from "./postgres-database";

export type { Database, Queryable, QueryOptions, QueryResult, SqlParam, DatabaseKind } from "./database";

/** A PostgreSQL server when DATABASE_URL is set, otherwise PGlite in the data dir. Never one in place of the other. */
export async function openDatabase(config: Config, onIdleError: (err: Error) => void): Promise<Database> {
	if (config.DATABASE_URL) {
		return new PostgresDatabase({ url: config.DATABASE_URL, poolMax: config.DATABASE_POOL_MAX, onIdleError });
	}
	return PgliteDatabase.open(path.resolve(config.AGENTOS_DATA_DIR));
}
