import { existsSync } from "node:fs";
import { connect } from "node:net";
import { Redis } from "ioredis";
import { Client } from "pg";
import { freePort } from "../support/free-port";
import { startNats } from "../support/nats-server";
import { createDatabase, startPostgres } from "../support/postgres-server";
import { startRedis } from "../support/redis-server";
import { ensureServerBinaries, postgresBinDir } from "../support/server-binaries";

// Self-check of the test-server harness: each server really starts, answers, and stops.
jest.setTimeout(60_000);

async function query(url: string, sql: string): Promise<unknown[]> {
	const client = new Client({ connectionString: url });
	await client.connect();
	try {
		return (await client.query(sql)).rows;
	} finally {
		await client.end();
	}
}

/** First line a server sends on a fresh TCP connection (or the connect error). */
function firstLine(port: number): Promise<string> {
	return new Promise((resolve, reject) => {
		const sock = connect({ host: "127.0.0.1", port });
		sock.setTimeout(2000, () => {
			sock.destroy();
			reject(new Error("timeout"));
		});
		sock.once("error", reject);
		sock.once("data", (buf) => {
			sock.destroy();
			resolve(buf.toString().split("\r\n")[0]);
		});
	});
}

describe("test server harness", () => {
	it("finds the server binaries", async () => {
		expect(() => ensureServerBinaries()).not.toThrow();
		expect(postgresBinDir()).toMatch(/^\/usr\/lib\/postgresql\/\d+\/bin$/);
		const port = await freePort();
		expect(port).toBeGreaterThan(0);
	});

	it("postgres: starts, answers, survives stop()/start(), and is destroyed", async () => {
		const pg = await startPostgres();
		try {
			expect(pg.url).toBe(`postgres://postgres@127.0.0.1:${pg.port}/postgres`);
			expect(await query(pg.url, "SELECT 1 AS one")).toEqual([{ one: 1 }]);
			await query(pg.url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')");

			await pg.stop();
			await pg.stop(); // idempotent
			await expect(query(pg.url, "SELECT 1")).rejects.toThrow(/ECONNREFUSED/);

			await pg.start();
			expect(await query(pg.url, "SELECT v FROM kept")).toEqual([{ v: "still here" }]);

			const dbUrl = await createDatabase(pg, "harness_check");
			expect(dbUrl).toBe(`postgres://postgres@127.0.0.1:${pg.port}/harness_check`);
			expect(await query(dbUrl, "SELECT current_database() AS db")).toEqual([{ db: "harness_check" }]);
		} finally {
			await pg.destroy();
		}
		await pg.destroy(); // idempotent
		expect(existsSync(pg.dataDir)).toBe(false);
	});

	it("redis: starts, answers PING, stops", async () => {
		const redis = await startRedis();
		expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
		const client = new Redis(redis.url, { maxRetriesPerRequest: 0 });
		try {
			expect(await client.ping()).toBe("PONG");
		} finally {
			client.disconnect();
			await redis.stop();
		}
		await redis.stop(); // idempotent
		await expect(firstLine(redis.port)).rejects.toThrow(/ECONNREFUSED/);
	});

	it("nats: starts, sends INFO, stops", async () => {
		const nats = await startNats();
		try {
			expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
			expect(await firstLine(nats.port)).toMatch(/^INFO \{.*"server_id"/);
		} finally {
			await nats.stop();
		}
		await nats.stop(); // idempotent
		await expect(firstLine(nats.port)).rejects.toThrow(/ECONNREFUSED/);
	});
});
