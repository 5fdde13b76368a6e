import type { ErrorBody } from "../../services/api.service";
import type { HealthReport } from "../../services/health.service";
import { startTestNode, type TestNode } from "../support/test-node";

describe("gateway on the embedded node", () => {
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode();
		await t.node.ready;
	});
	afterAll(() => t.stop());

	it.each(["/live", "/ready", "/health"])("answers %s without a token", async route => {
		const res = await t.request(route, { auth: false });
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toContain("application/json");
	});

	it("lists each subsystem and its state in /health", async () => {
		const body = await t.json<HealthReport>("/health");
		expect(body).toMatchObject({
			status: "ok",
			node: t.node.broker.nodeID,
			subsystems: {
				database: { state: "ready", kind: "pglite" },
				vectorStore: { state: "ready", kind: "pgvector" },
				transporter: { state: "disabled" },
				cacher: { state: "ready", kind: "memory" }
			}
		});
		expect(body.instanceId).toMatch(/^[0-9a-f-]{36}$/);
	});

	it("serves Prometheus text at /metrics: calls, latency, process and cluster", async () => {
		await t.request("/health", { auth: false });
		const res = await t.request("/metrics", { auth: false });
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toContain("text/plain");
		const text = await res.text();
		const node = t.node.broker.nodeID;
		expect(text).toMatch(new RegExp(`^agentos_action_calls_total\\{node="${node}",namespace="agentos",action="health.check",outcome="ok"\\} [1-9]`, "m"));
		expect(text).toMatch(/^# TYPE agentos_action_duration_seconds histogram$/m);
		expect(text).toMatch(/^agentos_process_resident_memory_bytes\{.*\} \d+/m);
		expect(text).toMatch(/^agentos_cluster_nodes\{.*\} 1$/m);
	});

	it("refuses the API without a token (401, with what to send)", async () => {
		const res = await t.request("/api/v1/node", { auth: false });
		expect(res.status).toBe(401);
		expect(await res.json()).toEqual({ error: { type: "NO_TOKEN", message: "This route needs a token: send Authorization: Bearer <token>" } });
	});

	it("refuses a wrong token and a malformed header", async () => {
		const wrong = await t.request("/api/v1/node", { auth: false, headers: { authorization: "Bearer not-the-token" } });
		expect(wrong.status).toBe(401);
		expect(((await wrong.json()) as ErrorBody).error.type).toBe("INVALID_TOKEN");
		const basic = await t.request("/api/v1/node", { auth: false, headers: { authorization: `Basic ${t.token}` } });
		expect(basic.status).toBe(401);
	});

	it("answers the API with the admin token, secrets masked", async () => {
		const res = await t.request("/api/v1/node");
		expect(res.status).toBe(200);
		const body = (await res.json()) as { node: string; config: Record<string, unknown> };
		expect(body.node).toBe(t.node.broker.nodeID);
		expect(body.config.PORT).toBe(0);
		expect(JSON.stringify(body)).not.toContain(t.token);
	});

	it("answers an unknown route with a JSON 404", async () => {
		const res = await t.request("/api/v1/nothing-here");
		expect(res.status).toBe(404);
		expect(((await res.json()) as ErrorBody).error.type).toBe("NOT_FOUND");
	});
});

describe("gateway with metrics off", () => {
	let t: TestNode;
	beforeAll(async () => {
		t = await startTestNode({ METRICS_ENABLED: "false" });
	});
	afterAll(() => t.stop());

	it("answers /metrics with a JSON 404 saying how to turn them on", async () => {
		const res = await t.request("/metrics", { auth: false });
		expect(res.status).toBe(404);
		expect(await res.json()).toEqual({ error: { type: "METRICS_DISABLED", message: "Metrics are off; set METRICS_ENABLED=true" } });
	});
});
