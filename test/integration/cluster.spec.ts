import type { HealthReport, ReadinessReport } from "../../services/health.service";
import { startNats, type NatsServer } from "../support/nats-server";
import { startRedis, type RedisServer } from "../support/redis-server";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

describe("two nodes over a real NATS server, sharing a real Redis cache", () => {
	let nats: NatsServer;
	let redis: RedisServer;
	let a: TestNode;
	let b: TestNode;

	beforeAll(async () => {
		[nats, redis] = await Promise.all([startNats(), startRedis()]);
		const env = { TRANSPORTER: nats.url, REDIS_URL: redis.url };
		[a, b] = await Promise.all([startTestNode({ ...env, NODE_ID: "alpha" }), startTestNode({ ...env, NODE_ID: "beta" })]);
		// A service that exists only on beta, to be called from alpha.
		b.node.broker.createService({
			name: "greeter",
			actions: {
				hello: {
					params: { name: "string" },
					handler(ctx) {
						return `hello ${(ctx.params as { name: string }).name} from ${this.broker.nodeID}`;
					}
				}
			}
		});
		await Promise.all([a.node.ready, b.node.ready]);
	});

	afterAll(async () => {
		await Promise.all([a?.stop(), b?.stop()]);
		await Promise.all([nats?.stop(), redis?.stop()]);
	});

	it("each node sees the other", async () => {
		await eventually("alpha to see beta", () => a.node.broker.registry.nodes.list({ onlyAvailable: true }).some(n => n.id === "beta"));
		await eventually("beta to see alpha", () => b.node.broker.registry.nodes.list({ onlyAvailable: true }).some(n => n.id === "alpha"));
	});

	it("a call on one node reaches a service on the other", async () => {
		await a.node.broker.waitForServices("greeter", 10000);
		expect(await a.node.broker.call("greeter.hello", { name: "ada" })).toBe("hello ada from beta");
	});

	it("reports the transporter and the Redis cacher as ready", async () => {
		const body = await a.json<HealthReport>("/health");
		expect(body.subsystems.transporter).toEqual({ state: "ready", kind: "nats" });
		expect(body.subsystems.cacher).toEqual({ state: "ready", kind: "redis" });
		expect((await a.request("/ready", { auth: false })).status).toBe(200);
	});

	it("the cache is shared: a value set through one node is read through the other", async () => {
		await a.node.broker.cacher!.set("shared-key", { from: "alpha" }, 60);
		expect(await b.node.broker.cacher!.get("shared-key")).toEqual({ from: "alpha" });
	});

	it("goes unready when NATS is gone", async () => {
		await nats.stop();
		await eventually("/ready to answer 503", async () => (await a.request("/ready", { auth: false })).status === 503);
		const body = await a.json<ReadinessReport>("/ready");
		expect(body.checks.transporter).toMatchObject({ state: "down", kind: "nats" });
	});
});
