import { Redis } from "ioredis";
import type { Sanction } from "../../lib/governance/sanction-store";
import { SharedCounters } from "../../lib/society/shared-counters";
import { FAST_AGENT_ENV, post } from "../support/agents";
import { startNats, type NatsServer } from "../support/nats-server";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";
import { startRedis, type RedisServer } from "../support/redis-server";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

const as = (id: string) => ({ meta: { caller: { kind: "agent", id } } });

/**
 * Post limits, throttles and policy windows are one budget per agent for the whole
 * cluster when Redis is configured: two nodes over a real NATS, sharing a real
 * PostgreSQL and a real Redis, count an agent's calls on either node together.
 */
describe("society and governance limits counted across two nodes sharing a real Redis", () => {
	let pg: PostgresServer;
	let nats: NatsServer;
	let redis: RedisServer;
	let alpha: TestNode;
	let beta: TestNode;
	let forumId: string;
	const on = (t: TestNode) => t.node.broker.nodeID;

	beforeAll(async () => {
		[pg, nats, redis] = await Promise.all([startPostgres(), startNats(), startRedis()]);
		const env = { ...FAST_AGENT_ENV, DATABASE_URL: await createDatabase(pg, "shared_limits"), TRANSPORTER: nats.url, REDIS_URL: redis.url, SOCIAL_POST_RATE_PER_MINUTE: "3" };
		[alpha, beta] = await Promise.all([startTestNode({ ...env, NODE_ID: "alpha" }), startTestNode({ ...env, NODE_ID: "beta" })]);
		await Promise.all([alpha.node.ready, beta.node.ready]);
		await eventually("the nodes to see each other", () => alpha.node.broker.registry.nodes.list({ onlyAvailable: true }).some(n => n.id === "beta"));
		forumId = (await post<{ id: string }>(alpha, "/api/v1/forums", { name: "commons" })).body.id;
		await alpha.node.kernel.db.query("INSERT INTO agent_grants (agent_id, capability, granted_by) VALUES ('chatty', 'social.post', 'test'), ('crier', 'social.post', 'test')");
	}, 60_000);

	afterAll(async () => {
		await Promise.all([alpha?.stop(), beta?.stop()]);
		await Promise.all([nats?.stop(), pg?.destroy(), redis?.stop()]);
	});

	const postOn = (t: TestNode, agentId: string, title: string) => t.node.broker.call("forums.post", { id: forumId, title, body: "hear ye" }, { ...as(agentId), nodeID: on(t) });

	it("counts one post limit across both nodes: 3 a minute in all, not 3 on each", async () => {
		await postOn(alpha, "chatty", "one");
		await postOn(beta, "chatty", "two");
		await postOn(alpha, "chatty", "three");
		for (const t of [beta, alpha]) await expect(postOn(t, "chatty", "four")).rejects.toMatchObject({ code: 429, type: "POST_RATE_LIMITED" });
	});

	it("counts one policy window across both nodes: the third post, wherever it is made, fires the policy once", async () => {
		const policy = await post<{ id: string }>(alpha, "/api/v1/policies", { name: "town-crier", source: 'when forum.posted where actor = "crier" count > 2 within 1m then warn', mode: "enforce" });
		expect(policy.status).toBe(201);
		await new Promise(r => setTimeout(r, 1000)); // beta loads the policy on policies.changed
		await postOn(alpha, "crier", "first");
		await postOn(beta, "crier", "second");
		await postOn(beta, "crier", "third"); // 1 on alpha + 2 on beta = 3 > 2
		let sanctions: Sanction[] = [];
		await eventually("crier to be warned", async () => (sanctions = await alpha.json<Sanction[]>("/api/v1/sanctions/agents/crier")).length > 0);
		expect(sanctions).toMatchObject([{ kind: "warn", reason: "policy town-crier" }]);
		await new Promise(r => setTimeout(r, 500));
		expect(await alpha.json<unknown[]>(`/api/v1/policies/${policy.body.id}/firings`)).toHaveLength(1);
	});

	it("counts one throttle across both nodes: 2 calls a minute in all", async () => {
		const throttle = await post<Sanction>(beta, "/api/v1/sanctions", { agentId: "slowpoke", kind: "throttle", reason: "too many calls", duration: "10m", ratePerMinute: 2 });
		expect(throttle.status).toBe(201);
		await alpha.node.broker.call("forums.list", {}, { ...as("slowpoke"), nodeID: "alpha" });
		await beta.node.broker.call("forums.list", {}, { ...as("slowpoke"), nodeID: "beta" });
		for (const name of ["alpha", "beta"]) {
			await expect(alpha.node.broker.call("forums.list", {}, { ...as("slowpoke"), nodeID: name })).rejects.toMatchObject({ code: 429, type: "AGENT_THROTTLED" });
		}
	});

	it("keeps limiting in memory on each node while Redis is away, and reports the outage", async () => {
		const own = await startRedis();
		const errors: Error[] = [];
		const counters = new SharedCounters(own.url, err => errors.push(err), "test:outage:");
		try {
			const limiter = counters.limiter("posts", 2, 60_000);
			const probe = new Redis(own.url, { maxRetriesPerRequest: 0 });
			await eventually("the counters to count in Redis", async () => {
				await limiter.hit("probe");
				return (await probe.keys("test:outage:*")).length > 0;
			});
			probe.disconnect();
			await own.stop();
			await eventually("the client to notice", () => errors.length > 0, 5000);
			expect([await limiter.hit("a"), await limiter.hit("a")]).toEqual([0, 0]);
			expect(await limiter.hit("a")).toBeGreaterThan(0); // the insurance limits, it does not let everything through
		} finally {
			await counters.close();
			await own.stop();
		}
	});
});
