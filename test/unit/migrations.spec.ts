import fs from "node:fs";
import path from "node:path";
import { MigrationError } from "../../lib/kernel/errors";
import { checksumOf, planMigrations, readMigrations, type Migration } from "../../lib/kernel/migrations";
import { migrationsDir } from "../../lib/kernel/paths";
import { testTempDir } from "../support/test-tmp";

function dirWith(files: Record<string, string>): string {
	const dir = testTempDir("agentos-migrations-");
	for (const [name, sql] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), sql);
	return dir;
}

const m = (version: number, name: string, sql = `-- ${name}`): Migration => ({ version, name, sql, checksum: checksumOf(sql) });

describe("migration files", () => {
	it("are read in version order, whatever the directory order", () => {
		const dir = dirWith({ "010_c.sql": "c", "002_b.sql": "b", "001_a.sql": "a", "README.md": "not a migration" });
		expect(readMigrations(dir).map(x => `${x.version}:${x.name}`)).toEqual(["1:a", "2:b", "10:c"]);
	});

	it("are checksummed by content", () => {
		const [a] = readMigrations(dirWith({ "001_a.sql": "CREATE TABLE a ();" }));
		expect(a.checksum).toBe(checksumOf("CREATE TABLE a ();"));
		expect(a.checksum).not.toBe(checksumOf("CREATE TABLE a  ();"));
	});

	it.each(["1_short.sql", "001-dash.sql", "001_Upper.sql", "abc_name.sql"])("refuse the badly named %s", name => {
		expect(() => readMigrations(dirWith({ [name]: "" }))).toThrow(/must be named NNN_name\.sql/);
	});

	it("refuse two files with one version", () => {
		expect(() => readMigrations(dirWith({ "001_a.sql": "", "001_b.sql": "" }))).toThrow("Two migrations share version 001");
	});

	it("in the project all parse", () => {
		const all = readMigrations(migrationsDir());
		expect(all[0]).toMatchObject({ version: 1, name: "kernel" });
	});
});

describe("migration plan", () => {
	const files = [m(1, "a"), m(2, "b"), m(3, "c")];

	it("applies everything on an empty database, in order", () => {
		expect(planMigrations(files, []).map(x => x.version)).toEqual([1, 2, 3]);
	});

	it("applies only what is new", () => {
		expect(planMigrations(files, [files[0], files[1]]).map(x => x.version)).toEqual([3]);
	});

	it("stops when an applied file was edited", () => {
		const edited = { ...files[1], checksum: checksumOf("something else") };
		expect(() => planMigrations(files, [files[0], edited])).toThrow(MigrationError);
		expect(() => planMigrations(files, [files[0], edited])).toThrow("Migration 002_b was changed after it was applied");
	});

	it("stops when the database is ahead of this code", () => {
		expect(() => planMigrations(files.slice(0, 2), files)).toThrow("The database has migration 003_c, which this version of AgentOS does not know");
	});
});
