import fs from "node:fs";
import path from "node:path";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { DataDirLockedError } from "../errors";
import { constraintError } from "./constraint-error";
import type { Database, Queryable, QueryOptions, QueryResult, SqlParam } from "./database";
import { PglitePrepared } from "./pglite-prepared";
import { withTimeout } from "./timeout";

/**
 * The embedded database: PostgreSQL compiled to WASM, with pgvector, kept in
 * `<dataDir>/pgdata`. PGlite is single-process, so a lock file keeps a second node
 * from opening the same folder and corrupting it.
 */
export class PgliteDatabase implements Database {
	readonly kind = "pglite" as const;
	private readonly prepared: PglitePrepared;

	private constructor(
		private readonly pg: PGlite,
		private readonly lockFile: string | undefined
	) {
		this.prepared = new PglitePrepared(pg);
	}

	/** Opens (creating when new) the database in `dataDir`; `undefined` keeps it in memory. */
	static async open(dataDir: string | undefined): Promise<PgliteDatabase> {
		if (dataDir === undefined) return new PgliteDatabase(await PGlite.create({ extensions: { vector } }), undefined);
		const pgdata = path.resolve(dataDir, "pgdata");
		fs.mkdirSync(pgdata, { recursive: true });
		const lockFile = acquireLock(path.resolve(dataDir, "pgdata.lock"));
		try {
			return new PgliteDatabase(await PGlite.create(pgdata, { extensions: { vector } }), lockFile);
		} catch (err) {
			fs.rmSync(lockFile, { force: true });
			throw err;
		}
	}

	async query<Row>(sql: string, params?: readonly SqlParam[], options?: QueryOptions): Promise<QueryResult<Row>> {
		if (!options?.prepare) return runQuery<Row>(this.pg, sql, params);
		try {
			return await this.prepared.query<Row>(sql, params ?? []);
		} catch (err) {
			throw constraintError(err) ?? err;
		}
	}

	async exec(sql: string): Promise<void> {
		await this.pg.exec(sql);
	}

	transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
		return this.pg.transaction(tx =>
			fn({
				query: <Row>(sql: string, params?: readonly SqlParam[]) => runQuery<Row>(tx, sql, params),
				exec: async (sql: string) => void (await tx.exec(sql))
			})
		);
	}

	async ping(timeoutMs = 2000): Promise<void> {
		await withTimeout(this.pg.query("SELECT 1"), timeoutMs, "embedded database did not answer");
	}

	async hasVectorExtension(): Promise<boolean> {
		return true;
	}

	async close(): Promise<void> {
		if (!this.pg.closed) await this.pg.close();
		if (this.lockFile) fs.rmSync(this.lockFile, { force: true });
	}
}

async function runQuery<Row>(
	target: PGlite | Transaction,
	sql: string,
	params?: readonly SqlParam[]
): Promise<QueryResult<Row>> {
	try {
		const result = await target.query<Row>(sql, params ? [...params] : undefined);
		return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
	} catch (err) {
		throw constraintError(err) ?? err;
	}
}

/** Takes the lock file, or explains which live process holds it. A stale lock is replaced. */
function acquireLock(lockFile: string): string {
	for (let attempt = 0; attempt < 2; attempt++) {
		try {
			fs.writeFileSync(lockFile, String(process.pid), { flag: "wx" });
			return lockFile;
		} catch (err) {
			if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
			const owner = Number.parseInt(fs.readFileSync(lockFile, "utf8"), 10);
			if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
				throw new DataDirLockedError(path.dirname(lockFile), owner);
			}
			fs.rmSync(lockFile, { force: true });
		}
	}
	throw new Error(`Could not take the lock ${lockFile}`);
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (err) {
		return (err as NodeJS.ErrnoException).code === "EPERM";
	}
}
