import type { Database } from "../../lib/kernel/database";
import { PostgresDatabase } from "../../lib/kernel/database/postgres-database";
import { migrate, readMigrations } from "../../lib/kernel/migrations";
import { migrationsDir } from "../../lib/kernel/paths";
import { ApprovalStore } from "../../lib/security/approval-store";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";

/**
 * Every node sweeps for the approvals of suspended runs whose time is up; each must be
 * closed, and announced (which wakes its run), by one node only. Two stores on two
 * connection pools to one real PostgreSQL server stand for two nodes.
 */
describe("expiring suspended runs' approvals from several nodes", () => {
	let pg: PostgresServer;
	const dbs: Database[] = [];

	beforeAll(async () => {
		pg = await startPostgres();
	}, 120_000);
	afterAll(async () => {
		for (const db of dbs) await db.close();
		await pg?.destroy();
	});

	const node = async (url: string) => {
		const db = new PostgresDatabase({ url, poolMax: 4 });
		dbs.push(db);
		return new ApprovalStore(db);
	};

	it("closes each approval past its time once, whichever node sweeps; leaves those not due and those a call waits for in memory", async () => {
		const url = await createDatabase(pg, "approval_expiry");
		const setup = new PostgresDatabase({ url, poolMax: 1 });
		dbs.push(setup);
		await migrate(setup, readMigrations(migrationsDir()));
		const [a, b] = [await node(url), await node(url)];

		const due = await Promise.all(Array.from({ length: 40 }, (_, i) => a.open("waiter", "task.waitFor", { i }, "may I?", 1, `task-${i}`)));
		const later = await b.open("waiter", "task.waitFor", {}, "and later?", 60_000, "task-later");
		// A call waiting in memory (no run) expires with its own timer, on the node it waits on.
		const inMemory = await a.open("waiter", "task.waitFor", {}, "now?", 1, null);
		await new Promise(r => setTimeout(r, 20));

		const swept = (await Promise.all([a.expireDue(), b.expireDue(), a.expireDue(), b.expireDue()])).flat();
		const ids = swept.map(x => x.id);
		expect(new Set(ids).size).toBe(ids.length);
		expect(ids.sort()).toEqual(due.map(x => x.id).sort());
		expect(swept.every(x => x.status === "expired" && x.decidedAt !== null && x.usedAt === null)).toBe(true);
		expect(await a.expireDue()).toEqual([]);

		expect((await a.get(later.id))?.status).toBe("pending");
		expect((await a.get(inMemory.id))?.status).toBe("pending");
		// The resumed run takes the expiry as its answer, once.
		expect(await b.use(due[0].id)).toMatchObject({ status: "expired" });
		expect(await a.use(due[0].id)).toBeUndefined();
	});
});
