/**
 * Three nodes over a real nats-server sharing a real PostgreSQL: the leader places
 * agents across the nodes, and any node's gateway reaches any agent.
 */
import type { AgentView } from "../../lib/cluster/agent-view";
import type { ErrorBody } from "../../services/api.service";
import type { ClusterStatus } from "../../lib/cluster/cluster-view";
import { agent, echoManifest, FAST_AGENT_ENV, post, spawnAgent, task, untilState } from "../support/agents";
import { startNats, type NatsServer } from "../support/nats-server";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

describe("agents placed across three nodes (NATS + PostgreSQL)", () => {
	let nats: NatsServer;
	let pg: PostgresServer;
	let nodes: TestNode[];
	let a: TestNode, b: TestNode, c: TestNode;
	let env: Record<string, string>;

	beforeAll(async () => {
		[nats, pg] = await Promise.all([startNats(), startPostgres()]);
		env = { ...FAST_AGENT_ENV, TRANSPORTER: nats.url, DATABASE_URL: await createDatabase(pg, "placement"), GATEWAY_AUTH_TOKEN: "cluster-placement-token", CLUSTER_LEADER_LEASE_MS: "1500", CLUSTER_REBALANCE_ON_JOIN: "true" };
		a = await startTestNode({ ...env, NODE_ID: "node-a" });
		await a.node.ready;
		[b, c] = await Promise.all([startTestNode({ ...env, NODE_ID: "node-b" }), startTestNode({ ...env, NODE_ID: "node-c", NODE_TAGS: "gpu" })]);
		nodes = [a, b, c];
		await Promise.all(nodes.map(n => n.node.ready));
		await eventually("every node to see three hosts", async () => {
			const views = await Promise.all(nodes.map(n => n.json<ClusterStatus>("/api/v1/cluster")));
			return views.every(v => v.nodes.filter(x => x.available).length === 3 && v.leader !== null);
		});
	});

	afterAll(async () => {
		await Promise.all((nodes ?? []).map(n => n.stop()));
		await Promise.all([nats?.stop(), pg?.destroy()]);
	});

	it("GET /cluster lists the nodes, their tags and load, and the one leader", async () => {
		const status = await b.json<ClusterStatus>("/api/v1/cluster");
		expect(status.leader).toMatchObject({ node: "node-a" });
		expect(status.lock).toBe("postgres");
		expect(status.nodes.map(n => n.id)).toEqual(["node-a", "node-b", "node-c"]);
		expect(status.nodes.map(n => n.leader)).toEqual([true, false, false]);
		expect(status.nodes.find(n => n.id === "node-c")?.tags).toEqual(["gpu"]);
		for (const n of status.nodes) expect(n.load).toMatchObject({ memory: { rssMb: expect.any(Number) }, cpus: expect.any(Number) });
	});

	it("spreads spawned agents over the nodes and shows each agent's node", async () => {
		for (let i = 0; i < 6; i++) await spawnAgent(nodes[i % 3], echoManifest(`spread-${i}`));
		const list = await c.json<{ items: AgentView[] }>("/api/v1/agents");
		const spread = list.items.filter(v => v.id.startsWith("spread-"));
		expect(spread.every(v => v.state === "running")).toBe(true);
		const per = (id: string) => spread.filter(v => v.node === id).length;
		expect([per("node-a"), per("node-b"), per("node-c")]).toEqual([2, 2, 2]);
		const status = await a.json<ClusterStatus>("/api/v1/cluster");
		expect(status.nodes.map(n => n.agents.running)).toEqual([2, 2, 2]);
	});

	it("reaches any agent through any node's gateway", async () => {
		const list = await a.json<{ items: AgentView[] }>("/api/v1/agents");
		for (const view of list.items.filter(v => v.id.startsWith("spread-"))) {
			for (const gateway of nodes) {
				const { status, body } = await task<{ agent: string }>(gateway, view.id, { task: { type: "echo" } });
				expect({ status, agent: body.result?.agent }).toEqual({ status: 200, agent: view.id });
			}
		}
	});

	it("honours a manifest's node tags", async () => {
		const view = await spawnAgent(a, echoManifest("on-gpu", { placement: { nodeTags: ["gpu"] } }));
		expect(view).toMatchObject({ node: "node-c", state: "running" });
	});

	it("keeps an agent no node can take pending, saying why", async () => {
		const view = await spawnAgent(b, echoManifest("on-tpu", { placement: { nodeTags: ["tpu"] } }));
		expect(view).toMatchObject({ state: "pending", node: null });
		expect(view.lastError).toMatch(/no connected node has the tags tpu/);
	});

	it("refuses bad placement constraints with 422 naming the field", async () => {
		const { status, body } = await post<ErrorBody>(a, "/api/v1/agents", { manifest: echoManifest("bad-tags", { placement: { nodeTags: "gpu" } }) });
		expect(status).toBe(422);
		expect(JSON.stringify(body)).toContain("placement.nodeTags");
	});

	it("stops, starts, restarts and deletes an agent from a node that does not host it", async () => {
		const view = await agent(a, "spread-1");
		const other = nodes.find(n => n.node.broker.nodeID !== view.node)!;
		expect((await post<AgentView>(other, "/api/v1/agents/spread-1/stop", {})).body.state).toBe("stopped");
		await eventually("the actor to be gone", () => !a.node.broker.registry.getServiceList({ onlyAvailable: true }).some(s => s.name === "agent.spread-1"));
		const started = await post<AgentView>(other, "/api/v1/agents/spread-1/start", {});
		expect(started.body.state).toBe("running");
		const restarted = await post<AgentView>(other, "/api/v1/agents/spread-1/restart", {});
		expect(restarted.status).toBe(200);
		await untilState(other, "spread-1", "running");
		const logs = await other.json<{ node: string }>("/api/v1/agents/spread-1/logs");
		expect(logs.node).toBe((await agent(a, "spread-1")).node);
		expect((await other.request("/api/v1/agents/spread-1", { method: "DELETE" })).status).toBe(200);
		await eventually("the actor to be gone everywhere", () => !nodes.some(n => n.node.broker.registry.getServiceList({ onlyAvailable: true }).some(s => s.name === "agent.spread-1")));
	});

	it("moves agents onto a node that joins until the counts differ by at most one (CLUSTER_REBALANCE_ON_JOIN)", async () => {
		const d = await startTestNode({ ...env, NODE_ID: "node-d" });
		nodes.push(d);
		await d.node.ready;
		await eventually("node-d to host agents and the counts to even out", async () => {
			const status = await a.json<ClusterStatus>("/api/v1/cluster");
			const placed = status.nodes.filter(n => n.available).map(n => n.agents.placed);
			return placed.length === 4 && (status.nodes.find(n => n.id === "node-d")?.agents.running ?? 0) >= 1 && Math.max(...placed) - Math.min(...placed) <= 1;
		});
		const list = await d.json<{ items: AgentView[] }>("/api/v1/agents");
		expect(list.items.filter(v => v.id !== "on-tpu").every(v => v.state === "running")).toBe(true);
		expect(list.items.find(v => v.id === "on-gpu")?.node).toBe("node-c");
		for (const view of list.items.filter(v => v.node === "node-d")) expect((await task(b, view.id, { task: { type: "echo" } })).status).toBe(200);
	});
});
