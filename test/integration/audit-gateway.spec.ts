import type { AuditRecord, AuditVerifyResult } from "../../lib/security/audit-log";
import { FAST_AGENT_ENV, echoManifest, post, spawnAgent, task } from "../support/agents";
import { runCli } from "../support/cli";
import { eventually, startTestNode, tempDataDir, type TestNode } from "../support/test-node";
import { connect } from "../support/ws-client";

/** What the audit log says about calls made through the gateway, read back through GET /api/v1/audit. */
describe("the audit log of a node, as its API shows it", () => {
	const dataDir = tempDataDir();
	const env = { ...FAST_AGENT_ENV, AGENTOS_DATA_DIR: dataDir, AUDIT_ANONYMOUS_WINDOW_MS: "3000" };
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode(env);
		await t.node.ready;
		await spawnAgent(t, echoManifest("fetcher", { permissions: ["tools.execute", "network.fetch"], trustLevel: "autonomous" }));
		await spawnAgent(t, echoManifest("offline", { permissions: ["tools.execute"], trustLevel: "autonomous" }));
		await spawnAgent(t, echoManifest("sender", { permissions: ["a2a.send"] }));
	});
	afterAll(() => t.stop());

	const entries = async (query: string) => {
		await t.node.audit.flush();
		return (await t.json<{ items: AuditRecord[]; total: number }>(`/api/v1/audit?${query}`)).items;
	};

	it("records a tool call refused by its URL guard as denied, with the tool and the URL (no query)", async () => {
		const res = await post(t, "/api/v1/agents/fetcher/tools/builtin:http_fetch/invoke", { arguments: { url: "http://169.254.169.254/latest/meta-data?token=s3cret" } });
		expect(res.status).toBe(403);
		// The refusal is recorded once, where the tool refused it: the agent acted, the admin asked.
		const denied = await entries("action=tools.invoke&outcome=denied&agentId=fetcher");
		expect(denied).toHaveLength(1);
		expect(denied[0]).toMatchObject({
			actor: { kind: "agent", id: "fetcher" },
			principal: { kind: "user", id: "admin" },
			data: { reason: "TOOL_REFUSED", toolId: "builtin:http_fetch", url: "http://169.254.169.254/latest/meta-data" }
		});
		// The admin's request failed with that refusal.
		const [asked] = await entries("action=tools.invoke&outcome=failed&actorId=admin");
		expect(asked).toMatchObject({ target: "fetcher", requestId: denied[0].requestId, data: expect.objectContaining({ error: "TOOL_REFUSED" }) });
		expect(JSON.stringify([...denied, asked])).not.toContain("s3cret");
	});

	it("records an agent's tool call refused for want of a grant as denied, with the tool and the URL", async () => {
		const { body } = await task(t, "offline", { task: { type: "tool", toolId: "builtin:http_fetch", arguments: { url: "https://example.com/page" } } });
		expect(JSON.stringify(body)).toContain("network.fetch");
		const [entry] = await entries("action=tools.invoke&outcome=denied&actorId=offline");
		expect(entry).toMatchObject({
			actor: { kind: "agent", id: "offline" },
			principal: { kind: "agent", id: "offline" },
			data: { reason: "PERMISSION_DENIED", toolId: "builtin:http_fetch", url: "https://example.com/page", needs: "network.fetch" }
		});
	});

	it("names the admin token that sent a WebSocket a2a_task as the principal, and the agent it was sent as as the actor", async () => {
		const { body: token } = await post<{ id: string; token: string }>(t, "/api/v1/tokens", { name: "a2a-client", scopes: ["admin"] });
		const ws = await connect(`${t.url.replace("http", "ws")}/ws`, { authorization: `Bearer ${token.token}` });
		try {
			const answer = await ws.request("agent_task", { agentId: "sender", task: { type: "a2a_task", targetAgentId: "fetcher", task: { type: "echo", n: 1 } } });
			expect(answer).toMatchObject({ type: "result", payload: { status: "succeeded" } });
		} finally {
			ws.close();
		}
		// The submission, and the sending agent's call to the target's actor, each name both.
		const byToken = await entries(`principalId=token:${token.id}`);
		expect(byToken.map(e => e.action).sort()).toEqual(["agent.fetcher.ask", "agents.submitTask"]);
		for (const e of byToken) expect(e).toMatchObject({ actor: { kind: "agent", id: "sender" }, principal: { kind: "user", id: `token:${token.id}` }, outcome: "succeeded" });
		const submitted = byToken.find(e => e.action === "agents.submitTask")!;
		expect(submitted.target).toBe("fetcher");
		expect((await entries("agentId=sender&action=agents.submitTask")).map(e => e.seq)).toEqual([submitted.seq]);
	});

	it("folds 100 requests without a valid token from one address into one entry with the exact count, at the window's end", async () => {
		const started = Date.now();
		for (let i = 0; i < 100; i++) {
			const res = await fetch(`${t.url}/api/v1/agents`, { headers: i % 2 ? { authorization: "Bearer wrong" } : {} });
			expect(res.status).toBe(401);
		}
		// Nothing yet: one entry comes when the window (3 s) ends, not one a request.
		if (Date.now() - started < 2500) expect(await entries("action=gateway.*")).toEqual([]);
		let rows: AuditRecord[] = [];
		await eventually("the window's entry", async () => (rows = await entries("action=gateway.*")).length > 0, 10_000, 100);
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({
			action: "gateway.unauthenticated",
			outcome: "denied",
			actor: { kind: "user", id: expect.stringMatching(/^anonymous@.*127\.0\.0\.1$/) },
			data: { count: 100, by: { "NO_TOKEN GET /api/v1/agents": 50, "INVALID_TOKEN GET /api/v1/agents": 50 } }
		});
	});

	it("verifies across a restart of the node, and finds rows removed since its last checkpoint", async () => {
		await post(t, "/api/v1/tokens", { name: "before-restart", scopes: ["agents:read"] });
		await t.stop();
		t = await startTestNode(env);
		await t.node.ready;
		const verified = await t.json<AuditVerifyResult>("/api/v1/audit/verify");
		expect(verified).toMatchObject({ ok: true, checkpoint: { seq: expect.any(Number) } });
		const { rows } = await t.node.kernel.db.query<{ seq: string }>("SELECT max(seq) AS seq FROM audit_log");
		// The checkpoint made as the node stopped vouches for its last entry.
		expect(verified.checkpoint!.seq).toBe(Number(rows[0].seq));
		await post(t, "/api/v1/tokens", { name: "after-restart", scopes: ["agents:read"] });
		await t.node.audit.flush();
		expect(await t.json<AuditVerifyResult>("/api/v1/audit/verify")).toMatchObject({ ok: true });

		await t.node.kernel.db.query("DELETE FROM audit_log WHERE seq >= $1", [verified.checkpoint!.seq]);
		expect(await t.json<AuditVerifyResult>("/api/v1/audit/verify")).toMatchObject({ ok: false, firstBad: { check: "truncated", seq: verified.checkpoint!.seq } });
		// The CLI says the same, and exits 3.
		const run = await runCli(["audit", "verify"], { AGENTOS_URL: t.url, AGENTOS_TOKEN: t.token });
		expect(run).toMatchObject({ code: 3, stdout: expect.stringMatching(new RegExp(`^audit chain BROKEN \\(truncated\\) at seq ${verified.checkpoint!.seq}: rows were removed from the end`)) });
	});
});
