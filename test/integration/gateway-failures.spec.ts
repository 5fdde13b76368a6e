import net from "node:net";
import type { ErrorBody } from "../../services/api.service";
import { post } from "../support/agents";
import { startTestNode, type TestNode } from "../support/test-node";
import { connect, type WsTestClient } from "../support/ws-client";

/**
 * How failures look from outside: a client's bad input never switches a service off for
 * everyone else; an internal error is a 500 whose text stays in the log (with its stack);
 * and a circuit opened by a real outage answers 503 with Retry-After.
 */
describe("the gateway when calls fail", () => {
	let t: TestNode;
	let admin: WsTestClient;
	const logLines: string[] = [];
	const get = async (route: string, token?: string) => {
		const res = await t.request(route, token ? { auth: false, headers: { authorization: `Bearer ${token}` } } : {});
		return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as ErrorBody & { rows?: unknown[] } };
	};

	beforeAll(async () => {
		t = await startTestNode(
			{ LOG_LEVEL: "warn", GATEWAY_REQUEST_TIMEOUT_MS: "2000" },
			{ logger: { type: "Pino", options: { level: "warn", pino: { options: { level: "warn" }, destination: { write: (line: string) => void logLines.push(line) } } } } }
		);
		await t.node.ready;
		admin = await connect(`${t.url.replace("http", "ws")}/ws`, { authorization: `Bearer ${t.token}` });
	});
	afterAll(async () => {
		jest.restoreAllMocks();
		admin?.close();
		await t?.stop();
	});

	it("answers 408 to a client that never finishes its body, instead of holding the connection for minutes", async () => {
		const { hostname, port } = new URL(t.url);
		const socket = net.connect(Number(port), hostname);
		const started = Date.now();
		const answer = await new Promise<string>((resolve, reject) => {
			let text = "";
			socket.on("connect", () =>
				socket.write(`POST /api/v1/forums HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${t.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na`)
			);
			socket.on("data", chunk => (text += chunk));
			socket.on("close", () => resolve(text));
			socket.on("error", reject);
			setTimeout(() => reject(new Error(`no answer after 15 s (got ${JSON.stringify(text)})`)), 15_000).unref();
		});
		expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 408 Request Timeout");
		// GATEWAY_REQUEST_TIMEOUT_MS (2 s), checked every second.
		expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
		expect(Date.now() - started).toBeLessThan(10_000);
	});

	it("answers OPTIONS with the methods a path allows, without running any of them", async () => {
		const options = (route: string, preflight?: string) =>
			t.request(route, { method: "OPTIONS", headers: preflight ? { "access-control-request-method": preflight } : {} });
		const forums = await options("/api/v1/forums", "POST");
		expect(forums.status).toBe(204);
		expect(forums.headers.get("allow")).toBe("GET, POST, OPTIONS");
		expect(forums.headers.get("access-control-allow-origin")).toBeNull();
		expect(await forums.text()).toBe("");
		// Neither a forum created by the preflight's POST, nor a list answered for a bare OPTIONS.
		expect((await options("/api/v1/forums")).status).toBe(204);
		expect((await get("/api/v1/forums")).body).toMatchObject({ total: 0 });
		expect((await options("/api/v1/agents/anyone/stop", "DELETE")).headers.get("allow")).toBe("POST, OPTIONS");
		const nowhere = await options("/api/v1/nowhere");
		expect(nowhere.status).toBe(404);
		expect(((await nowhere.json()) as ErrorBody).error.type).toBe("NOT_FOUND");
	});

	it("keeps jobs and forums open to the admin after 30 bad requests from a read-only token", async () => {
		const reader = (await post<{ token: string }>(t, "/api/v1/tokens", { name: "reader", scopes: ["society:read"] })).body.token;
		const bad = [
			"/api/v1/jobs?sort=constructor",
			"/api/v1/jobs?searchFields=__proto__&search=x",
			`/api/v1/jobs?query=${encodeURIComponent('{"hasOwnProperty":"1"}')}`,
			"/api/v1/jobs?page=1e20",
			"/api/v1/forums?sort=toString",
			`/api/v1/forums?query=${encodeURIComponent('{"constructor":"1"}')}`
		];
		const statuses: number[] = [];
		for (let i = 0; i < 30; i++) statuses.push((await get(bad[i % bad.length], reader)).status);
		expect(statuses.filter(s => s >= 500)).toEqual([]);
		const jobs = await get("/api/v1/jobs");
		expect(jobs).toMatchObject({ status: 200, body: { rows: [] } });
		expect((await get("/api/v1/forums")).status).toBe(200);
	});

	it("answers an internal error with a 500 that hides its text, logs its stack, and does not open the circuit", async () => {
		const spy = jest.spyOn(t.node.kernel, "databaseStatus").mockImplementation(() => {
			throw new TypeError("Cannot read properties of undefined (reading 'sweepInternals')");
		});
		const answers = [];
		for (let i = 0; i < 25; i++) answers.push(await get("/api/v1/jobs"));
		const ws = await admin.request("agent_task", { task: { type: "job_list" } });
		spy.mockRestore();

		for (const a of answers) {
			expect(a.status).toBe(500);
			expect(a.body.error).toMatchObject({ type: "INTERNAL_ERROR", message: expect.stringMatching(/request id [0-9a-f-]{36}/) });
			expect(JSON.stringify(a.body)).not.toContain("sweepInternals");
		}
		expect(ws).toMatchObject({ type: "error", error: { type: "INTERNAL_ERROR" } });
		expect(JSON.stringify(ws)).not.toContain("sweepInternals");

		const requestId = (answers[0].body.error.data as { requestId: string }).requestId;
		const entry = logLines.map(l => JSON.parse(l) as { msg: string; requestId?: string; err?: { type: string; message: string; stack: string } }).find(l => l.requestId === requestId);
		expect(entry).toMatchObject({ msg: expect.stringContaining(requestId), err: { type: "TypeError", message: expect.stringContaining("sweepInternals"), stack: expect.stringContaining("    at ") } });

		expect((await get("/api/v1/jobs")).status).toBe(200);
	});

	it("answers 503 with Retry-After once a real outage opens the circuit, over REST and the WebSocket", async () => {
		const spy = jest.spyOn(t.node.kernel, "databaseStatus").mockReturnValue({ state: "down", kind: "pglite", error: "the disk is gone" });
		const seen: string[] = [];
		for (let i = 0; i < 40 && !seen.includes("SERVICE_NOT_AVAILABLE"); i++) {
			const a = await get("/api/v1/jobs");
			expect([503]).toContain(a.status);
			seen.push(a.body.error.type);
		}
		spy.mockRestore();
		expect(seen[0]).toBe("DATABASE_UNAVAILABLE");

		const open = await get("/api/v1/jobs");
		expect(open).toMatchObject({ status: 503, retryAfter: "10", body: { error: { type: "SERVICE_NOT_AVAILABLE", data: { action: "jobs.list", retryAfterSeconds: 10 } } } });
		expect(open.body.error.message).toContain("retry in 10 s");
		expect(await admin.request("agent_task", { task: { type: "job_list" } })).toMatchObject({ type: "error", error: { type: "SERVICE_NOT_AVAILABLE" } });
	});
});
