import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { canonicalJson } from "../../lib/kernel/canonical-json";
import type { Database } from "../../lib/kernel/database";
import { PostgresDatabase } from "../../lib/kernel/database/postgres-database";
import { migrate, readMigrations } from "../../lib/kernel/migrations";
import { migrationsDir } from "../../lib/kernel/paths";
import { CheckpointStore } from "../../lib/security/audit-checkpoints";
import { AuditKey, AuditLog, GENESIS_HASH, type AuditEvent, type AuditLogOptions } from "../../lib/security/audit-log";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";
import { eventually } from "../support/test-node";
import { testTempDir } from "../support/test-tmp";

/**
 * Someone with access to the database (not to the key, nor to the nodes' data dirs) edits
 * the log with plain SQL; each tampering is found and named, with the row it concerns.
 */
let pg: PostgresServer;
let databases = 0;
let cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
	pg = await startPostgres();
}, 120_000);
afterAll(() => pg?.destroy());
afterEach(async () => {
	for (const cleanup of cleanups.reverse()) await cleanup();
	cleanups = [];
});

const key = new AuditKey("the key the database never sees");
const tempFile = () => path.join(testTempDir("agentos-audit-"), "audit-checkpoints.json");

async function open(url?: string, upTo?: number): Promise<{ db: Database; url: string }> {
	const dbUrl = url ?? (await createDatabase(pg, `tamper_${++databases}`));
	const db = new PostgresDatabase({ url: dbUrl, poolMax: 2 });
	cleanups.push(() => db.close());
	const all = readMigrations(migrationsDir());
	await migrate(db, upTo ? all.filter(m => m.version <= upTo) : all);
	return { db, url: dbUrl };
}

function auditLog(db: Database, file: string, options: Partial<AuditLogOptions> = {}): AuditLog {
	const log = new AuditLog(db, { node: "node-1", key, checkpoints: { store: new CheckpointStore(file), every: 10, intervalMs: 3_600_000 }, ...options });
	cleanups.push(() => log.stop());
	return log;
}

const event = (i: number): AuditEvent => ({ actor: { kind: "agent", id: "agent-1" }, principal: { kind: "user", id: "token:t1" }, action: "tools.invoke", outcome: "succeeded", data: { i } });

interface SqlRow {
	seq: string;
	at: string;
	actor_kind: string;
	actor_id: string;
	node: string;
	action: string;
	target: string | null;
	outcome: string;
	request_id: string | null;
	data: Record<string, unknown>;
	prev_hash: string;
	hash: string;
}

/** The unkeyed formula the schema documents (what someone without the key can compute). */
function unkeyedHash(prev: string, r: SqlRow): string {
	const body = { at: r.at, actorKind: r.actor_kind, actorId: r.actor_id, node: r.node, action: r.action, target: r.target, outcome: r.outcome, requestId: r.request_id, data: r.data };
	return createHash("sha256").update(prev + canonicalJson(body)).digest("hex");
}

async function rows(db: Database): Promise<SqlRow[]> {
	const sql = `SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, actor_kind, actor_id, node, action, target, outcome, request_id, data, prev_hash, hash FROM audit_log ORDER BY seq`;
	return (await db.query<SqlRow>(sql)).rows;
}

async function written(n: number, db: Database, file: string, options: Partial<AuditLogOptions> = {}): Promise<{ log: AuditLog; seqs: number[] }> {
	const log = auditLog(db, file, options);
	for (let i = 0; i < n; i++) log.record(event(i));
	await log.flush();
	return { log, seqs: (await rows(db)).map(r => Number(r.seq)) };
}

describe("the keyed audit chain against tampering with SQL", () => {
	it("finds a row edited and the chain recomputed (without the key) from there on, and names it", async () => {
		const { db } = await open();
		const { log, seqs } = await written(25, db, tempFile());
		expect(await log.verify()).toMatchObject({ ok: true, checked: 25, checkpoint: { seq: seqs[24] } });

		// Edit row 7, then recompute every hash from it to the end, as the old docs describe.
		await db.query(`UPDATE audit_log SET data = '{"i": 700}' WHERE seq = $1`, [seqs[7]]);
		const all = await rows(db);
		let prev = all[6].hash;
		for (const r of all.slice(7)) {
			const hash = unkeyedHash(prev, r);
			await db.query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3", [prev, hash, r.seq]);
			prev = hash;
		}
		expect(await log.verify()).toMatchObject({ ok: false, checked: 7, firstBad: { check: "edited", seq: seqs[7] } });

		// Claiming the rows were written before the chain was keyed does not help.
		await db.query("UPDATE audit_log SET scheme = 'sha256', key_id = NULL WHERE seq >= $1", [seqs[7]]);
		expect(await log.verify()).toMatchObject({ ok: false, firstBad: { check: "edited", seq: seqs[7], reason: expect.stringContaining("unkeyed row after the chain was keyed") } });
	});

	it("finds rows deleted from the end, against the last checkpoint", async () => {
		const { db } = await open();
		const { log, seqs } = await written(20, db, tempFile());
		expect(await log.verify()).toMatchObject({ ok: true, checkpoint: { seq: seqs[19] } });
		await db.query("DELETE FROM audit_log WHERE seq > $1", [seqs[16]]);
		expect(await log.verify()).toMatchObject({
			ok: false,
			checked: 17,
			firstBad: { check: "truncated", seq: seqs[19], reason: expect.stringContaining(`the last row left is seq ${seqs[16]}`) }
		});
		// Everything gone is truncation too.
		await db.query("DELETE FROM audit_log");
		expect((await log.verify()).firstBad).toMatchObject({ check: "truncated", seq: seqs[19] });
	});

	it("finds a row appended without the key, however it is hashed", async () => {
		const { db } = await open();
		const { log, seqs } = await written(12, db, tempFile());
		const last = (await rows(db)).at(-1)!;
		const forge = async (scheme: string, keyId: string | null, hashOf: (r: SqlRow) => string) => {
			const r: SqlRow = { ...last, seq: "0", at: new Date().toISOString(), actor_id: "mallory", action: "grants.create", data: { capability: "admin" }, prev_hash: last.hash };
			const { rows: inserted } = await db.query<{ seq: string }>(
				`INSERT INTO audit_log (at, actor_kind, actor_id, node, action, target, outcome, request_id, data, prev_hash, hash, scheme, key_id, principal_kind, principal_id)
				 VALUES ($1::timestamptz, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13, 'user', 'admin') RETURNING seq`,
				[r.at, r.actor_kind, r.actor_id, r.node, r.action, r.target, r.outcome, r.request_id, canonicalJson(r.data), r.prev_hash, hashOf(r), scheme, keyId]
			);
			return Number(inserted[0].seq);
		};

		// Unkeyed, as a row from before the upgrade would be.
		const a = await forge("sha256", null, r => unkeyedHash(last.hash, r));
		expect(await log.verify()).toMatchObject({ ok: false, checked: 12, firstBad: { check: "forged", seq: a } });
		await db.query("DELETE FROM audit_log WHERE seq = $1", [a]);
		expect((await log.verify()).ok).toBe(true);

		// Claiming the key's id, with a hash made by another key.
		const b = await forge("hmac-sha256", key.id, r => new AuditKey("a guess at the key").mac(last.hash + canonicalJson(r)));
		expect(await log.verify()).toMatchObject({ ok: false, checked: 12, firstBad: { check: "forged", seq: b } });
		expect(seqs).toHaveLength(12);
	});

	it("finds the log replaced when the database's chain id is changed or removed", async () => {
		const { db } = await open();
		const file = tempFile();
		const { log } = await written(12, db, file);
		const [{ id }] = (await db.query<{ id: string }>("SELECT id FROM audit_chain")).rows;
		await db.query("UPDATE audit_chain SET id = 'another-chain'");
		expect(await log.verify()).toMatchObject({ ok: false, firstBad: { check: "forged", seq: 0, reason: expect.stringContaining(`checkpoints (${file}) are for chain ${id}`) } });
		await db.query("DELETE FROM audit_chain");
		expect((await log.verify()).firstBad).toMatchObject({ check: "forged", seq: 0 });
		// The log still takes entries meanwhile.
		log.record(event(12));
		await log.flush();
		expect(Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM audit_log")).rows[0].n)).toBe(13);
	});

	it("tells a node with another key apart from tampering", async () => {
		const { db } = await open();
		const file = tempFile();
		const { seqs } = await written(5, db, file);
		const other = new AuditLog(db, { node: "node-2", key: new AuditKey("another key, another node"), checkpoints: { store: new CheckpointStore(tempFile()), every: 10, intervalMs: 3_600_000 } });
		cleanups.push(() => other.stop());
		expect(await other.verify()).toMatchObject({ ok: false, checked: 0, firstBad: { check: "key_mismatch", seq: seqs[0] } });
	});

	it("verifies an untampered log across a restart, with checkpoints made by count, by time and at stop", async () => {
		const { db, url } = await open();
		const file = tempFile();
		const kept = () => Object.values((JSON.parse(fs.readFileSync(file, "utf8")) as { chains: Record<string, { seq: number; hash: string }> }).chains)[0];
		const first = auditLog(db, file, { flushIntervalMs: 20, checkpoints: { store: new CheckpointStore(file), every: 10, intervalMs: 300 } });
		first.start();
		for (let i = 0; i < 10; i++) first.record(event(i));
		await first.flush();
		let seqs = (await rows(db)).map(r => Number(r.seq));
		expect(kept().seq).toBe(seqs[9]);
		// Three more are anchored once the interval has passed, without more writes.
		for (let i = 10; i < 13; i++) first.record(event(i));
		await first.flush();
		seqs = (await rows(db)).map(r => Number(r.seq));
		expect(kept().seq).toBe(seqs[9]);
		await eventually("a checkpoint by time", () => kept().seq === seqs[12], 5000, 20);
		expect(kept()).toMatchObject({ hash: (await rows(db))[12].hash, node: "node-1", keyId: key.id, sig: expect.stringMatching(/^[0-9a-f]{64}$/) });
		first.record(event(13));
		await first.stop();
		const seq14 = Number((await rows(db)).at(-1)!.seq);
		expect(kept().seq).toBe(seq14);

		// The same node again: another connection, the same data dir.
		const { db: again } = await open(url);
		const second = auditLog(again, file);
		expect(await second.verify()).toEqual({ ok: true, checked: 14, checkpoint: { seq: seq14, at: expect.any(String), node: "node-1" } });
		for (let i = 14; i < 20; i++) second.record(event(i));
		await second.flush();
		expect(await second.verify()).toMatchObject({ ok: true, checked: 20 });
		// A checkpoint file edited by hand is found out.
		const edited = JSON.parse(fs.readFileSync(file, "utf8")) as { chains: Record<string, { seq: number }> };
		for (const cp of Object.values(edited.chains)) cp.seq = 1;
		fs.writeFileSync(file, JSON.stringify(edited));
		const third = auditLog(again, file);
		expect((await third.verify()).firstBad).toMatchObject({ check: "forged", seq: 1, reason: expect.stringContaining("checkpoint file was altered") });
	});

	it("keeps rows written before the upgrade verifying, and finds them recomputed", async () => {
		// A database as the previous release left it: unkeyed rows, no scheme column.
		const { db, url } = await open(undefined, 8);
		let prev = GENESIS_HASH;
		for (let i = 0; i < 6; i++) {
			const r: SqlRow = { seq: "0", at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), actor_kind: "user", actor_id: "admin", node: "old-node", action: "agents.spawn", target: `a${i}`, outcome: "succeeded", request_id: null, data: { i }, prev_hash: prev, hash: "" };
			const hash = unkeyedHash(prev, r);
			await db.query(
				"INSERT INTO audit_log (at, actor_kind, actor_id, node, action, target, outcome, request_id, data, prev_hash, hash) VALUES ($1::timestamptz, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11)",
				[r.at, r.actor_kind, r.actor_id, r.node, r.action, r.target, r.outcome, r.request_id, canonicalJson(r.data), prev, hash]
			);
			prev = hash;
		}
		await open(url);
		const { log, seqs } = await written(4, db, tempFile());
		expect(await log.verify()).toMatchObject({ ok: true, checked: 10 });
		const exported: { scheme: string; principal: unknown }[] = [];
		for await (const line of log.exportLines({})) exported.push(JSON.parse(line) as { scheme: string; principal: unknown });
		expect(exported.map(r => r.scheme)).toEqual([...Array(6).fill("sha256"), ...Array(4).fill("hmac-sha256")]);
		expect(exported[0].principal).toBeNull();

		// Recompute the old rows from the second on (the keyed ones cannot be): the upgrade's checkpoint names the last old row's hash.
		await db.query(`UPDATE audit_log SET data = '{"i": 100}' WHERE seq = $1`, [seqs[1]]);
		const all = await rows(db);
		let p = all[0].hash;
		for (const r of all.slice(1, 6)) {
			const hash = unkeyedHash(p, r);
			await db.query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3", [p, hash, r.seq]);
			p = hash;
		}
		expect(await log.verify()).toMatchObject({ ok: false, checked: 5, firstBad: { check: "edited", seq: seqs[5], reason: expect.stringContaining("chain recomputed") } });
	});
});
