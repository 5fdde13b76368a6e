import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import zlib from "node:zlib";
import { contentSecurityPolicy, loadConsoleAssets } from "../../lib/gateway/console-assets";
import { testTempDir } from "../support/test-tmp";

interface Answer {
	status: number;
	headers: http.IncomingHttpHeaders;
	body: Buffer;
}

/** A request with the path exactly as written (fetch and URL would normalise "..", "%2e"). */
function get(port: number, rawPath: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
	return new Promise((resolve, reject) => {
		const req = http.request({ host: "127.0.0.1", port, path: rawPath, method: init.method ?? "GET", headers: init.headers, agent: false }, res => {
			const chunks: Buffer[] = [];
			res.on("data", (c: Buffer) => chunks.push(c));
			res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
		});
		req.on("error", reject);
		req.end();
	});
}

describe("the web console's files, as the gateway serves them", () => {
	let dir: string;
	let server: http.Server;
	let port: number;

	beforeAll(async () => {
		dir = testTempDir("console-");
		fs.mkdirSync(path.join(dir, "assets"));
		fs.writeFileSync(path.join(dir, "index.html"), '<!doctype html><script type="module" src="/assets/app-ABC123.js"></script>');
		fs.writeFileSync(path.join(dir, "assets", "app-ABC123.js"), "console.log('console')");
		fs.writeFileSync(path.join(dir, "assets", "app-DEF456.css"), "body{margin:0}");
		// Files the build did not write into assets/ must never be reachable.
		fs.writeFileSync(path.join(dir, "secret.txt"), "not for the browser");
		fs.writeFileSync(path.join(dir, "..", `${path.basename(dir)}-outside.txt`), "outside");
		const assets = loadConsoleAssets(dir);
		server = http.createServer((req, res) => {
			if (assets.serve(req, res)) return;
			res.writeHead(418);
			res.end("api");
		});
		await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
		port = (server.address() as AddressInfo).port;
	});

	afterAll(async () => {
		await new Promise(resolve => server.close(resolve));
		fs.rmSync(dir, { recursive: true, force: true });
		fs.rmSync(path.join(dir, "..", `${path.basename(dir)}-outside.txt`), { force: true });
	});

	it("serves index.html at / with no-cache and a strict Content-Security-Policy", async () => {
		const answer = await get(port, "/", { headers: { host: "node.example:3000" } });
		expect(answer.status).toBe(200);
		expect(answer.headers["content-type"]).toBe("text/html; charset=utf-8");
		expect(answer.headers["cache-control"]).toBe("no-cache");
		expect(answer.headers["x-content-type-options"]).toBe("nosniff");
		const csp = answer.headers["content-security-policy"] as string;
		for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"]) {
			expect(csp).toContain(directive);
		}
		expect(csp).toContain("connect-src 'self' ws://node.example:3000 wss://node.example:3000");
		expect(csp).not.toContain("unsafe-inline");
		expect(answer.body.toString()).toContain("/assets/app-ABC123.js");
	});

	it("serves hashed assets as immutable for a year, gzipped when the browser accepts it", async () => {
		const plain = await get(port, "/assets/app-ABC123.js");
		expect(plain.status).toBe(200);
		expect(plain.headers["content-type"]).toBe("text/javascript; charset=utf-8");
		expect(plain.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
		expect(plain.body.toString()).toBe("console.log('console')");
		const zipped = await get(port, "/assets/app-DEF456.css", { headers: { "accept-encoding": "gzip, br" } });
		expect(zipped.headers["content-encoding"]).toBe("gzip");
		expect(zlib.gunzipSync(zipped.body).toString()).toBe("body{margin:0}");
		const head = await get(port, "/assets/app-ABC123.js", { method: "HEAD" });
		expect(head.status).toBe(200);
		expect(head.body.length).toBe(0);
	});

	it("never serves a file the build did not write, however the path is spelled", async () => {
		for (const attempt of [
			"/secret.txt",
			"/assets/../secret.txt",
			"/assets/%2e%2e/secret.txt",
			"/assets/..%2fsecret.txt",
			"/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
			"/../secret.txt",
			`/../${path.basename(dir)}-outside.txt`,
			"/assets//app-ABC123.js",
			"/assets/app-ABC123.js/",
			"/index.html/../secret.txt"
		]) {
			const answer = await get(port, attempt);
			expect({ attempt, status: answer.status, body: answer.body.toString() }).toEqual({ attempt, status: 418, body: "api" });
		}
	});

	it("leaves other methods and every API path to the gateway", async () => {
		expect((await get(port, "/", { method: "POST" })).status).toBe(418);
		for (const route of ["/api/v1/node", "/health", "/ws", "/metrics"]) expect((await get(port, route)).status).toBe(418);
	});

	it("answers / with how to build the console when it is not built", async () => {
		const empty = loadConsoleAssets(path.join(dir, "missing"));
		expect(empty.paths).toEqual([]);
		const other = http.createServer((req, res) => void (empty.serve(req, res) || res.end()));
		await new Promise<void>(resolve => other.listen(0, "127.0.0.1", resolve));
		try {
			const answer = await get((other.address() as AddressInfo).port, "/");
			expect(answer.status).toBe(404);
			expect(JSON.parse(answer.body.toString()).error.type).toBe("CONSOLE_NOT_BUILT");
		} finally {
			await new Promise(resolve => other.close(resolve));
		}
	});

	it("names the page's own origin for the WebSocket only when the Host header is a plain host", () => {
		expect(contentSecurityPolicy("127.0.0.1:3000")).toContain("connect-src 'self' ws://127.0.0.1:3000 wss://127.0.0.1:3000;");
		expect(contentSecurityPolicy("[::1]:3000")).toContain("ws://[::1]:3000");
		expect(contentSecurityPolicy("evil.example; script-src *")).toContain("connect-src 'self';");
		expect(contentSecurityPolicy(undefined)).toContain("connect-src 'self';");
	});
});
