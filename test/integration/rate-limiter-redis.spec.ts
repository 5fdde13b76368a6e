import { Redis } from "ioredis";
import { MemoryRateLimiter, RedisRateLimiter, createRateLimiter } from "../../lib/gateway/rate-limiter";
import { startRedis, type RedisServer } from "../support/redis-server";

const MINUTE = 60_000;
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const countAllowed = (decisions: { allowed: boolean }[]) => decisions.filter(d => d.allowed).length;

describe("RedisRateLimiter against a real Redis", () => {
	let redis: RedisServer;
	const clients: Redis[] = [];
	const connect = (): Redis => {
		const client = new Redis(redis.url, { maxRetriesPerRequest: 0 });
		clients.push(client);
		return client;
	};

	beforeAll(async () => {
		redis = await startRedis();
	});
	afterAll(async () => {
		for (const client of clients) client.disconnect();
		await redis?.stop();
	});

	it("shares one budget between nodes: 6 hits on each of two nodes, limit 10, exactly 10 allowed", async () => {
		const a = new RedisRateLimiter(connect(), { limit: 10, windowMs: MINUTE });
		const b = new RedisRateLimiter(connect(), { limit: 10, windowMs: MINUTE });
		// Concurrent, so only an atomic check-and-increment gets exactly 10.
		const decisions = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).hit("token:shared")));
		expect(countAllowed(decisions)).toBe(10);
		expect(countAllowed(await Promise.all([a.hit("token:other"), b.hit("token:other")]))).toBe(2);
		const refused = await a.hit("token:shared");
		expect(refused).toMatchObject({ allowed: false, limit: 10, remaining: 0 });
		expect(refused.retryAfterSeconds).toBeGreaterThan(0);
	});

	it("agrees with the memory limiter hit for hit as the window slides (same clock)", async () => {
		const clock = { t: 5 * MINUTE + 1234 };
		const opts = { limit: 7, windowMs: MINUTE, now: () => clock.t };
		const mem = new MemoryRateLimiter(opts);
		const red = new RedisRateLimiter(connect(), { ...opts, prefix: "test:parity:" });
		let seed = 42; // a fixed pseudo-random walk, so a failure reproduces
		const rand = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
		let refusals = 0;
		for (let i = 0; i < 400; i++) {
			clock.t += rand(4000);
			const key = `ip:${rand(2)}`;
			const expected = await mem.hit(key);
			expect(await red.hit(key)).toEqual(expected);
			if (!expected.allowed) refusals++;
		}
		expect(refusals).toBeGreaterThan(50); // the walk did exercise the limit
	});

	it("sets a TTL of two windows on each window's key, so idle keys disappear", async () => {
		const client = connect();
		const limiter = new RedisRateLimiter(client, { limit: 5, windowMs: 300, prefix: "test:ttl:" });
		await limiter.hit("ip:10.0.0.1");
		const keys = await client.keys("test:ttl:*");
		expect(keys).toHaveLength(1);
		const ttl = await client.pttl(keys[0]);
		expect(ttl).toBeGreaterThan(300);
		expect(ttl).toBeLessThanOrEqual(600);
		await sleep(700);
		expect(await client.keys("test:ttl:*")).toEqual([]);
	});

	it("refuses, then gives the full budget back once the window has slid past, in real time", async () => {
		const limiter = new RedisRateLimiter(connect(), { limit: 3, windowMs: 500, prefix: "test:slide:" });
		expect(countAllowed(await Promise.all([1, 2, 3, 4].map(() => limiter.hit("k"))))).toBe(3);
		expect((await limiter.hit("k")).allowed).toBe(false);
		await sleep(1100); // two windows later, nothing counted still overlaps
		const decisions = await Promise.all([1, 2, 3, 4].map(() => limiter.hit("k")));
		expect(countAllowed(decisions)).toBe(3);
	});

	it("fails open when Redis goes away: requests are allowed, quickly, and the error is reported", async () => {
		const own = await startRedis();
		const onError = jest.fn();
		const limiter = createRateLimiter({ limit: 1, windowMs: MINUTE, redisUrl: own.url, onError });
		try {
			await sleep(100); // connected
			expect((await limiter.hit("k")).allowed).toBe(true);
			expect((await limiter.hit("k")).allowed).toBe(false); // Redis is in charge
			expect(onError).not.toHaveBeenCalled();

			await own.stop();
			const started = Date.now();
			for (let i = 0; i < 5; i++) expect(await limiter.hit("k")).toMatchObject({ allowed: true, limit: 1 });
			expect(Date.now() - started).toBeLessThan(2000);
			expect(onError).toHaveBeenCalled();
			expect(onError.mock.calls[0][0]).toBeInstanceOf(Error);
			expect(onError.mock.calls.length).toBeLessThanOrEqual(2); // throttled, not one per request
		} finally {
			await limiter.close();
			await own.stop();
		}
	});
});
