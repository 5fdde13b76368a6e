import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PgliteDatabase } from "../../lib/kernel/database/pglite-database";
import { testTempDir } from "./test-tmp";

/**
 * PGlite's first open of a new folder runs initdb in WASM: seconds on a busy machine, in
 * every test node. The cluster initdb leaves is the same each time, so it is made once per
 * PGlite version (in the temp dir, shared by every test process) and copied into a new data
 * dir. Nothing else is in it: the node still migrates and draws its own instance id, as on
 * a first boot.
 */
const PGLITE_VERSION = (JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../node_modules/@electric-sql/pglite/package.json"), "utf8")) as { version: string }).version;
const TEMPLATE = path.join(os.tmpdir(), `agentos-test-pgdata-${PGLITE_VERSION}`);

let making: Promise<void> | undefined;

async function makeTemplate(): Promise<void> {
	if (fs.existsSync(path.join(TEMPLATE, "PG_VERSION"))) return;
	const work = fs.mkdtempSync(`${TEMPLATE}-making-`);
	try {
		const db = await PgliteDatabase.open(work);
		await db.close();
		// Atomic: another test process making it at the same time loses the rename, not its data.
		fs.renameSync(path.join(work, "pgdata"), TEMPLATE);
	} catch (err) {
		if (!fs.existsSync(path.join(TEMPLATE, "PG_VERSION"))) throw err;
	} finally {
		fs.rmSync(work, { recursive: true, force: true });
	}
}

/** Gives `dataDir` a freshly initialised, empty PGlite cluster, unless it has one already. */
export async function seedPgdata(dataDir: string): Promise<void> {
	const pgdata = path.join(dataDir, "pgdata");
	if (fs.existsSync(pgdata)) return;
	await (making ??= makeTemplate());
	fs.cpSync(TEMPLATE, pgdata, { recursive: true });
}

/**
 * A new temp data dir holding an initialised, empty cluster, for specs that open PGlite
 * themselves (`PgliteDatabase.open(dir)`): an in-memory database runs initdb on every open.
 */
export async function seededDataDir(): Promise<string> {
	const dir = testTempDir();
	await seedPgdata(dir);
	return dir;
}
