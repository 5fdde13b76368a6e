import fs from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import path from "node:path";
import { FAST_AGENT_ENV, FIXTURE_AGENTS, agent, spawnAgent, task, untilState } from "../support/agents";
import { eventually, startTestNode, type TestNode } from "../support/test-node";
import { testTempDir } from "../support/test-tmp";

interface Reach {
	ok: boolean;
	code?: string;
	said?: string;
	status?: number;
	body?: string;
}

/**
 * Agent code in a process worker against the network. Node's permission model keeps it
 * to its own files but not off sockets: only the worker's network namespace stops a
 * direct `net.connect` or `fetch` past ALLOWED_DOMAINS. The servers here listen on the
 * host's loopback, so what reaches them is what would reach any address.
 */
let tcp: net.Server;
let tcpPort: number;
let tcpConnections = 0;
let site: http.Server;
let sitePort: number;
let siteRequests: string[] = [];

const manifest = (id: string) => ({
	id,
	name: `Network probe ${id}`,
	entryPoint: path.join(FIXTURE_AGENTS, "network-probe.js"),
	permissions: ["tools.execute", "network.fetch"],
	trustLevel: "autonomous",
	limits: { cpuTimeSeconds: 600 }
});

beforeAll(async () => {
	tcp = net.createServer(socket => {
		tcpConnections++;
		socket.end("hello over tcp");
	});
	await new Promise<void>(resolve => tcp.listen(0, "127.0.0.1", resolve));
	tcpPort = (tcp.address() as AddressInfo).port;
	site = http.createServer((req, res) => {
		siteRequests.push(req.url ?? "");
		res.setHeader("content-type", "text/plain; charset=utf-8");
		res.end(`hello from ${req.url}`);
	});
	await new Promise<void>(resolve => site.listen(0, "127.0.0.1", resolve));
	sitePort = (site.address() as AddressInfo).port;
});

afterAll(async () => {
	await new Promise(resolve => tcp.close(resolve));
	await new Promise(resolve => site.close(resolve));
});

beforeEach(() => {
	tcpConnections = 0;
	siteRequests = [];
});

const netNamespace = (pid: number | "self") => fs.readlinkSync(`/proc/${pid}/ns/net`);

describe("process workers with network isolation (the default, auto)", () => {
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode({ ...FAST_AGENT_ENV, ALLOWED_DOMAINS: `127.0.0.1:${sitePort}` });
		await t.node.ready;
		await spawnAgent(t, manifest("boxed"));
		await untilState(t, "boxed", "running");
	});
	afterAll(() => t.stop());

	it("says so in the agent's detail, and the worker is node itself in a network namespace of its own", async () => {
		const view = await agent(t, "boxed");
		expect(view.networkIsolated).toBe(true);
		// unshare exec'd node in place: the pid the node supervises is the agent's own process.
		const { body } = await task<{ pid: number }>(t, "boxed", { task: { type: "pid" } });
		expect(body.result.pid).toBe(view.pid);
		expect(fs.realpathSync(`/proc/${view.pid}/exe`)).toBe(fs.realpathSync(process.execPath));
		expect(netNamespace(view.pid!)).not.toBe(netNamespace("self"));
		// The CPU-time limit is set on that pid, and holds for node.
		const cpuLimit = () => fs.readFileSync(`/proc/${view.pid}/limits`, "utf8").split("\n").find(l => l.startsWith("Max cpu time"));
		await eventually("RLIMIT_CPU on the worker", () => /^Max cpu time\s+600\s+601\s+seconds/.test(cpuLimit() ?? ""));
	});

	it("refuses the agent's own TCP connection", async () => {
		const { status, body } = await task<Reach>(t, "boxed", { task: { type: "connect", host: "127.0.0.1", port: tcpPort } });
		expect(status).toBe(200);
		expect(body.result).toEqual({ ok: false, code: "ENETUNREACH" });
		expect(tcpConnections).toBe(0);
	});

	it("refuses the agent's own fetch, even to an allowed domain", async () => {
		const { body } = await task<Reach>(t, "boxed", { task: { type: "fetch", url: `http://127.0.0.1:${sitePort}/direct` } });
		expect(body.result).toEqual({ ok: false, code: "ENETUNREACH" });
		expect(siteRequests).toEqual([]);
	});

	it("still fetches an allowed domain through builtin:http_fetch, which the node makes", async () => {
		const { status, body } = await task<{ content: { status: number; body: string } }>(t, "boxed", {
			task: { type: "tool", url: `http://127.0.0.1:${sitePort}/through-the-node` }
		});
		expect(status).toBe(200);
		expect(body.result.content).toMatchObject({ status: 200, body: "hello from /through-the-node" });
		expect(siteRequests).toEqual(["/through-the-node"]);
	});

	it("keeps supervising the worker by its pid: a kill -9 restarts it, isolated again", async () => {
		const before = await agent(t, "boxed");
		process.kill(before.pid!, "SIGKILL");
		let after = before;
		await eventually("a new worker", async () => {
			after = await agent(t, "boxed");
			return after.pid !== before.pid && after.state === "running";
		});
		expect(after).toMatchObject({ state: "running", restarts: before.restarts + 1, networkIsolated: true });
		expect(after.pid).not.toBe(before.pid);
		const { body } = await task<Reach>(t, "boxed", { task: { type: "connect", host: "127.0.0.1", port: tcpPort } });
		expect(body.result.code).toBe("ENETUNREACH");
	});
});

describe("process workers with AGENT_NETWORK_ISOLATION=off", () => {
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode({ ...FAST_AGENT_ENV, ALLOWED_DOMAINS: `127.0.0.1:${sitePort}`, AGENT_NETWORK_ISOLATION: "off" });
		await t.node.ready;
		await spawnAgent(t, manifest("open"));
		await untilState(t, "open", "running");
	});
	afterAll(() => t.stop());

	it("shares the node's network, and says so", async () => {
		const view = await agent(t, "open");
		expect(view.networkIsolated).toBe(false);
		expect(netNamespace(view.pid!)).toBe(netNamespace("self"));
	});

	it("lets the same agent code connect and fetch by itself: the namespace is what stops it", async () => {
		const connected = await task<Reach>(t, "open", { task: { type: "connect", host: "127.0.0.1", port: tcpPort } });
		expect(connected.body.result).toEqual({ ok: true, said: "hello over tcp" });
		const fetched = await task<Reach>(t, "open", { task: { type: "fetch", url: `http://127.0.0.1:${sitePort}/direct` } });
		expect(fetched.body.result).toMatchObject({ ok: true, status: 200, body: "hello from /direct" });
		expect(tcpConnections).toBe(1);
		expect(siteRequests).toEqual(["/direct"]);
	});
});

/**
 * A node where unshare fails as it does without user namespaces (the kernel refusing
 * them, for a node that is not root): a stand-in `unshare` first on the node's PATH says
 * what the real one says there.
 */
describe("process workers on a node that cannot make a network namespace", () => {
	const bin = testTempDir("agentos-no-userns-");
	const pathBefore = process.env.PATH;
	let strict: TestNode;
	let lenient: TestNode;
	beforeAll(async () => {
		fs.writeFileSync(path.join(bin, "unshare"), '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n', { mode: 0o755 });
		process.env.PATH = `${bin}:${pathBefore}`;
		strict = await startTestNode({ ...FAST_AGENT_ENV, AGENT_NETWORK_ISOLATION: "namespace" });
		lenient = await startTestNode({ ...FAST_AGENT_ENV });
		await Promise.all([strict.node.ready, lenient.node.ready]);
	});
	afterAll(async () => {
		process.env.PATH = pathBefore;
		await Promise.all([strict.stop(), lenient.stop()]);
	});

	it("namespace: refuses to start the agent, saying why and what to change", async () => {
		await spawnAgent(strict, manifest("refused"));
		let view = await agent(strict, "refused");
		await eventually("the start to fail", async () => (view = await agent(strict, "refused")).lastError !== null);
		expect(view.state).not.toBe("running");
		expect(view.pid).toBeNull();
		expect(view.lastError).toContain("failed to start: AGENT_NETWORK_ISOLATION is namespace but this node cannot start process workers without a network");
		expect(view.lastError).toContain("unshare failed: Operation not permitted");
	});

	it("auto: runs the agent without a namespace, and its detail says it is not isolated", async () => {
		await spawnAgent(lenient, manifest("unboxed"));
		const view = await untilState(lenient, "unboxed", "running");
		expect(view.networkIsolated).toBe(false);
		const { body } = await task<Reach>(lenient, "unboxed", { task: { type: "connect", host: "127.0.0.1", port: tcpPort } });
		expect(body.result).toEqual({ ok: true, said: "hello over tcp" });
	});
});
