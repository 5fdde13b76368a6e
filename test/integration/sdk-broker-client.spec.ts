import { AgentOSClient } from "../../sdk";
import { FAST_AGENT_ENV, echoManifest } from "../support/agents";
import { startNats, type NatsServer } from "../support/nats-server";
import { startTestNode, type TestNode } from "../support/test-node";

describe("the SDK's broker client, joining a real NATS cluster", () => {
	let nats: NatsServer;
	let node: TestNode;
	let client: AgentOSClient;

	beforeAll(async () => {
		nats = await startNats();
		node = await startTestNode({ ...FAST_AGENT_ENV, TRANSPORTER: nats.url, NODE_ID: "server-1" });
		await node.node.ready;
		client = await AgentOSClient.connect({ transporter: nats.url, user: "sdk-test" });
	});
	afterAll(async () => {
		await client?.close();
		await node?.stop();
		await nats?.stop();
	});

	it("joins as a node without services of its own", () => {
		expect(client.nodes()).toContain("server-1");
		const own = client.broker.registry.getServiceList({ onlyLocal: true }).map(s => s.name);
		expect(own).toEqual(["$node"]);
	});

	it("spawns an agent on the cluster and asks it directly, as its caller", async () => {
		const view = await client.agents.spawn(echoManifest("remote-echo"));
		expect(view).toMatchObject({ id: "remote-echo", state: "running", node: "server-1" });
		const answer = await client.ask<{ echo: unknown; caller: unknown }>("remote-echo", { type: "echo", n: 7 });
		expect(answer).toMatchObject({ echo: { type: "echo", n: 7 }, caller: { kind: "user", id: "sdk-test" } });
		const recorded = await client.agents.task("remote-echo", { type: "echo" });
		expect(recorded).toMatchObject({ status: "succeeded", taskId: expect.any(String) });
		expect((await client.agents.list()).items.map(a => a.id)).toContain("remote-echo");
	});

	it("chats and streams through the cluster's model layer", async () => {
		const result = await client.llm.chat({ messages: [{ role: "user", content: "hello from the sdk" }] });
		expect(result).toMatchObject({ provider: "offline" });
		const lines = [];
		for await (const line of client.llm.stream({ messages: [{ role: "user", content: "stream to the sdk" }] })) lines.push(line);
		expect(lines.at(-1)).toMatchObject({ type: "end", result: { provider: "offline" } });
		expect(lines.filter(l => l.type === "text").length).toBeGreaterThan(1);
	});

	it("is audited under its own name", async () => {
		await node.node.audit.flush();
		const { items } = await node.json<{ items: { actor: { id: string }; action: string }[] }>("/api/v1/audit?action=agents.spawn");
		expect(items.some(i => i.actor.id === "sdk-test")).toBe(true);
	});

	it("says plainly when no node answers", async () => {
		await expect(AgentOSClient.connect({ transporter: nats.url, namespace: "nobody-here", connectTimeoutMs: 500 })).rejects.toThrow(/No AgentOS node answered on nats:\/\/127\.0\.0\.1:\d+ \(namespace nobody-here\)/);
	});
});
