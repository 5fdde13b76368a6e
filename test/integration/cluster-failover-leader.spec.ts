/**
 * Leader election against real servers: the PostgreSQL advisory lock (held on a
 * connection of its own) and the Redis lock with fencing terms. One leader at a time;
 * when it goes, another takes over under a higher term, and the old term is fenced off.
 */
import fs from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import { Client } from "pg";
import { LeaderElection, type LeaderChange } from "../../lib/cluster/leader-election";
import { PostgresLeaderLock } from "../../lib/cluster/locks/postgres";
import { RedisLeaderLock } from "../../lib/cluster/locks/redis";
import { ScheduleStore } from "../../lib/cluster/schedule-store";
import { PostgresDatabase } from "../../lib/kernel/database/postgres-database";
import { startRedis, type RedisServer } from "../support/redis-server";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";
import { eventually } from "../support/test-node";

const LEASE_MS = 900;
const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined, error: () => undefined } as unknown as ConstructorParameters<typeof LeaderElection>[3];
const SCHEMA = fs.readFileSync(path.resolve(__dirname, "../../migrations/008_cluster.sql"), "utf8");

describe("leader election on real servers", () => {
	let pg: PostgresServer;
	let redis: RedisServer;
	let url: string;
	let db: PostgresDatabase;
	const running: LeaderElection[] = [];

	beforeAll(async () => {
		[pg, redis] = await Promise.all([startPostgres(), startRedis()]);
		url = await createDatabase(pg, "election");
		db = new PostgresDatabase({ url, poolMax: 4 });
		await db.exec(SCHEMA);
	});

	afterEach(async () => {
		await Promise.all(running.splice(0).map(e => e.stop()));
		await db.query("DELETE FROM cluster_leader");
	});

	afterAll(async () => {
		await db?.close();
		await Promise.all([pg?.destroy(), redis?.stop()]);
	});

	function postgresElection(nodeID: string): LeaderElection {
		const e = new LeaderElection(new PostgresLeaderLock({ url, nodeID, namespace: "test", leaseMs: LEASE_MS, onError: () => undefined }), nodeID, LEASE_MS, quiet);
		running.push(e);
		return e;
	}

	function redisElection(nodeID: string): LeaderElection {
		const e = new LeaderElection(new RedisLeaderLock({ url: redis.url, nodeID, namespace: "test", leaseMs: LEASE_MS, db }), nodeID, LEASE_MS, quiet);
		running.push(e);
		return e;
	}

	const leaders = (es: LeaderElection[]) => es.filter(e => e.isLeader).map(e => e.nodeID);

	describe.each([
		["PostgreSQL advisory lock", postgresElection],
		["Redis lock", redisElection]
	])("%s", (_name, make) => {
		it("elects exactly one leader that every node knows, and a successor under a higher term when it stops", async () => {
			const [a, b, c] = ["n1", "n2", "n3"].map(make);
			const changes = new Map<LeaderElection, LeaderChange[]>();
			for (const e of [a, b, c]) e.onChange(change => changes.set(e, [...(changes.get(e) ?? []), change]));
			for (const e of [a, b, c]) e.start();
			await eventually("one leader", () => leaders([a, b, c]).length === 1);
			const first = [a, b, c].find(e => e.isLeader)!;
			await eventually("everyone to know it", () => [a, b, c].every(e => e.leader()?.nodeID === first.nodeID));
			const term = first.term!;
			await new Promise(r => setTimeout(r, LEASE_MS * 2));
			expect(leaders([a, b, c])).toEqual([first.nodeID]); // the lease is renewed, not lost

			await first.stop();
			const rest = [a, b, c].filter(e => e !== first);
			await eventually("a successor", () => leaders(rest).length === 1);
			const next = rest.find(e => e.isLeader)!;
			expect(next.term).toBeGreaterThan(term);
			// Every node hears of the change: the new leader of itself, the others of it.
			await eventually("the others to know the successor", () => rest.every(e => e.leader()?.nodeID === next.nodeID));
			for (const e of rest) expect(changes.get(e)?.at(-1)).toEqual({ leader: { nodeID: next.nodeID, term: next.term }, self: e === next });
			const { rows } = await db.query<{ node_id: string; term: string }>("SELECT node_id, term FROM cluster_leader");
			expect(rows).toEqual([{ node_id: next.nodeID, term: String(next.term) }]);
		});

		it("fences off the old leader: a tick it claims with its old term is refused", async () => {
			const a = make("old");
			a.start();
			await eventually("old to lead", () => a.isLeader);
			const oldTerm = a.term!;
			await a.stop();
			const b = make("new");
			b.start();
			await eventually("new to lead", () => b.isLeader);
			const store = new ScheduleStore(db);
			const job = await store.create({
				name: "fenced",
				cadence: { kind: "interval", intervalMs: 1000 },
				target: { kind: "action", action: "cluster.self", params: {} },
				timeoutMs: 1000,
				maxFailures: 0,
				paused: false,
				createdBy: "test",
				firstRunAt: new Date(Date.now() - 10)
			});
			expect(await store.claim(job, { nodeID: "old", term: oldTerm }, new Date())).toBeUndefined();
			expect(await store.claim(job, { nodeID: "new", term: b.term! }, new Date())).toEqual(expect.any(Number));
			// The same tick cannot be claimed twice.
			expect(await store.claim(job, { nodeID: "new", term: b.term! }, new Date())).toBeUndefined();
			await store.remove(job.id);
		});
	});

	it("PostgreSQL: a leader whose connection dies steps down, and another takes over at once", async () => {
		const [a, b] = ["p1", "p2"].map(postgresElection);
		a.start();
		await eventually("p1 to lead", () => a.isLeader);
		b.start();
		await eventually("p2 to know p1", () => b.leader()?.nodeID === "p1");
		const admin = new Client({ connectionString: url });
		await admin.connect();
		// What the server sees when the leader's process is killed: its session ends.
		await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'agentos-leader-p1'");
		await admin.end();
		await eventually("p2 to lead", () => b.isLeader, 5000);
		await eventually("p1 to step down", () => !a.isLeader, 5000);
	});

	it("Redis: a leader that stalls past its lease loses the lock to a higher term and steps down", async () => {
		const [a, b] = ["r1", "r2"].map(redisElection);
		a.start();
		await eventually("r1 to lead", () => a.isLeader);
		b.start();
		const term = a.term!;
		const raw = new Redis(redis.url);
		// As if r1 stalled past its lease: the key expires under it.
		await raw.del("test:cluster:leader");
		raw.disconnect();
		await eventually("r2 to lead", () => b.isLeader, 5000);
		expect(b.term).toBeGreaterThan(term);
		await eventually("r1 to step down", () => !a.isLeader, 5000);
	});
});
