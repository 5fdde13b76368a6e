import { PgliteDatabase } from "../../lib/kernel/database/pglite-database";
import { PgvectorStore } from "../../lib/kernel/vector/pgvector-store";
import { QdrantStore } from "../../lib/kernel/vector/qdrant-store";
import { migrate, readMigrations } from "../../lib/kernel/migrations";
import { migrationsDir } from "../../lib/kernel/paths";
import { vectorStoreContract } from "../support/vector-store-contract";

let db: PgliteDatabase | undefined;

vectorStoreContract(
	"pgvector on embedded PGlite",
	async () => {
		db = await PgliteDatabase.open(undefined);
		await migrate(db, readMigrations(migrationsDir()));
		return new PgvectorStore(db);
	},
	async () => db?.close()
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
