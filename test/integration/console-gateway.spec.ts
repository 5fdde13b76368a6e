import fs from "node:fs";
import path from "node:path";
import { consoleDir } from "../../lib/kernel/paths";
import { buildConsole } from "../../scripts/build-console";
import { connect } from "../support/ws-client";
import { startTestNode, type TestNode } from "../support/test-node";

/** The gateway of a real node: the console at `/` beside the API, and who a token is. */
describe("the console on the gateway", () => {
	let t: TestNode;
	const logLines: string[] = [];
	let script: string;

	beforeAll(async () => {
		const index = path.join(consoleDir(), "index.html");
		if (!fs.existsSync(index)) await buildConsole();
		script = /src="(\/assets\/app-[^"]+\.js)"/.exec(fs.readFileSync(index, "utf8"))![1];
		t = await startTestNode(
			{ LOG_LEVEL: "debug" },
			{ logger: { type: "Pino", options: { level: "debug", pino: { options: { level: "debug" }, destination: { write: (line: string) => void logLines.push(line) } } } } }
		);
		await t.node.ready;
	});
	afterAll(() => t?.stop());

	it("serves the console at / and its hashed script, with the caching and CSP headers, on the API's port", async () => {
		const page = await fetch(`${t.url}/`);
		expect(page.status).toBe(200);
		expect(page.headers.get("cache-control")).toBe("no-cache");
		expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self'; style-src 'self'; connect-src 'self' ws:\/\/127\.0\.0\.1:\d+ wss:\/\/127\.0\.0\.1:\d+;.*frame-ancestors 'none'/);
		expect(page.headers.get("x-content-type-options")).toBe("nosniff");
		const html = await page.text();
		expect(html).toContain(script);
		expect(html).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>|style=/);
		const js = await fetch(`${t.url}${script}`);
		expect(js.status).toBe(200);
		expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
		expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
	});

	it("leaves /health, /api/v1 and /ws as they were", async () => {
		expect((await t.json<{ status: string }>("/health", { auth: false })).status).toBeDefined();
		expect((await t.request("/api/v1/node", { auth: false })).status).toBe(401);
		expect((await t.request("/api/v1/node")).status).toBe(200);
		expect((await fetch(`${t.url}/assets/nothing.js`)).status).toBe(404);
		const ws = await connect(`${t.url.replace("http", "ws")}/ws`, { authorization: `Bearer ${t.token}` });
		ws.close();
	});

	it("says who any valid token is and what it may do, at GET /api/v1/whoami", async () => {
		expect(await t.json("/api/v1/whoami")).toEqual({ id: "admin", kind: "admin", name: "admin", scopes: ["admin"] });
		const created = (await (await t.request("/api/v1/tokens", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "viewer", scopes: ["agents:read"] }) })).json()) as { id: string; token: string };
		const reader = await fetch(`${t.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${created.token}` } });
		expect(reader.status).toBe(200);
		expect(await reader.json()).toEqual({ id: `token:${created.id}`, kind: "token", name: "viewer", scopes: ["agents:read"] });
		const nobody = await fetch(`${t.url}/api/v1/whoami`);
		expect(nobody.status).toBe(401);
		// The route is no back door: the same token is still refused where its scope does not reach.
		expect((await fetch(`${t.url}/api/v1/tokens`, { headers: { authorization: `Bearer ${created.token}` } })).status).toBe(403);
	});

	it("never writes a token into its log, even at debug level", async () => {
		await t.request("/api/v1/agents?limit=1");
		await fetch(`${t.url}/api/v1/whoami`, { headers: { authorization: "Bearer wrong-token-value-12345" } });
		await fetch(`${t.url}/`);
		expect(logLines.length).toBeGreaterThan(0);
		const log = logLines.join("\n");
		expect(log).not.toContain(t.token);
		expect(log).not.toContain("wrong-token-value-12345");
	});
});
