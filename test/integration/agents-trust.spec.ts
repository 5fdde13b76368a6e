import fs from "node:fs";
import path from "node:path";
import { signManifest } from "../../sdk";
import type { AgentView } from "../../lib/cluster/agent-view";
import type { ErrorBody } from "../../services/api.service";
import { FAST_AGENT_ENV, FIXTURE_AGENTS, echoManifest, post, spawnAgent, task, untilState } from "../support/agents";
import { startTestNode, tempDataDir, type TestNode } from "../support/test-node";
import { testTempDir } from "../support/test-tmp";

const SECRET = "manifest-signing-secret-for-tests";

describe("manifest signatures", () => {
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode({ ...FAST_AGENT_ENV, MANIFEST_SIGNING_SECRET: SECRET });
		await t.node.ready;
	});
	afterAll(() => t.stop());

	it("runs a manifest signed with the node's secret", async () => {
		const view = await spawnAgent(t, signManifest(echoManifest("signed"), SECRET));
		expect(view.state).toBe("running");
	});

	it("refuses an unsigned manifest", async () => {
		const { status, body } = await post<ErrorBody>(t, "/api/v1/agents", { manifest: echoManifest("unsigned") });
		expect(status).toBe(422);
		expect(body.error).toMatchObject({ type: "MANIFEST_SIGNATURE_INVALID", data: { reason: "missing" } });
	});

	it.each([
		["a permission added", (m: Record<string, unknown>) => ({ ...m, permissions: ["a2a.send"] })],
		["the entry point changed", (m: Record<string, unknown>) => ({ ...m, entryPoint: path.join(FIXTURE_AGENTS, "crash-on-start.js") })],
		["a limit raised", (m: Record<string, unknown>) => ({ ...m, limits: { memoryMB: 4096 } })]
	])("refuses a signed manifest with %s", async (_what, tamper) => {
		const signed = signManifest(echoManifest("tampered"), SECRET);
		const { status, body } = await post<ErrorBody>(t, "/api/v1/agents", { manifest: tamper(signed) });
		expect(status).toBe(422);
		expect(body.error).toMatchObject({ type: "MANIFEST_SIGNATURE_INVALID", data: { reason: "mismatch" } });
	});

	it("refuses a manifest signed with another secret", async () => {
		const { status } = await post(t, "/api/v1/agents", { manifest: signManifest(echoManifest("foreign"), "another-secret") });
		expect(status).toBe(422);
	});
});

describe("where agent code may come from", () => {
	let t: TestNode;
	const outside = testTempDir("agentos-outside-");
	const allowed = testTempDir("agentos-allowed-");

	beforeAll(async () => {
		fs.writeFileSync(path.join(outside, "evil.js"), "module.exports = { onTask: () => 'escaped' };");
		fs.symlinkSync(path.join(outside, "evil.js"), path.join(allowed, "link.js"));
		t = await startTestNode({ ...FAST_AGENT_ENV, AGENT_CODE_PATHS: `${FIXTURE_AGENTS},${allowed}` });
		await t.node.ready;
	});
	afterAll(() => t.stop());

	it.each([
		["a file outside AGENT_CODE_PATHS", () => path.join(outside, "evil.js"), "is outside the agent code folders"],
		["a symlink that leads outside", () => path.join(allowed, "link.js"), "is outside the agent code folders"],
		["a path that climbs out with ..", () => path.join(allowed, "..", path.basename(outside), "evil.js"), "is outside the agent code folders"],
		["a file that does not exist", () => path.join(FIXTURE_AGENTS, "nope.js"), "does not exist"]
	])("refuses %s", async (_what, entryPoint, message) => {
		const { status, body } = await post<ErrorBody>(t, "/api/v1/agents", { manifest: { id: "escape", name: "Escape", entryPoint: entryPoint() } });
		expect(status).toBe(422);
		expect(body.error.type).toBe("MANIFEST_INVALID");
		expect(body.error.message).toContain(message);
		expect(body.error.data).toEqual({ fields: [expect.objectContaining({ field: "entryPoint" })] });
	});

	it("refuses in-process code unless its folder is trusted", async () => {
		const { status, body } = await post<ErrorBody>(t, "/api/v1/agents", { manifest: echoManifest("inside", { runtime: "inprocess" }) });
		expect(status).toBe(422);
		expect(body.error.message).toContain("AGENT_INPROCESS_PATHS");
	});

	it.each([
		[{ id: "Bad Id", name: "x", entryPoint: "x.js" }, "id"],
		[{ id: "ok", name: "x", entryPoint: "x.js", limits: { memoryMB: 1 } }, "limits.memoryMB"],
		[{ id: "ok", name: "x", entryPoint: "x.js", trustLevel: "god-mode" }, "trustLevel"],
		[{ id: "ok", name: "x" }, "entryPoint"]
	])("refuses a bad manifest with 422 naming the field (%j)", async (manifest, field) => {
		const { status, body } = await post<ErrorBody>(t, "/api/v1/agents", { manifest });
		expect(status).toBe(422);
		expect(body.error.type).toBe("MANIFEST_INVALID");
		expect((body.error.data as { fields: { field: string }[] }).fields.map(f => f.field)).toContain(field);
	});
});

describe("agents asking agents", () => {
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode({ ...FAST_AGENT_ENV, AGENT_INPROCESS_PATHS: FIXTURE_AGENTS });
		await t.node.ready;
		await spawnAgent(t, echoManifest("caller", { permissions: ["a2a.send"] }));
		await spawnAgent(t, echoManifest("callee", { runtime: "inprocess" }));
		await spawnAgent(t, echoManifest("mute"));
	});
	afterAll(() => t.stop());

	it("delivers an ask from one agent to another, carrying the sender's identity", async () => {
		const { status, body } = await task<{ answer: { caller: unknown; agent: string } }>(t, "caller", {
			task: { type: "ask", target: "callee", task: { type: "echo", hello: 1 } }
		});
		expect(status).toBe(200);
		expect(body.result.answer).toMatchObject({ agent: "callee", caller: { kind: "agent", id: "caller", node: t.node.broker.nodeID } });
	});

	it("hands a task over with send, recorded before it is acknowledged", async () => {
		const { body } = await task<{ taskId: string }>(t, "caller", { task: { type: "send", target: "callee", task: { type: "echo" } } });
		const record = await t.json<{ status: string; caller: unknown }>(`/api/v1/tasks/${body.result.taskId}`);
		expect(record.caller).toEqual({ kind: "agent", id: "caller", node: t.node.broker.nodeID });
	});

	it("refuses an agent without the a2a.send capability", async () => {
		const { status, body } = await task(t, "mute", { task: { type: "ask", target: "callee", task: { type: "echo" } } });
		expect(status).toBe(403);
		expect(body.error).toMatchObject({ type: "PERMISSION_DENIED", message: expect.stringContaining("a2a.send") });
	});

	it("refuses a replayed envelope", async () => {
		// Capture a genuine envelope the way a node seals one, use it once, then replay it.
		const signer = (await import("../../actors/envelope")).EnvelopeSigner;
		const secret = fs.readFileSync(path.join(t.dataDir, "cluster-secret"), "utf8").trim();
		const envelope = new signer(secret).seal("caller", "callee", t.node.broker.nodeID, { type: "echo" });
		await t.node.broker.call("agent.callee.ask", { task: { type: "echo" }, envelope });
		await expect(t.node.broker.call("agent.callee.ask", { task: { type: "echo" }, envelope })).rejects.toMatchObject({
			type: "ENVELOPE_INVALID",
			data: { reason: "replayed envelope" }
		});
	});

	it("runs an in-process agent inside the node, without a worker process", async () => {
		const view = await t.json<AgentView>("/api/v1/agents/callee");
		expect(view).toMatchObject({ runtime: "inprocess", state: "running", pid: null });
	});
});

describe("a node restart", () => {
	it("brings back every agent whose desired state is running, and only those", async () => {
		const dataDir = tempDataDir();
		const first = await startTestNode({ ...FAST_AGENT_ENV, AGENTOS_DATA_DIR: dataDir });
		await first.node.ready;
		const before = await spawnAgent(first, echoManifest("survivor"));
		await spawnAgent(first, echoManifest("resting"));
		await post(first, "/api/v1/agents/resting/stop", {});
		await first.stop();
		expect(() => process.kill(before.pid!, 0)).toThrow();

		const second = await startTestNode({ ...FAST_AGENT_ENV, AGENTOS_DATA_DIR: dataDir });
		try {
			const after = await untilState(second, "survivor", "running");
			expect(after.pid).not.toBe(before.pid);
			expect((await task(second, "survivor", { task: { type: "echo" } })).status).toBe(200);
			expect((await second.json<AgentView>("/api/v1/agents/resting")).state).toBe("stopped");
		} finally {
			await second.stop();
		}
	});
});
