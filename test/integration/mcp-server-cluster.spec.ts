/**
 * The MCP server is stateless, so any node of a cluster answers any request: a host
 * connected to one node lists and asks agents that run on another.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { echoManifest, FAST_AGENT_ENV, spawnAgent, untilState } from "../support/agents";
import { startNats, type NatsServer } from "../support/nats-server";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

describe("the MCP server of a two-node cluster (NATS + PostgreSQL)", () => {
	let nats: NatsServer;
	let pg: PostgresServer;
	let a: TestNode;
	let b: TestNode;
	let client: Client | undefined;

	beforeAll(async () => {
		[nats, pg] = await Promise.all([startNats(), startPostgres()]);
		const env = { ...FAST_AGENT_ENV, TRANSPORTER: nats.url, DATABASE_URL: await createDatabase(pg, "mcp_cluster"), GATEWAY_AUTH_TOKEN: "mcp-cluster-token", CLUSTER_LEADER_LEASE_MS: "1500" };
		a = await startTestNode({ ...env, NODE_ID: "node-a", NODE_TAGS: "home" });
		await a.node.ready;
		b = await startTestNode({ ...env, NODE_ID: "node-b" });
		await b.node.ready;
		await eventually("node-b to see node-a", () => b.node.broker.registry.nodes.list({ onlyAvailable: true }).some(n => n.id === "node-a"));
		// Only node-a carries the tag, so the agent runs there.
		await spawnAgent(a, echoManifest("homebody", { trustLevel: "autonomous", placement: { nodeTags: ["home"] } }));
		expect((await untilState(b, "homebody", "running")).node).toBe("node-a");
	});

	afterAll(async () => {
		await client?.close();
		await Promise.all([a?.stop(), b?.stop()]);
		await Promise.all([nats?.stop(), pg?.destroy()]);
	});

	it("lists and asks, through node-b, an agent that runs on node-a", async () => {
		client = new Client({ name: "mcp-cluster-spec", version: "1.0.0" });
		await client.connect(new StreamableHTTPClientTransport(new URL(`${b.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${b.token}` } } }));
		expect((await client.listTools()).tools.map(tool => tool.name)).toContain("ask_homebody");
		const result = (await client.callTool({ name: "ask_homebody", arguments: { task: { type: "echo", text: "across" } } })) as CallToolResult;
		expect(result.isError).toBeFalsy();
		expect(result.structuredContent).toMatchObject({ result: { agent: "homebody", echo: { type: "echo", text: "across" } } });
	});
});
