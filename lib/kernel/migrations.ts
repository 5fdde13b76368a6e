import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Database } from "./database/database";
import { MigrationError } from "./errors";

/** Held (per transaction) while a node migrates, so nodes booting together take turns. */
const MIGRATION_LOCK_KEY = 4_242_001;
const FILE_PATTERN = /^(\d{3})_([a-z0-9_]+)\.sql$/;

export interface Migration {
	version: number;
	name: string;
	sql: string;
	checksum: string;
}

export interface AppliedMigration {
	version: number;
	name: string;
	checksum: string;
}

export function checksumOf(sql: string): string {
	return crypto.createHash("sha256").update(sql).digest("hex");
}

/** Reads `NNN_name.sql` files in version order; a stray or duplicate file name is an error. */
export function readMigrations(dir: string): Migration[] {
	const migrations: Migration[] = [];
	for (const file of fs.readdirSync(dir).filter(f => f.endsWith(".sql"))) {
		const match = FILE_PATTERN.exec(file);
		if (!match) throw new MigrationError(`Migration file ${file} must be named NNN_name.sql (three digits, lower-case name)`);
		const sql = fs.readFileSync(path.join(dir, file), "utf8");
		migrations.push({ version: Number(match[1]), name: match[2], sql, checksum: checksumOf(sql) });
	}
	migrations.sort((a, b) => a.version - b.version);
	for (let i = 1; i < migrations.length; i++) {
		if (migrations[i].version === migrations[i - 1].version) {
			throw new MigrationError(`Two migrations share version ${String(migrations[i].version).padStart(3, "0")}`);
		}
	}
	return migrations;
}

/**
 * What is still to apply, in order. History may not be rewritten: an applied file that
 * changed, or an applied version this code does not have, stops the boot.
 */
export function planMigrations(available: Migration[], applied: AppliedMigration[]): Migration[] {
	const byVersion = new Map(available.map(m => [m.version, m]));
	for (const done of applied) {
		const label = `${String(done.version).padStart(3, "0")}_${done.name}`;
		const file = byVersion.get(done.version);
		if (!file) {
			throw new MigrationError(`The database has migration ${label}, which this version of AgentOS does not know; upgrade this node`);
		}
		if (file.checksum !== done.checksum) {
			throw new MigrationError(`Migration ${label} was changed after it was applied; add a new migration instead of editing it`);
		}
	}
	const done = new Set(applied.map(m => m.version));
	return available.filter(m => !done.has(m.version));
}

/**
 * Applies pending migrations, each in its own transaction under an advisory lock, and
 * re-reads the history inside the lock, so every migration runs exactly once however
 * many nodes boot together. Returns the names applied by this call.
 */
export async function migrate(db: Database, migrations: Migration[]): Promise<string[]> {
	const appliedNow: string[] = [];
	for (;;) {
		const next = await db.transaction(async tx => {
			await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
			await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
				version integer PRIMARY KEY,
				name text NOT NULL,
				checksum text NOT NULL,
				applied_at timestamptz NOT NULL DEFAULT now()
			)`);
			const { rows } = await tx.query<AppliedMigration>("SELECT version, name, checksum FROM schema_migrations ORDER BY version");
			const [pending] = planMigrations(migrations, rows);
			if (!pending) return undefined;
			try {
				await tx.exec(pending.sql);
			} catch (err) {
				throw new MigrationError(`Migration ${String(pending.version).padStart(3, "0")}_${pending.name} failed: ${(err as Error).message}`);
			}
			await tx.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
				pending.version,
				pending.name,
				pending.checksum
			]);
			return `${String(pending.version).padStart(3, "0")}_${pending.name}`;
		});
		if (!next) return appliedNow;
		appliedNow.push(next);
	}
}
