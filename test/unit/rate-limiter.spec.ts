import { MemoryRateLimiter, createRateLimiter } from "../../lib/gateway/rate-limiter";

const MINUTE = 60_000;

/** A limiter on a hand-moved clock; `hits(n)` returns how many of n hits were allowed. */
function setup(limit: number, maxKeys?: number) {
	const clock = { t: 0 };
	const limiter = new MemoryRateLimiter({ limit, windowMs: MINUTE, maxKeys, now: () => clock.t });
	const hits = async (n: number, key = "k"): Promise<number> => {
		let allowed = 0;
		for (let i = 0; i < n; i++) if ((await limiter.hit(key)).allowed) allowed++;
		return allowed;
	};
	return { clock, limiter, hits };
}

describe("MemoryRateLimiter", () => {
	it("allows `limit` requests, then refuses with a Retry-After that is exactly long enough", async () => {
		const { clock, limiter, hits } = setup(5);
		clock.t = 10_000;
		const first = await limiter.hit("k");
		expect(first).toEqual({ allowed: true, limit: 5, remaining: 4, retryAfterSeconds: 0, resetSeconds: 110 });
		expect(await hits(4)).toBe(4);

		const refused = await limiter.hit("k");
		expect(refused).toMatchObject({ allowed: false, remaining: 0 });
		// This window is full; in the next one its 5 hits weigh 5 × (1 - elapsed/60s), and one
		// more fits once that is ≤ 4: 12 s into it, 62 s from now.
		expect(refused.retryAfterSeconds).toBe(62);
		clock.t += (refused.retryAfterSeconds - 1) * 1000;
		expect((await limiter.hit("k")).allowed).toBe(false);
		clock.t += 1000;
		expect((await limiter.hit("k")).allowed).toBe(true);
	});

	it("keeps separate keys independent", async () => {
		const { hits } = setup(3);
		expect(await hits(5, "token:a")).toBe(3);
		expect(await hits(5, "ip:10.0.0.1")).toBe(3);
		expect(await hits(1, "token:a")).toBe(0);
	});

	it("recovers as the window slides, weighting the previous window by its overlap", async () => {
		const { clock, hits } = setup(10);
		expect(await hits(10)).toBe(10);
		clock.t = MINUTE; // the sliding window still covers all of the previous one
		expect(await hits(1)).toBe(0);
		clock.t = MINUTE + 30_000; // half of it: 10 × 0.5 = 5 still weigh
		expect(await hits(10)).toBe(5);
		clock.t = MINUTE + 45_000; // 10 × 0.25 + 5 = 7.5: two more fit
		expect(await hits(10)).toBe(2);
		clock.t = 3 * MINUTE; // both windows gone
		expect(await hits(20)).toBe(10);
	});

	it("does not count refused requests, so a client that backs off recovers", async () => {
		const { clock, limiter, hits } = setup(2);
		expect(await hits(2)).toBe(2);
		expect(await hits(1000)).toBe(0); // hammering while refused...
		const { retryAfterSeconds } = await limiter.hit("k");
		clock.t += retryAfterSeconds * 1000;
		expect(await hits(1)).toBe(1); // ...does not push recovery further out
	});

	it("reports a Retry-After within the window when the previous window is what blocks", async () => {
		const { clock, limiter, hits } = setup(4);
		expect(await hits(4)).toBe(4);
		clock.t = MINUTE + 6_000; // 4 × 0.9 = 3.6 weigh; one more fits at 4 × w ≤ 3, 15 s in
		const refused = await limiter.hit("k");
		expect(refused.retryAfterSeconds).toBe(9);
		clock.t += 9_000;
		expect(await hits(2)).toBe(1);
	});

	it("bounds memory by evicting the least recently hit keys", async () => {
		const { limiter, hits } = setup(1, 3);
		for (const key of ["a", "b", "c"]) expect(await hits(1, key)).toBe(1);
		expect(await hits(1, "a")).toBe(0); // refused, but "a" is now the most recent
		expect(await hits(1, "d")).toBe(1); // evicts "b"
		expect(limiter.size).toBe(3);
		expect(await hits(1, "a")).toBe(0); // still limited
		expect(await hits(1, "b")).toBe(1); // forgotten, so fresh

		for (let i = 0; i < 1000; i++) await limiter.hit(`ip:${i}`);
		expect(limiter.size).toBe(3);
		// The three most recent are the ones kept (still limited); an older one starts afresh.
		for (const key of ["ip:999", "ip:998", "ip:997"]) expect(await hits(1, key)).toBe(0);
		expect(await hits(1, "ip:996")).toBe(1);
	});

	it("is unlimited when the limit is 0, and keeps no state", async () => {
		const { limiter, hits } = setup(0);
		expect(await hits(10_000)).toBe(10_000);
		expect(await limiter.hit("k")).toMatchObject({ allowed: true, limit: 0, retryAfterSeconds: 0 });
		expect(limiter.size).toBe(0);
	});

	it("rejects a window that is not a positive integer", () => {
		expect(() => new MemoryRateLimiter({ limit: 1, windowMs: 0 })).toThrow(RangeError);
	});
});

describe("createRateLimiter", () => {
	it("is in memory without a Redis URL", async () => {
		const limiter = createRateLimiter({ limit: 1, windowMs: MINUTE });
		expect(limiter).toBeInstanceOf(MemoryRateLimiter);
		expect((await limiter.hit("k")).allowed).toBe(true);
		expect((await limiter.hit("k")).allowed).toBe(false);
		await limiter.close();
	});
});
