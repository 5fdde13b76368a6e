import { rmSync } from "node:fs";
import { PgliteDatabase } from "../../lib/kernel/database/pglite-database";
import { PgvectorStore } from "../../lib/kernel/vector/pgvector-store";
import { QdrantStore } from "../../lib/kernel/vector/qdrant-store";
import { migrate, readMigrations } from "../../lib/kernel/migrations";
import { migrationsDir } from "../../lib/kernel/paths";
import { seededDataDir } from "../support/pgdata-template";
import { vectorStoreContract } from "../support/vector-store-contract";

let db: PgliteDatabase | undefined;
let dir: string | undefined;

vectorStoreContract(
	"pgvector on embedded PGlite",
	async () => {
		dir = await seededDataDir();
		db = await PgliteDatabase.open(dir);
		await migrate(db, readMigrations(migrationsDir()));
		return new PgvectorStore(db);
	},
	async () => {
		await db?.close();
		if (dir) rmSync(dir, { recursive: true, force: true });
	}
);

// Qdrant cannot run on every machine (it ships as a container or a binary download);
// the same contract runs against a real server whenever QDRANT_URL points at one.
const qdrantUrl = process.env.QDRANT_URL;
if (qdrantUrl) {
	vectorStoreContract("Qdrant", async () => new QdrantStore({ url: qdrantUrl, apiKey: process.env.QDRANT_API_KEY }));
} else {
	// Reported as skipped, with the reason in its name, rather than passing vacuously.
	it.skip("VectorStore contract: Qdrant (not run: QDRANT_URL is not set)", () => undefined);
}
