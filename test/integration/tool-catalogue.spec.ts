/**
 * The catalogue of actions offered as tools is built once and rebuilt when the cluster's
 * services change: a service started or stopped after it was first read, on the same
 * node or on another one over NATS, shows in GET /api/v1/tools and can be invoked — or
 * no longer — as soon as the node knows of it.
 */
import type { ServiceBroker, ServiceSchema } from "moleculer";
import type { ErrorBody } from "../../services/api.service";
import type { ToolInfo } from "../../lib/tools/tool";
import { FAST_AGENT_ENV, echoManifest, post, spawnAgent } from "../support/agents";
import { startNats, type NatsServer } from "../support/nats-server";
import { createDatabase, startPostgres, type PostgresServer } from "../support/postgres-server";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

/** A service whose one action is offered as a tool and says which node ran it. */
const offering = (name: string, broker: ServiceBroker): ServiceSchema => ({
	name,
	actions: {
		today: {
			tool: true,
			description: "What is notable today, and which node says so",
			params: { place: "string" },
			handler(ctx) {
				return { place: (ctx.params as { place: string }).place, node: broker.nodeID };
			}
		}
	}
});

describe("the tool catalogue as services start and stop (two nodes over NATS)", () => {
	let nats: NatsServer;
	let pg: PostgresServer;
	let a: TestNode;
	let b: TestNode;
	let env: Record<string, string>;

	const registered = (name: string) => a.node.broker.registry.getServiceList({ onlyAvailable: true }).some(service => service.name === name);
	const listed = async (id: string) => (await a.json<ToolInfo[]>("/api/v1/tools")).some(tool => tool.id === id);
	const invoke = (id: string) => post<{ content: { place: string; node: string } } & ErrorBody>(a, `/api/v1/agents/user/tools/${id}/invoke`, { arguments: { place: "Lisbon" } });

	/** Starts the service on a node, then checks that node-a offers its action and runs it where the service is. */
	async function startedOn(broker: ServiceBroker, name: string, nodeId: string): Promise<void> {
		const id = `action:${name}.today`;
		expect(await listed(id)).toBe(false);
		broker.createService(offering(name, broker));
		await a.node.broker.waitForServices(name, 15000);
		expect(await listed(id)).toBe(true);
		const { status, body } = await invoke(id);
		expect(status).toBe(200);
		expect(body.content).toEqual({ place: "Lisbon", node: nodeId });
	}

	/** Stops the service, then checks that node-a offers its action no more. */
	async function stoppedOn(broker: ServiceBroker, name: string): Promise<void> {
		const id = `action:${name}.today`;
		await broker.destroyService(name);
		await eventually(`${name} to be gone from node-a's registry`, () => !registered(name));
		expect(await listed(id)).toBe(false);
		const { status, body } = await invoke(id);
		expect(status).toBe(404);
		expect(body.error.type).toBe("TOOL_NOT_FOUND");
	}

	beforeAll(async () => {
		[nats, pg] = await Promise.all([startNats(), startPostgres()]);
		env = { ...FAST_AGENT_ENV, TRANSPORTER: nats.url, DATABASE_URL: await createDatabase(pg, "tool_catalogue"), GATEWAY_AUTH_TOKEN: "tool-catalogue-token" };
		a = await startTestNode({ ...env, NODE_ID: "node-a" });
		await a.node.ready;
		b = await startTestNode({ ...env, NODE_ID: "node-b" });
		await b.node.ready;
		await eventually("node-a to see node-b", () => a.node.broker.registry.nodes.list({ onlyAvailable: true }).some(n => n.id === "node-b"));
		await spawnAgent(a, echoManifest("user", { permissions: ["tools.execute"], trustLevel: "autonomous" }));
		// The catalogue is read, and so built, before any of the services below exists.
		expect((await a.json<ToolInfo[]>("/api/v1/tools")).some(tool => tool.source === "action")).toBe(true);
	});

	afterAll(async () => {
		await Promise.all([a?.stop(), b?.stop()]);
		await Promise.all([nats?.stop(), pg?.destroy()]);
	});

	it("offers the action of a service started on the same node, and drops it when the service stops", async () => {
		await startedOn(a.node.broker, "almanac", "node-a");
		await stoppedOn(a.node.broker, "almanac");
	});

	it("offers the action of a service started on another node, and drops it when the service stops there", async () => {
		await startedOn(b.node.broker, "tides", "node-b");
		await stoppedOn(b.node.broker, "tides");
	});

	it("drops the actions of a node that leaves the cluster", async () => {
		const c = await startTestNode({ ...env, NODE_ID: "node-c" });
		try {
			await startedOn(c.node.broker, "weather", "node-c");
		} finally {
			await c.stop();
		}
		await eventually("node-c to leave node-a's registry", () => !registered("weather"));
		expect(await listed("action:weather.today")).toBe(false);
	});
});
