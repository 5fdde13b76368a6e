import { PgliteDatabase } from "../../lib/kernel/database/pglite-database";

/** Hot statements kept prepared on the embedded database: the same answers as plain queries, in one exchange each. */
describe("prepared statements on PGlite", () => {
	let db: PgliteDatabase;
	beforeAll(async () => {
		db = await PgliteDatabase.open(undefined);
		await db.exec(`CREATE TABLE steps (id uuid, seq integer, tags text[], body jsonb, at timestamptz, ok boolean, cost double precision, PRIMARY KEY (id, seq));`);
	}, 60_000);
	afterAll(() => db?.close());

	const id = "00000000-0000-4000-8000-000000000001";
	const insert = "INSERT INTO steps (id, seq, tags, body, at, ok, cost) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id, seq) DO NOTHING";

	it("writes and reads values as plain queries do, and keeps the statement prepared for the next call", async () => {
		const at = new Date("2026-12-07T10:00:00.000Z");
		const body = { text: "it's \"quoted\" \\ and ünïcode", n: [1, 2] };
		expect(await db.query(insert, [id, 1, ["a", "b"], JSON.stringify(body), at, true, 0.25], { prepare: true })).toMatchObject({ rowCount: 1 });
		expect(await db.query(insert, [id, 2, [], null, at.toISOString(), false, 0], { prepare: true })).toMatchObject({ rowCount: 1 });
		// The same key again: nothing written, and the count says so.
		expect(await db.query(insert, [id, 1, null, null, at, true, 0], { prepare: true })).toMatchObject({ rowCount: 0 });

		const select = "SELECT seq, tags, body, at, ok, cost FROM steps WHERE id = $1 AND seq = ANY($2) ORDER BY seq";
		const prepared = await db.query(select, [id, [1, 2]], { prepare: true });
		const plain = await db.query(select, [id, [1, 2]]);
		expect(prepared.rows).toEqual(plain.rows);
		expect(prepared.rows).toEqual([
			{ seq: 1, tags: ["a", "b"], body, at, ok: true, cost: 0.25 },
			{ seq: 2, tags: [], body: null, at, ok: false, cost: 0 }
		]);

		const { rows } = await db.query<{ statement: string }>("SELECT statement FROM pg_prepared_statements");
		expect(rows.map(r => r.statement)).toEqual(expect.arrayContaining([insert, select]));
	});

	it("answers a duplicate key with 409 ALREADY_EXISTS and lets other errors through, and the statement still works after", async () => {
		await db.exec("CREATE TABLE names (name text PRIMARY KEY)");
		const add = "INSERT INTO names (name) VALUES ($1)";
		await db.query(add, ["ada"], { prepare: true });
		await expect(db.query(add, ["ada"], { prepare: true })).rejects.toMatchObject({ code: 409, type: "ALREADY_EXISTS", data: { field: "name" } });
		await expect(db.query("SELECT nope FROM names", [], { prepare: true })).rejects.toMatchObject({ code: "42703" });
		await expect(db.query(add, ["grace"], { prepare: true })).resolves.toMatchObject({ rowCount: 1 });
	});

	it("waits for a transaction in progress rather than running inside it", async () => {
		await db.exec("CREATE TABLE marks (n integer)");
		let release!: () => void;
		const held = new Promise<void>(resolve => (release = resolve));
		const tx = db.transaction(async t => {
			await t.query("INSERT INTO marks (n) VALUES (1)");
			await held;
			throw new Error("rolled back");
		});
		const outside = db.query("INSERT INTO marks (n) VALUES ($1)", [2], { prepare: true });
		release();
		await expect(tx).rejects.toThrow("rolled back");
		await outside;
		expect((await db.query<{ n: number }>("SELECT n FROM marks")).rows).toEqual([{ n: 2 }]);
	});

	it("keeps answering when a table under a prepared `SELECT *` changes, after DEALLOCATE, and when more statements are used than it keeps", async () => {
		await db.exec("CREATE TABLE notes (id integer PRIMARY KEY, text text); INSERT INTO notes VALUES (1, 'one')");
		const all = "SELECT * FROM notes WHERE id = $1";
		expect((await db.query(all, [1], { prepare: true })).rows).toEqual([{ id: 1, text: "one" }]);
		await db.exec("ALTER TABLE notes ADD COLUMN lang text DEFAULT 'en'");
		expect((await db.query(all, [1], { prepare: true })).rows).toEqual([{ id: 1, text: "one", lang: "en" }]);
		await db.exec("DEALLOCATE ALL");
		expect((await db.query(all, [1], { prepare: true })).rows).toEqual([{ id: 1, text: "one", lang: "en" }]);

		for (let i = 0; i < 100; i++) expect((await db.query<{ n: number }>(`SELECT $1::int + ${i} AS n`, [1], { prepare: true })).rows).toEqual([{ n: 1 + i }]);
		const { rows } = await db.query<{ count: number }>("SELECT count(*)::int AS count FROM pg_prepared_statements");
		expect(rows[0].count).toBeLessThanOrEqual(64);
	});
});
