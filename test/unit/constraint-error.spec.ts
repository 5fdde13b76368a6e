import { rmSync } from "node:fs";
import { PgliteDatabase } from "../../lib/kernel/database/pglite-database";
import { seededDataDir } from "../support/pgdata-template";

/** A request naming a row that is not there, or one that already is, reaches SQL: it must come back as the client's error. */
describe("key violations from the database", () => {
	let db: PgliteDatabase;
	let dir: string | undefined;
	beforeAll(async () => {
		dir = await seededDataDir();
		db = await PgliteDatabase.open(dir);
		await db.exec(`CREATE TABLE policies (id uuid PRIMARY KEY, name text UNIQUE);
			CREATE TABLE moderation_cases (id serial PRIMARY KEY, policy_id uuid REFERENCES policies(id));`);
		await db.query("INSERT INTO policies (id, name) VALUES ($1, 'spam')", ["00000000-0000-4000-8000-000000000001"]);
		await db.query("INSERT INTO moderation_cases (policy_id) VALUES ($1)", ["00000000-0000-4000-8000-000000000001"]);
	}, 60_000);
	afterAll(async () => {
		await db?.close();
		if (dir) rmSync(dir, { recursive: true, force: true });
	});

	it("answers an unknown reference with 422 REFERENCE_NOT_FOUND naming the field, in and out of transactions", async () => {
		const missing = "00000000-0000-4000-8000-0000000000ff";
		const expected = { code: 422, type: "REFERENCE_NOT_FOUND", data: { field: "policyId", table: "policies" } };
		await expect(db.query("INSERT INTO moderation_cases (policy_id) VALUES ($1)", [missing])).rejects.toMatchObject(expected);
		await expect(db.transaction(tx => tx.query("INSERT INTO moderation_cases (policy_id) VALUES ($1)", [missing]))).rejects.toMatchObject(expected);
	});

	it("answers a duplicate with 409 ALREADY_EXISTS and a delete of a row still referred to with 409 STILL_REFERENCED", async () => {
		await expect(db.query("INSERT INTO policies (id, name) VALUES ($1, 'spam')", ["00000000-0000-4000-8000-000000000002"])).rejects.toMatchObject({
			code: 409,
			type: "ALREADY_EXISTS",
			data: { field: "name" }
		});
		await expect(db.query("DELETE FROM policies WHERE id = $1", ["00000000-0000-4000-8000-000000000001"])).rejects.toMatchObject({ code: 409, type: "STILL_REFERENCED" });
	});

	it("lets other SQL errors through unchanged", async () => {
		await expect(db.query("SELECT nope FROM policies")).rejects.toMatchObject({ code: "42703" });
	});
});
