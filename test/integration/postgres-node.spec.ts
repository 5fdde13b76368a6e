import type { HealthReport, ReadinessReport } from "../../services/health.service";
import { Client } from "pg";
import { PostgresDatabase } from "../../lib/kernel/database/postgres-database";
import { checksumOf, migrate, readMigrations, type Migration } from "../../lib/kernel/migrations";
import { migrationsDir } from "../../lib/kernel/paths";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

async function rows<T>(url: string, sql: string): Promise<T[]> {
	const client = new Client({ connectionString: url });
	await client.connect();
	try {
		return (await client.query(sql)).rows as T[];
	} finally {
		await client.end();
	}
}

describe("nodes on a real PostgreSQL server", () => {
	let pg: PostgresServer;
	beforeAll(async () => {
		pg = await startPostgres();
	});
	afterAll(() => pg.destroy());

	it("two nodes booting together apply each migration exactly once", async () => {
		const url = await createDatabase(pg, "race_nodes");
		const [a, b] = await Promise.all([startTestNode({ DATABASE_URL: url, NODE_ID: "node-a" }), startTestNode({ DATABASE_URL: url, NODE_ID: "node-b" })]);
		try {
			await Promise.all([a.node.ready, b.node.ready]);
			const applied = await rows<{ version: number }>(url, "SELECT version FROM schema_migrations ORDER BY version");
			expect(applied.map(r => r.version)).toEqual(readMigrations(migrationsDir()).map(m => m.version));
			// Both nodes see the one installation id the first migration created.
			expect(await rows(url, "SELECT value FROM kernel_meta WHERE key = 'instance_id'")).toHaveLength(1);
			expect(a.node.kernel.instanceId).toBe(b.node.kernel.instanceId);
			expect(await rows(url, "SELECT node_id FROM kernel_nodes ORDER BY node_id")).toHaveLength(2);
		} finally {
			await Promise.all([a.stop(), b.stop()]);
		}
	});

	it("many racing migrators run a non-idempotent migration once", async () => {
		const url = await createDatabase(pg, "race_migrators");
		const sql = "CREATE TABLE IF NOT EXISTS hits (n int); INSERT INTO hits VALUES (1);";
		const list: Migration[] = [
			{ version: 1, name: "hits", sql, checksum: checksumOf(sql) },
			{ version: 2, name: "more", sql: "INSERT INTO hits VALUES (2);", checksum: checksumOf("INSERT INTO hits VALUES (2);") }
		];
		const dbs = Array.from({ length: 6 }, () => new PostgresDatabase({ url, poolMax: 2 }));
		try {
			const appliedBy = await Promise.all(dbs.map(db => migrate(db, list)));
			expect(appliedBy.flat().sort()).toEqual(["001_hits", "002_more"]);
			expect(await rows(url, "SELECT n FROM hits ORDER BY n")).toEqual([{ n: 1 }, { n: 2 }]);
		} finally {
			await Promise.all(dbs.map(db => db.close()));
		}
	});

	it("a connection lost in the middle of a transaction fails that transaction as unavailable, and the next one works", async () => {
		const url = await createDatabase(pg, "lost_in_tx");
		const db = new PostgresDatabase({ url, poolMax: 2 });
		try {
			const failed = db.transaction(async tx => {
				const { rows: [me] } = await tx.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
				// Another session ends this one's connection, as a server restart or failover does.
				await rows(url, `SELECT pg_terminate_backend(${me.pid})`);
				await new Promise(resolve => setTimeout(resolve, 200));
				await tx.query("SELECT 1");
			});
			await expect(failed).rejects.toMatchObject({ type: "DATABASE_UNAVAILABLE" });
			await expect(db.transaction(tx => tx.query("SELECT 1 AS one"))).resolves.toMatchObject({ rows: [{ one: 1 }] });
		} finally {
			await db.close();
		}
	});

	it("a failing migration is rolled back and stops the boot with its name", async () => {
		const url = await createDatabase(pg, "broken_migration");
		const good = "CREATE TABLE good (n int);";
		const bad = "CREATE TABLE half (n int); SELECT no_such_function();";
		const db = new PostgresDatabase({ url, poolMax: 1 });
		try {
			await expect(
				migrate(db, [
					{ version: 1, name: "good", sql: good, checksum: checksumOf(good) },
					{ version: 2, name: "bad", sql: bad, checksum: checksumOf(bad) }
				])
			).rejects.toThrow(/Migration 002_bad failed: function no_such_function\(\) does not exist/);
			expect(await rows(url, "SELECT version FROM schema_migrations")).toEqual([{ version: 1 }]);
			expect(await rows(url, "SELECT to_regclass('half') AS t")).toEqual([{ t: null }]);
		} finally {
			await db.close();
		}
	});

	it("keeps data across a node restart", async () => {
		const url = await createDatabase(pg, "restart");
		const first = await startTestNode({ DATABASE_URL: url });
		await first.node.ready;
		await first.node.kernel.db.query("INSERT INTO kernel_meta (key, value) VALUES ('note', $1)", [JSON.stringify("kept")]);
		const instanceId = first.node.kernel.instanceId;
		await first.stop();

		const second = await startTestNode({ DATABASE_URL: url });
		try {
			await second.node.ready;
			expect(second.node.kernel.instanceId).toBe(instanceId);
			const { rows: kept } = await second.node.kernel.db.query<{ value: string }>("SELECT value FROM kernel_meta WHERE key = 'note'");
			expect(kept).toEqual([{ value: "kept" }]);
		} finally {
			await second.stop();
		}
	});

	it("reports the vector store down with the fix when the server lacks pgvector", async () => {
		const url = await createDatabase(pg, "no_vector");
		const t = await startTestNode({ DATABASE_URL: url });
		try {
			await t.node.ready;
			const body = await t.json<HealthReport>("/health");
			expect(body.status).toBe("degraded");
			expect(body.subsystems.vectorStore).toEqual({
				state: "down",
				kind: "pgvector",
				error: expect.stringContaining("no pgvector extension; install it (CREATE EXTENSION vector) or set QDRANT_URL")
			});
		} finally {
			await t.stop();
		}
	});
});

describe("readiness follows the database", () => {
	let pg: PostgresServer;
	let t: TestNode;
	const status = async () => (await t.request("/ready", { auth: false })).status;

	beforeAll(async () => {
		pg = await startPostgres();
	});
	afterAll(async () => {
		await t?.stop();
		await pg.destroy();
	});

	it("goes 503 when PostgreSQL stops and 200 when it returns, without switching storage", async () => {
		t = await startTestNode({ DATABASE_URL: pg.url, DATABASE_RETRY_MAX_MS: "500" });
		await t.node.ready;
		expect(await status()).toBe(200);

		await pg.stop();
		const down = await t.request("/ready", { auth: false });
		expect(down.status).toBe(503);
		const body = (await down.json()) as ReadinessReport;
		expect(body.ready).toBe(false);
		expect(body.checks.database).toMatchObject({ state: "down", kind: "postgres" });
		expect(body.checks.database.error).toBeTruthy();
		const health = await t.json<HealthReport>("/health");
		expect(health.status).toBe("down");

		await pg.start();
		await eventually("/ready to answer 200 again", async () => (await status()) === 200);
		expect(t.node.kernel.databaseStatus().kind).toBe("postgres");
	});

	it("boots while PostgreSQL is down, says why, and becomes ready when it comes up", async () => {
		await t.stop();
		await pg.stop();
		t = await startTestNode({ DATABASE_URL: pg.url, DATABASE_RETRY_MAX_MS: "500" });
		expect(await status()).toBe(503);
		const { checks } = await t.json<ReadinessReport>("/ready");
		expect(["connecting", "down"]).toContain(checks.database.state);
		expect(checks.database.error).toMatch(/ECONNREFUSED|connect/);

		await pg.start();
		await t.node.ready;
		expect(await status()).toBe(200);
	});
});
