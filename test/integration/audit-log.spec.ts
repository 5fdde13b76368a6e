import { createHmac } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { canonicalJson } from "../../lib/kernel/canonical-json";
import type { Database, Queryable } from "../../lib/kernel/database";
import { PgliteDatabase } from "../../lib/kernel/database/pglite-database";
import { PostgresDatabase } from "../../lib/kernel/database/postgres-database";
import { DatabaseUnavailableError } from "../../lib/kernel/errors";
import { migrate, readMigrations } from "../../lib/kernel/migrations";
import { migrationsDir } from "../../lib/kernel/paths";
import { CheckpointStore } from "../../lib/security/audit-checkpoints";
import { AuditKey, AuditLog, GENESIS_HASH, type AuditEvent, type AuditLogOptions, type AuditRecord } from "../../lib/security/audit-log";
import { AuditBufferFullError } from "../../lib/security/errors";
import { seededDataDir } from "../support/pgdata-template";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";
import { eventually } from "../support/test-node";
import { testTempDir } from "../support/test-tmp";

const DAY_MS = 86_400_000;
let pg: PostgresServer;
let databases = 0;
let cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
	pg = await startPostgres();
}, 120_000);
afterAll(async () => {
	await (await pglite)?.close();
	if (pgliteDir) fs.rmSync(pgliteDir, { recursive: true, force: true });
	await pg?.destroy();
});
afterEach(async () => {
	for (const cleanup of cleanups.reverse()) await cleanup();
	cleanups = [];
});

async function migrated(db: Database): Promise<Database> {
	cleanups.push(() => db.close());
	await migrate(db, readMigrations(migrationsDir()));
	return db;
}

// One embedded database for all its tests, emptied before each: opening and migrating PGlite takes seconds.
let pglite: Promise<Database> | undefined;
let pgliteDir: string | undefined;
async function openPglite(): Promise<Database> {
	pglite ??= seededDataDir().then(async dir => {
		pgliteDir = dir;
		const db = await PgliteDatabase.open(dir);
		await migrate(db, readMigrations(migrationsDir()));
		return db;
	});
	const db = await pglite;
	await db.exec("TRUNCATE audit_log RESTART IDENTITY");
	return db;
}
const freshPostgresUrl = () => createDatabase(pg, `audit_${++databases}`);
const openPostgres = async (url?: string) => migrated(new PostgresDatabase({ url: url ?? (await freshPostgresUrl()), poolMax: 4 }));

const SECRET = "the audit key of these tests";
const key = new AuditKey(SECRET);

function auditLog(db: Database, options: Partial<AuditLogOptions> = {}): AuditLog {
	const store = new CheckpointStore(path.join(testTempDir("agentos-audit-"), "audit-checkpoints.json"));
	const log = new AuditLog(db, { node: "node-1", key, checkpoints: { store, every: 1_000_000, intervalMs: 3_600_000 }, ...options });
	cleanups.push(() => log.stop());
	return log;
}

const event = (i: number, extra: Partial<AuditEvent> = {}): AuditEvent => ({ actor: { kind: "agent", id: "agent-1" }, action: "tools.fs.read", outcome: "allowed", data: { i }, ...extra });

async function count(db: Database): Promise<number> {
	return Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM audit_log")).rows[0].n);
}

/** Every row, oldest first. */
async function all(log: AuditLog): Promise<AuditRecord[]> {
	const lines: AuditRecord[] = [];
	for await (const line of log.exportLines({})) lines.push(JSON.parse(line) as AuditRecord);
	return lines;
}

/** The documented formula, computed independently of the implementation. */
function expectedHash(prevHash: string, r: AuditRecord): string {
	const keyId = createHmac("sha256", SECRET).update("agentos audit key id").digest("hex").slice(0, 16);
	const principal = r.principal ?? r.actor;
	const body = { at: r.at, actorKind: r.actor.kind, actorId: r.actor.id, node: r.node, action: r.action, target: r.target, outcome: r.outcome, requestId: r.requestId, data: r.data };
	return createHmac("sha256", SECRET)
		.update(prevHash + canonicalJson({ ...body, principalKind: principal.kind, principalId: principal.id, keyId }))
		.digest("hex");
}

describe.each([
	["embedded PGlite", () => openPglite()],
	["a PostgreSQL server", () => openPostgres()]
])("the audit log on %s", (_name, open) => {
	it("writes entries in the order recorded, chained, with the time they happened", async () => {
		const db = await open();
		const log = auditLog(db);
		const t0 = new Date("2025-03-04T05:06:07.891Z");
		for (let i = 0; i < 5; i++) log.record(event(i, { at: new Date(t0.getTime() + i), requestId: `req-${i}`, target: i % 2 ? "/tmp/x" : null }));
		const before = Date.now();
		log.record(event(5));
		const recorded = Date.now();
		expect(log.buffered).toBe(6);
		await new Promise(resolve => setTimeout(resolve, 20));
		await log.flush();
		expect(log.buffered).toBe(0);

		const rows = await all(log);
		expect(rows.map(r => r.data.i)).toEqual([0, 1, 2, 3, 4, 5]);
		expect(rows[0].prevHash).toBe(GENESIS_HASH);
		rows.forEach((r, i) => {
			if (i > 0) expect(r.prevHash).toBe(rows[i - 1].hash);
			expect(r.hash).toBe(expectedHash(r.prevHash, r));
		});
		expect(rows[1]).toMatchObject({ at: "2025-03-04T05:06:07.892Z", actor: { kind: "agent", id: "agent-1" }, node: "node-1", target: "/tmp/x", requestId: "req-1" });
		// The time of recording, not of writing (which came 20 ms later).
		expect(Date.parse(rows[5].at)).toBeGreaterThanOrEqual(before);
		expect(Date.parse(rows[5].at)).toBeLessThanOrEqual(recorded);
		expect(await log.verify()).toMatchObject({ ok: true, checked: 6 });
	});

	it("writes data PostgreSQL would reject or alter in the form it gives back, so it still verifies", async () => {
		const db = await open();
		const log = auditLog(db);
		const when = new Date("2025-01-01T00:00:00.000Z");
		log.record(event(0, { actor: { kind: "user", id: "bad\ud800id" }, target: "nul\0target", data: { z: 1, a: { y: [1, undefined, "x\0y"], b: "\udc00" }, when, big: 1e300, small: 0.1, "k\0": true } }));
		await log.flush();
		const [row] = await all(log);
		expect(row.actor.id).toBe("bad\ufffdid");
		expect(row.target).toBe("nul\ufffdtarget");
		expect(row.data).toEqual({ a: { b: "\ufffd", y: [1, null, "x\ufffdy"] }, big: 1e300, small: 0.1, when: "2025-01-01T00:00:00.000Z", z: 1, "k\ufffd": true });
		expect(await log.verify()).toMatchObject({ ok: true, checked: 1 });
	});

	it("filters by actor, agent (actor or target), action prefix, outcome and time, newest first, with a total", async () => {
		const log = auditLog(await open());
		const t0 = Date.parse("2025-06-01T12:00:00.000Z");
		const events: Partial<AuditEvent>[] = [
			{ actor: { kind: "user", id: "alice" }, action: "agents.create", target: "agent-1", outcome: "succeeded" },
			{ actor: { kind: "agent", id: "agent-1" }, action: "tools.fs.read", target: "/tmp/x", outcome: "allowed" },
			{ actor: { kind: "agent", id: "agent-1" }, action: "tools.shell.run", outcome: "denied" },
			{ actor: { kind: "user", id: "bob" }, action: "agents.delete", target: "agent-2", outcome: "failed" },
			{ actor: { kind: "system", id: "kernel" }, action: "agents.sanction", target: "agent-1", outcome: "succeeded" },
			{ actor: { kind: "agent", id: "agent-2" }, action: "agentsmith.run", outcome: "allowed" },
			{ actor: { kind: "user", id: "alice" }, action: "tool_x.run", outcome: "allowed" },
			{ actor: { kind: "user", id: "alice" }, action: "toolYx.run", outcome: "allowed" }
		];
		events.forEach((e, i) => log.record(event(i, { ...e, at: new Date(t0 + i * 60_000) })));
		await log.flush();
		const ids = async (q: Parameters<AuditLog["query"]>[0]) => (await log.query(q)).items.map(r => r.data.i);

		expect(await ids({ actorId: "alice" })).toEqual([7, 6, 0]);
		expect(await ids({ agentId: "agent-1" })).toEqual([4, 2, 1, 0]);
		expect(await ids({ action: "agents.*" })).toEqual([4, 3, 0]);
		expect(await ids({ action: "agents.create" })).toEqual([0]);
		expect(await ids({ action: "tool_x.*" })).toEqual([6]);
		expect(await ids({ outcome: "denied" })).toEqual([2]);
		expect(await ids({ since: new Date(t0 + 2 * 60_000), until: new Date(t0 + 5 * 60_000) })).toEqual([4, 3, 2]);
		expect(await ids({ agentId: "agent-1", outcome: "succeeded" })).toEqual([4, 0]);

		expect(await log.query({ limit: 3 })).toMatchObject({ total: 8, limit: 3, offset: 0 });
		expect(await ids({ limit: 3 })).toEqual([7, 6, 5]);
		expect(await ids({ limit: 3, offset: 3 })).toEqual([4, 3, 2]);
		const last = await log.query({ actorId: "alice", limit: 2, offset: 2 });
		expect(last.items.map(r => r.data.i)).toEqual([0]);
		expect(last.total).toBe(3);
		expect((await log.query({ limit: 5000 })).limit).toBe(1000);
	});

	it("exports every row as JSON lines in order, across pages, and verifies them all", async () => {
		const db = await open();
		const log = auditLog(db);
		for (let i = 0; i < 2500; i++) log.record(event(i, { outcome: i % 10 === 0 ? "denied" : "allowed" }));
		await log.flush();
		const rows = await all(log);
		expect(rows.map(r => r.data.i)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
		expect(rows.every((r, i) => i === 0 || r.seq > rows[i - 1].seq)).toBe(true);
		const denied: string[] = [];
		for await (const line of log.exportLines({ outcome: "denied" })) denied.push(line);
		expect(denied).toHaveLength(250);
		expect(denied.every(line => !line.includes("\n") && JSON.parse(line).outcome === "denied")).toBe(true);
		expect(await log.verify()).toMatchObject({ ok: true, checked: 2500 });
	});

	it("verify names the first edited row (data, or `at` by one microsecond) and the row after a removed one", async () => {
		const db = await open();
		const log = auditLog(db);
		for (let i = 0; i < 10; i++) log.record(event(i, { data: { amount: i } }));
		await log.flush();
		const seqs = (await all(log)).map(r => r.seq);
		expect(await log.verify()).toMatchObject({ ok: true, checked: 10 });

		await db.query("UPDATE audit_log SET data = $1::jsonb WHERE seq = $2", ['{"amount": 1000}', seqs[4]]);
		expect(await log.verify()).toMatchObject({ ok: false, checked: 4, firstBad: { check: "edited", seq: seqs[4], reason: expect.stringMatching(/edited/) } });
		await db.query("UPDATE audit_log SET data = $1::jsonb WHERE seq = $2", ['{"amount": 4}', seqs[4]]);
		expect((await log.verify()).ok).toBe(true);

		// A Date would show the same millisecond; the check must see the microsecond.
		await db.query("UPDATE audit_log SET at = at + interval '1 microsecond' WHERE seq = $1", [seqs[2]]);
		expect((await log.verify()).firstBad).toEqual({ check: "edited", seq: seqs[2], reason: expect.stringMatching(/edited/) });
		await db.query("UPDATE audit_log SET at = at - interval '1 microsecond' WHERE seq = $1", [seqs[2]]);
		expect((await log.verify()).ok).toBe(true);

		await db.query("DELETE FROM audit_log WHERE seq = $1", [seqs[6]]);
		expect(await log.verify()).toMatchObject({ ok: false, checked: 6, firstBad: { check: "chain_broken", seq: seqs[7], reason: expect.stringMatching(/removed/) } });
	});

	it("purges only old entries from the start of the chain, which still verifies from its new anchor", async () => {
		const db = await open();
		const log = auditLog(db);
		const old = Date.now() - 400 * DAY_MS;
		for (let i = 0; i < 3; i++) log.record(event(i, { at: new Date(old + i) }));
		log.record(event(3));
		log.record(event(4));
		// Written late (it waited in a buffer): removing it would cut the chain in the middle.
		log.record(event(5, { at: new Date(old) }));
		await log.flush();

		expect(await log.purgeOlderThan(365)).toBe(3);
		expect((await all(log)).map(r => r.data.i)).toEqual([3, 4, 5]);
		expect(await log.verify()).toMatchObject({ ok: true, checked: 3 });
		log.record(event(6));
		await log.flush();
		expect(await log.verify()).toMatchObject({ ok: true, checked: 4 });

		// Everything old: the newest row stays, so the chain carries on from it.
		await new Promise(resolve => setTimeout(resolve, 5));
		expect(await log.purgeOlderThan(0)).toBe(3);
		expect((await all(log)).map(r => r.data.i)).toEqual([6]);
		log.record(event(7));
		await log.flush();
		expect(await log.verify()).toMatchObject({ ok: true, checked: 2 });
		expect(await log.purgeOlderThan(365)).toBe(0);
	});

	it("does not write a batch twice when its commit failed but went through", async () => {
		const real = await open();
		let loseNextCommit = true;
		const flaky: Database = {
			kind: real.kind,
			query: (sql, params) => real.query(sql, params),
			exec: sql => real.exec(sql),
			transaction: async <T>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
				const value = await real.transaction(fn);
				if (loseNextCommit) {
					loseNextCommit = false;
					throw new DatabaseUnavailableError("Connection terminated during COMMIT");
				}
				return value;
			},
			ping: ms => real.ping(ms),
			hasVectorExtension: () => real.hasVectorExtension(),
			close: () => real.close()
		};
		const log = auditLog(flaky);
		for (let i = 0; i < 3; i++) log.record(event(i));
		await expect(log.flush()).rejects.toThrow(DatabaseUnavailableError);
		expect(log.buffered).toBe(3);
		await log.flush();
		expect(log.buffered).toBe(0);
		expect(await count(real)).toBe(3);
		log.record(event(3));
		await log.flush();
		expect((await all(log)).map(r => r.data.i)).toEqual([0, 1, 2, 3]);
		expect(await log.verify()).toMatchObject({ ok: true, checked: 4 });
	});

	it("once started, writes on a timer, and at once when a batch is waiting", async () => {
		const db = await open();
		const slow = auditLog(db, { batchSize: 5, flushIntervalMs: 60_000 });
		slow.start();
		for (let i = 0; i < 4; i++) slow.record(event(i));
		await new Promise(resolve => setTimeout(resolve, 300));
		expect(slow.buffered).toBe(4);
		slow.record(event(4));
		await eventually("a full batch to be written", () => slow.buffered === 0, 5000, 10);

		const fast = auditLog(db, { flushIntervalMs: 20 });
		fast.start();
		fast.record(event(5));
		await eventually("the timer to write", () => fast.buffered === 0, 5000, 10);
		expect(await count(db)).toBe(6);
	});
});

describe("the audit log on a shared PostgreSQL server", () => {
	it("two nodes writing at once extend one valid chain, each in its own order", async () => {
		const url = await freshPostgresUrl();
		const [dbA, dbB] = [await openPostgres(url), await openPostgres(url)];
		const a = auditLog(dbA, { node: "node-a", batchSize: 50, flushIntervalMs: 5 });
		const b = auditLog(dbB, { node: "node-b", batchSize: 50, flushIntervalMs: 5 });
		a.start();
		b.start();
		for (let i = 0; i < 500; i++) {
			a.record(event(i));
			b.record(event(i));
			if (i % 20 === 0) await new Promise(resolve => setTimeout(resolve, 2));
		}
		await Promise.all([a.stop(), b.stop()]);
		expect(await count(dbA)).toBe(1000);
		expect(await a.verify()).toMatchObject({ ok: true, checked: 1000 });
		const rows = await all(a);
		for (const node of ["node-a", "node-b"]) {
			expect(rows.filter(r => r.node === node).map(r => r.data.i)).toEqual(Array.from({ length: 500 }, (_, i) => i));
		}
		// The writes really did interleave, or this proved nothing about the lock.
		expect(rows.filter((r, i) => i > 0 && r.node !== rows[i - 1].node).length).toBeGreaterThan(2);
	});

	it("keeps entries while the server is down and writes each exactly once when it is back", async () => {
		const db = await openPostgres();
		const errors: Error[] = [];
		const log = auditLog(db, { flushIntervalMs: 20, maxBackoffMs: 200, onError: err => errors.push(err) });
		log.start();
		log.record(event(-1));
		await eventually("the first entry to be written", () => log.buffered === 0, 5000, 10);
		await pg.stop();
		try {
			for (let i = 0; i < 300; i++) log.record(event(i));
			expect(log.buffered).toBe(300);
			await eventually("a failed write to be reported", () => errors.length > 0, 10_000, 10);
			expect(errors[0]).toBeInstanceOf(DatabaseUnavailableError);
			expect(log.buffered).toBe(300);
		} finally {
			await pg.start();
		}
		await eventually("the buffer to drain", () => log.buffered === 0, 30_000, 20);
		expect(await count(db)).toBe(301);
		expect((await all(log)).map(r => r.data.i)).toEqual(Array.from({ length: 301 }, (_, i) => i - 1));
		expect(await log.verify()).toMatchObject({ ok: true, checked: 301 });
	});

	it("refuses new entries when the buffer is full, and takes them again once it drains", async () => {
		const db = await openPostgres();
		const errors: Error[] = [];
		const log = auditLog(db, { maxBuffer: 10, flushIntervalMs: 20, maxBackoffMs: 100, onError: err => errors.push(err) });
		await pg.stop();
		try {
			log.start();
			for (let i = 0; i < 10; i++) log.record(event(i));
			expect(log.full).toBe(true);
			let refused: unknown;
			try {
				log.record(event(10));
			} catch (err) {
				refused = err;
			}
			expect(refused).toBeInstanceOf(AuditBufferFullError);
			expect(refused).toMatchObject({ code: 503, type: "AUDIT_UNAVAILABLE", retryable: true, message: expect.stringMatching(/privileged actions are refused/) });
			await eventually("a failed write to be reported", () => errors.length > 0, 10_000, 10);
			expect(log.buffered).toBe(10);
		} finally {
			await pg.start();
		}
		await eventually("the buffer to drain", () => log.buffered === 0, 30_000, 20);
		expect(log.full).toBe(false);
		log.record(event(10));
		await log.flush();
		expect(await count(db)).toBe(11);
		expect(await log.verify()).toMatchObject({ ok: true, checked: 11 });
	});
});
