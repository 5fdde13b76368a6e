/**
 * The cost of keying the audit chain: an entry's HMAC-SHA256 against the unkeyed SHA-256
 * it replaced, alone and inside a whole audit write (record, then batched inserts into an
 * embedded PGlite database, as a node writes them). The baseline write is the same writer
 * with the unkeyed hash in the key's place. Target: a keyed write at most 1.1x an unkeyed one.
 *
 * Knobs: BENCH_ROUNDS (default 3; the median round is reported), BENCH_ENTRIES (default
 * 20,000 written entries a round; a hundred times as many hashes).
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PgliteDatabase } from "../lib/kernel/database/pglite-database";
import { migrate, readMigrations } from "../lib/kernel/migrations";
import { migrationsDir } from "../lib/kernel/paths";
import { CheckpointStore } from "../lib/security/audit-checkpoints";
import { auditHash, AuditKey, AuditLog, keyedAuditHash, type AuditEvent, type AuditHashedFields } from "../lib/security/audit-log";
import type { Database } from "../lib/kernel/database";
import { measure, median } from "./lib/stats";
import { log, row, type Row } from "./lib/table";

export const title = "Audit writes: keyed (HMAC-SHA256) chain vs the unkeyed SHA-256 one";

const ENTRIES = positiveInt(process.env.BENCH_ENTRIES, 20_000);
const HASHES = ENTRIES * 100;
const ROUNDS = positiveInt(process.env.BENCH_ROUNDS, 3);
const TARGET_RATIO = 1.1;

function positiveInt(value: string | undefined, fallback: number): number {
	const n = Number(value);
	return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** The old chain's hash in the key's place: the same writer, without the key. */
class UnkeyedHash extends AuditKey {
	override mac(text: string): string {
		return createHash("sha256").update(text).digest("hex");
	}
}

const key = new AuditKey("a bench key of enough length");
const fields: AuditHashedFields = {
	at: "2026-12-07T01:00:00.000Z",
	actorKind: "agent",
	actorId: "agent-1",
	node: "bench",
	action: "tools.invoke",
	target: "agent-1",
	outcome: "succeeded",
	requestId: "0f6c3c39-6a53-4c1f-9d1e-7f0c2a0e4b11",
	data: { capability: "tools.execute", tool: "http_fetch" },
	principalKind: "user",
	principalId: "token:5b1e"
};
const event = (i: number): AuditEvent => ({ actor: { kind: "agent", id: "agent-1" }, principal: { kind: "user", id: "token:5b1e" }, action: "tools.invoke", target: "agent-1", outcome: "succeeded", data: { i, tool: "http_fetch" } });

async function writeAll(db: Database, withKey: AuditKey): Promise<number> {
	await db.exec("TRUNCATE audit_log RESTART IDENTITY");
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "agentos-bench-audit-"));
	const audit = new AuditLog(db, { node: "bench", key: withKey, checkpoints: { store: new CheckpointStore(path.join(dir, "cp.json")), every: 1000, intervalMs: 60_000 }, maxBuffer: ENTRIES + 1 });
	const stats = await measure(
		async () => {
			for (let i = 0; i < ENTRIES; i++) audit.record(event(i));
			await audit.flush();
		},
		{ iterations: 1, opsPerIteration: ENTRIES }
	);
	await audit.stop();
	fs.rmSync(dir, { recursive: true, force: true });
	return stats.meanUs;
}

export default async function run(): Promise<Row[]> {
	const hashUs = { unkeyed: [] as number[], keyed: [] as number[] };
	const writeUs = { unkeyed: [] as number[], keyed: [] as number[] };
	log(`  opening an embedded database…`);
	const db = await PgliteDatabase.open(undefined);
	try {
		await migrate(db, readMigrations(migrationsDir()));
		let prev = "0".repeat(64);
		for (let round = 0; round < ROUNDS; round++) {
			hashUs.unkeyed.push((await measure(() => (prev = auditHash(prev, fields)), { iterations: HASHES, warmup: 10_000 })).meanUs);
			hashUs.keyed.push((await measure(() => (prev = keyedAuditHash(key, prev, fields)), { iterations: HASHES, warmup: 10_000 })).meanUs);
			writeUs.unkeyed.push(await writeAll(db, new UnkeyedHash("unused: the hash ignores it")));
			writeUs.keyed.push(await writeAll(db, key));
			log(`  round ${round + 1}/${ROUNDS}: write ${writeUs.keyed.at(-1)!.toFixed(1)} µs keyed, ${writeUs.unkeyed.at(-1)!.toFixed(1)} µs unkeyed`);
		}
	} finally {
		await db.close();
	}
	const hash = { baseline: median(hashUs.unkeyed), ours: median(hashUs.keyed) };
	const write = { baseline: median(writeUs.unkeyed), ours: median(writeUs.keyed) };
	const ratio = write.ours / write.baseline;
	return [
		row({ metric: "hash one entry (HMAC vs SHA-256)", ...hash, unit: "µs/entry", note: `+${(hash.ours - hash.baseline).toFixed(2)} µs an entry` }),
		row({ metric: `audit write, ${ENTRIES} entries to PGlite`, ...write, unit: "µs/entry", target: `≤ ${TARGET_RATIO}x`, met: ratio <= TARGET_RATIO, note: `hashing is ${((100 * hash.ours) / write.ours).toFixed(1)}% of a keyed write` })
	];
}
