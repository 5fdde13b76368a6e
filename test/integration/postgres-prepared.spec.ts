import { PostgresDatabase } from "../../lib/kernel/database/postgres-database";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";

/** Hot statements kept prepared on a PostgreSQL server: the same answers as plain queries, prepared once per connection. */
describe("prepared statements on PostgreSQL", () => {
	let server: PostgresServer;
	let db: PostgresDatabase;
	beforeAll(async () => {
		server = await startPostgres();
		// One connection, so the statement prepared by one call is the one the next finds.
		db = new PostgresDatabase({ url: await createDatabase(server, "prepared_statements"), poolMax: 1 });
		await db.exec("CREATE TABLE steps (id uuid, seq integer, body jsonb, at timestamptz, PRIMARY KEY (id, seq))");
	}, 120_000);
	afterAll(async () => {
		await db?.close();
		await server?.destroy();
	});

	it("writes and reads as plain queries do, keeps the statement prepared, and answers a duplicate with 409 ALREADY_EXISTS", async () => {
		const id = "00000000-0000-4000-8000-000000000001";
		const at = new Date("2026-12-07T10:00:00.000Z");
		const insert = "INSERT INTO steps (id, seq, body, at) VALUES ($1, $2, $3, $4)";
		for (const seq of [1, 2]) expect(await db.query(insert, [id, seq, JSON.stringify({ seq }), at], { prepare: true })).toMatchObject({ rowCount: 1 });

		const select = "SELECT seq, body, at FROM steps WHERE id = $1 ORDER BY seq";
		expect((await db.query(select, [id], { prepare: true })).rows).toEqual((await db.query(select, [id])).rows);
		expect((await db.query(select, [id], { prepare: true })).rows).toEqual([
			{ seq: 1, body: { seq: 1 }, at },
			{ seq: 2, body: { seq: 2 }, at }
		]);
		const { rows } = await db.query<{ statement: string }>("SELECT statement FROM pg_prepared_statements");
		expect(rows.map(r => r.statement)).toEqual(expect.arrayContaining([insert, select]));

		// The pool replaces a connection whose query failed: the next call prepares the statement on the new one.
		await expect(db.query(insert, [id, 1, null, at], { prepare: true })).rejects.toMatchObject({ code: 409, type: "ALREADY_EXISTS" });
		expect(await db.query(insert, [id, 3, null, at], { prepare: true })).toMatchObject({ rowCount: 1 });
	});
});
