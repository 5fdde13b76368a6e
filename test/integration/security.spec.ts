import WebSocket from "ws";
import type { AuditRecord } from "../../lib/security/audit-log";
import { restAliases } from "../../lib/gateway/rest-aliases";
import type { ErrorBody } from "../../services/api.service";
import { FAST_AGENT_ENV, echoManifest, post, spawnAgent, task } from "../support/agents";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

interface Created {
	token: string;
	id: string;
	scopes: string[];
}

describe("gateway authentication and scopes", () => {
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode({ ...FAST_AGENT_ENV, METRICS_REQUIRE_AUTH: "true", AUDIT_ANONYMOUS_WINDOW_MS: "300" });
		await t.node.ready;
	});
	afterAll(() => t.stop());

	const as = (token: string, route: string, init: RequestInit = {}) =>
		fetch(`${t.url}${route}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers as Record<string, string>) } });

	it("refuses every API route without a token (401), and only health is open", async () => {
		const schemas = (t.node.broker.services.map(s => s.originalSchema) as Parameters<typeof restAliases>[0]).filter(s => s.name !== "api");
		const routes = Object.keys(restAliases(schemas));
		expect(routes.length).toBeGreaterThan(20);
		for (const route of routes) {
			const [method, path] = route.split(" ");
			const res = await fetch(`${t.url}/api/v1/${path.replace(/:[A-Za-z]+/g, "x")}`, { method, headers: { "content-type": "application/json" }, body: method === "GET" ? undefined : "{}" });
			expect({ route, status: res.status }).toEqual({ route, status: 401 });
		}
		for (const open of ["/live", "/ready", "/health"]) expect((await fetch(`${t.url}${open}`)).status).toBe(200);
		expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
		expect((await t.request("/metrics")).status).toBe(200);
	});

	it("issues a scoped token, shown once and stored hashed", async () => {
		const { status, body } = await post<Created>(t, "/api/v1/tokens", { name: "reader", scopes: ["agents:read"] });
		expect(status).toBe(201);
		expect(body.token).toMatch(/^aos_/);
		const { rows } = await t.node.kernel.db.query<{ token_hash: string }>("SELECT token_hash FROM api_tokens WHERE id = $1", [body.id]);
		expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
		expect(JSON.stringify(await t.json("/api/v1/tokens"))).not.toContain(body.token);

		expect((await as(body.token, "/api/v1/agents")).status).toBe(200);
		const refused = await as(body.token, "/api/v1/agents", { method: "POST", body: JSON.stringify({ manifest: echoManifest("nope") }) });
		expect(refused.status).toBe(403);
		expect(((await refused.json()) as ErrorBody).error).toMatchObject({ type: "FORBIDDEN_SCOPE", data: { scope: "agents:write" } });
		// Routes that name no scope need admin.
		expect((await as(body.token, "/api/v1/tokens")).status).toBe(403);

		expect((await t.request(`/api/v1/tokens/${body.id}`, { method: "DELETE" })).status).toBe(200);
		const revoked = await as(body.token, "/api/v1/agents");
		expect(revoked.status).toBe(401);
		expect(((await revoked.json()) as ErrorBody).error.type).toBe("INVALID_TOKEN");
	});

	it("stops honouring a token when it expires", async () => {
		const { body } = await post<Created>(t, "/api/v1/tokens", { name: "brief", scopes: ["admin"], expiresInDays: 1 / 86_400 });
		expect((await as(body.token, "/api/v1/agents")).status).toBe(200);
		await eventually("the token to expire", async () => (await as(body.token, "/api/v1/agents")).status === 401, 8000, 200);
	});

	it("refuses unknown scopes with a clear 422", async () => {
		const { status, body } = await post<ErrorBody>(t, "/api/v1/tokens", { name: "x", scopes: ["root"] });
		expect(status).toBe(422);
		expect(body.error.message).toContain("scopes");
	});

	it("audits refusals at the gateway", async () => {
		await fetch(`${t.url}/api/v1/agents`, { headers: { authorization: "Bearer wrong" } });
		// Without a valid token, refusals are counted per address and window (AUDIT_ANONYMOUS_WINDOW_MS).
		await eventually("the refusal in the audit log", async () => {
			await t.node.audit.flush();
			const { items } = await t.json<{ items: AuditRecord[] }>("/api/v1/audit?outcome=denied&action=gateway.*");
			return items.some(i => i.action === "gateway.unauthenticated" && ((i.data as { by: Record<string, number> }).by["INVALID_TOKEN GET /api/v1/agents"] ?? 0) >= 1);
		});
		// A valid token's refusal is its own entry, naming the token.
		const { body } = await post<Created>(t, "/api/v1/tokens", { name: "reader-2", scopes: ["agents:read"] });
		await as(body.token, "/api/v1/tokens");
		await t.node.audit.flush();
		const { items } = await t.json<{ items: AuditRecord[] }>("/api/v1/audit?outcome=denied&action=gateway.*");
		expect(items).toContainEqual(expect.objectContaining({ action: "gateway.GET /api/v1/tokens", principal: { kind: "user", id: `token:${body.id}` }, data: { reason: "missing scope admin" } }));
	});

	it("holds WebSocket messages to the same scopes", async () => {
		const { body } = await post<Created>(t, "/api/v1/tokens", { name: "no-llm", scopes: ["agents:read"] });
		const ws = new WebSocket(`${t.url.replace("http", "ws")}/ws`, { headers: { authorization: `Bearer ${body.token}` } });
		await new Promise(resolve => ws.once("open", resolve));
		const answer = new Promise<{ error: { type: string } }>(resolve => ws.once("message", raw => resolve(JSON.parse(raw.toString()))));
		ws.send(JSON.stringify({ type: "chat", id: 1, payload: { messages: [{ role: "user", content: "hi" }] } }));
		expect((await answer).error.type).toBe("FORBIDDEN_SCOPE");
		ws.close();
	});
});

describe("agent capabilities, the audit chain and approvals", () => {
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode({ ...FAST_AGENT_ENV, APPROVAL_TIMEOUT_MS: "1500" });
		await t.node.ready;
		t.node.broker.createService({
			name: "vault",
			actions: {
				open: { permission: "tools.execute", approval: "supervised", handler: () => "opened" }
			}
		});
		await spawnAgent(t, echoManifest("thinker", { permissions: ["llm.execute"] }));
		await spawnAgent(t, echoManifest("mute"));
	});
	afterAll(() => t.stop());

	const denials = async (agentId: string) => {
		await t.node.audit.flush();
		return (await t.json<{ items: AuditRecord[] }>(`/api/v1/audit?agentId=${agentId}&outcome=denied`)).items;
	};

	it("refuses an agent an action it has no grant for, and audits the refusal", async () => {
		const { body } = await task(t, "mute", { task: { type: "llm", prompt: "x" } });
		expect(body.error).toMatchObject({ type: "PERMISSION_DENIED", message: expect.stringContaining("llm.execute") });
		// The agent's refused call is the denial, under the task's request id; the person's task
		// was not refused, it failed with that refusal.
		const denied = await denials("mute");
		const call = denied.find(e => e.action === "mal.chat");
		expect(call).toMatchObject({ actor: { kind: "agent", id: "mute" }, data: expect.objectContaining({ capability: "llm.execute" }) });
		expect(denied.find(e => e.action === "agents.submitTask")).toBeUndefined();
		const failed = (await t.json<{ items: AuditRecord[] }>("/api/v1/audit?agentId=mute&outcome=failed&action=agents.submitTask")).items;
		expect(failed[0]).toMatchObject({ actor: { kind: "user", id: "admin" }, requestId: call!.requestId, data: expect.objectContaining({ error: "PERMISSION_DENIED" }) });
	});

	it("allows it once granted, and refuses it again once revoked", async () => {
		const granted = await post<{ id: number; capability: string }>(t, "/api/v1/agents/mute/grants", { capability: "llm.execute" });
		expect(granted.status).toBe(201);
		expect((await task(t, "mute", { task: { type: "llm", prompt: "now" } })).status).toBe(200);
		const revoked = await t.request("/api/v1/agents/mute/grants?capability=llm.execute", { method: "DELETE" });
		expect(await revoked.json()).toEqual({ revoked: 1 });
		expect((await task(t, "mute", { task: { type: "llm", prompt: "again" } })).status).toBe(403);
		expect(await t.json("/api/v1/agents/mute/grants")).toEqual({ items: [], pending: [] });
	});

	it("narrows a grant to some models", async () => {
		await post(t, "/api/v1/agents/mute/grants", { capability: "llm.execute", constraints: { models: ["offline-extractive"] } });
		expect((await task(t, "mute", { task: { type: "llm", prompt: "ok", model: "offline-extractive" } })).status).toBe(200);
		const { body } = await task(t, "mute", { task: { type: "llm", prompt: "not this one", model: "offline-hash-384" } });
		expect(body.error).toMatchObject({ type: "MODEL_NOT_GRANTED", message: expect.stringContaining("may only use the models offline-extractive") });
	});

	it("records privileged calls in a hash chain that exposes an edited row", async () => {
		await t.node.audit.flush();
		expect(await t.json("/api/v1/audit/verify")).toMatchObject({ ok: true });
		const { rows } = await t.node.kernel.db.query<{ seq: string }>("SELECT seq FROM audit_log WHERE action = 'agents.spawn' ORDER BY seq LIMIT 1");
		await t.node.kernel.db.query("UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = $1", [rows[0].seq]);
		expect(await t.json("/api/v1/audit/verify")).toMatchObject({ ok: false, firstBad: { seq: Number(rows[0].seq) } });
	});

	it("exports the log as JSON lines", async () => {
		const res = await t.request("/api/v1/audit/export?action=agents.*");
		expect(res.headers.get("content-type")).toContain("application/x-ndjson");
		const lines = (await res.text()).trim().split("\n").map(l => JSON.parse(l) as AuditRecord);
		expect(lines.filter(l => l.action === "agents.spawn").length).toBeGreaterThanOrEqual(2);
	});

	describe("approvals for supervised agents", () => {
		const open = (trustLevel: string) =>
			t.node.broker.call("vault.open", {}, { meta: { caller: { kind: "agent", id: "thinker", trustLevel } } }).then(
				v => ({ ok: true, value: v }),
				(e: { type: string }) => ({ ok: false, type: e.type })
			);
		const pending = async () => (await t.json<{ items: { id: string; action: string }[] }>("/api/v1/approvals?status=pending")).items;

		beforeAll(async () => {
			await post(t, "/api/v1/agents/thinker/grants", { capability: "tools.execute" });
		});

		it("runs the action once a person approves it", async () => {
			const result = open("supervised");
			let waiting: { id: string; action: string }[] = [];
			await eventually("the approval to be pending", async () => (waiting = await pending()).length === 1);
			expect(waiting[0].action).toBe("vault.open");
			expect((await post(t, `/api/v1/approvals/${waiting[0].id}/approve`, { note: "fine" })).status).toBe(200);
			expect(await result).toEqual({ ok: true, value: "opened" });
		});

		it("refuses the action when a person denies it", async () => {
			const result = open("supervised");
			let waiting: { id: string }[] = [];
			await eventually("the approval to be pending", async () => (waiting = await pending()).length === 1);
			await post(t, `/api/v1/approvals/${waiting[0].id}/deny`, { note: "not today" });
			expect(await result).toEqual({ ok: false, type: "APPROVAL_DENIED" });
			const again = await post<ErrorBody>(t, `/api/v1/approvals/${waiting[0].id}/approve`, {});
			expect(again.status).toBe(409);
		});

		it("refuses the action when nobody decides in time", async () => {
			expect(await open("supervised")).toEqual({ ok: false, type: "APPROVAL_EXPIRED" });
			expect((await t.json<{ items: unknown[] }>("/api/v1/approvals?status=expired")).items.length).toBe(1);
		});

		it("lets an autonomous agent act without asking", async () => {
			expect(await open("autonomous")).toEqual({ ok: true, value: "opened" });
		});
	});
});

describe("gateway limits", () => {
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode({ GATEWAY_MESSAGE_RATE_LIMIT: "5", GATEWAY_MAX_PAYLOAD_BYTES: "2048" });
		await t.node.ready;
	});
	afterAll(() => t.stop());

	it("refuses an oversized body with 413", async () => {
		const res = await t.request("/api/v1/llm/chat", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ messages: [{ role: "user", content: "x".repeat(5000) }] }) });
		expect(res.status).toBe(413);
		expect(((await res.json()) as ErrorBody).error.type).toBe("PAYLOAD_TOO_LARGE");
	});

	it("answers 429 with Retry-After past the rate limit", async () => {
		const statuses: number[] = [];
		let last: Response | undefined;
		for (let i = 0; i < 7; i++) {
			last = await t.request("/api/v1/agents");
			statuses.push(last.status);
		}
		expect(statuses.filter(s => s === 429).length).toBeGreaterThanOrEqual(2);
		expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
		expect(((await last!.json()) as ErrorBody).error.type).toBe("RATE_LIMITED");
	});
});
