import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { httpFetchTool } from "../../lib/tools/builtin/http-fetch";
import type { LookupFn } from "../../lib/tools/builtin/url-guard";
import { ToolFailedError, ToolRefusedError, ToolTimeoutError } from "../../lib/tools/errors";
import type { ToolContext, ToolPolicy } from "../../lib/tools/tool";

interface Seen {
	method: string;
	url: string;
	headers: http.IncomingHttpHeaders;
	body: string;
	remote: string;
}

/** A local server that records what it saw; `handle` answers by path. */
async function startServer(handle: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void) {
	const seen: Seen[] = [];
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			const body = Buffer.concat(chunks).toString("utf8");
			seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body, remote: req.socket.localAddress ?? "" });
			handle(req, res, body);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const port = (server.address() as AddressInfo).port;
	return { server, port, seen, origin: `http://127.0.0.1:${port}` };
}

type TestServer = Awaited<ReturnType<typeof startServer>>;

let main: TestServer;
let other: TestServer; // allowlisted: the end of a redirect chain
let forbidden: TestServer; // never on the allowlist
let streamClosed: Promise<void>;

function ctx(overrides: Partial<ToolContext> = {}): ToolContext {
	return {
		agentId: "agent-1",
		caller: { kind: "agent", id: "agent-1" },
		constraints: {},
		signal: AbortSignal.timeout(5000),
		...overrides
	};
}

function policy(overrides: Partial<ToolPolicy> = {}): ToolPolicy {
	return {
		allowedDomains: [`127.0.0.1:${main.port}`, `127.0.0.1:${other.port}`],
		allowAllDomains: false,
		allowedPaths: [],
		allowAllPaths: false,
		allowedCommands: [],
		allowAllCommands: false,
		timeoutMs: 5000,
		maxOutputBytes: 64 * 1024,
		...overrides
	};
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
	return promise.then(
		() => {
			throw new Error("expected the fetch to fail");
		},
		(e: unknown) => e
	);
}

beforeAll(async () => {
	let resolveClosed: () => void = () => undefined;
	streamClosed = new Promise<void>((resolve) => (resolveClosed = resolve));
	forbidden = await startServer((_req, res) => res.end("secret"));
	other = await startServer((req, res) => {
		res.setHeader("content-type", "text/plain");
		res.end(`other ${req.url}`);
	});
	main = await startServer((req, res, body) => {
		const path = req.url ?? "/";
		const redirect = (status: number, location: string): void => {
			res.writeHead(status, { location });
			res.end();
		};
		if (path === "/hello") {
			res.writeHead(200, { "content-type": "text/plain; charset=utf-8", "content-length": "6", "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT", "set-cookie": "s=1", "x-internal": "no" });
			res.end("héllo");
		} else if (path === "/echo") {
			res.setHeader("content-type", "application/json");
			res.end(JSON.stringify({ method: req.method, body, contentType: req.headers["content-type"], auth: req.headers.authorization ?? null }));
		} else if (path === "/to-metadata") redirect(302, "http://169.254.169.254/latest/meta-data/");
		else if (path === "/to-forbidden") redirect(302, `${forbidden.origin}/`);
		else if (path === "/to-localhost-name") redirect(307, `http://localhost:${main.port}/hello`);
		else if (path === "/to-sub") redirect(302, `http://sub.hop.test:${main.port}/hello`);
		else if (path === "/to-file") redirect(302, "file:///etc/passwd");
		else if (path === "/chain") redirect(301, "/chain2");
		else if (path === "/chain2") redirect(302, `${other.origin}/final`);
		else if (path === "/post-303") redirect(303, "/echo");
		else if (path === "/post-307") redirect(307, "/echo");
		else if (path === "/cross-origin") redirect(307, `${other.origin}/x`);
		else if (path.startsWith("/loop")) redirect(302, `/loop${path.length}`);
		else if (path === "/binary") {
			res.setHeader("content-type", "image/png");
			res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]));
		} else if (path === "/endless") {
			// Never ends on its own: only the client hanging up stops it.
			res.setHeader("content-type", "text/plain");
			const chunk = "x".repeat(16 * 1024);
			const timer = setInterval(() => res.write(chunk), 1);
			res.on("close", () => {
				clearInterval(timer);
				resolveClosed();
			});
		} else if (path === "/slow") {
			setTimeout(() => res.end("too late"), 10_000).unref();
		} else {
			res.writeHead(404, { "content-type": "text/plain" });
			res.end("not found");
		}
	});
});

afterAll(async () => {
	for (const s of [main, other, forbidden]) {
		s.server.closeAllConnections();
		await new Promise((resolve) => s.server.close(resolve));
	}
});

describe("http_fetch", () => {
	it("declares itself as the network.fetch built-in with a bounded maxBytes", () => {
		const tool = httpFetchTool(policy());
		expect(tool).toMatchObject({ id: "builtin:http_fetch", capability: "network.fetch", source: "builtin" });
		expect(tool.parameters.required).toEqual(["url"]);
		expect(tool.parameters.properties?.maxBytes).toMatchObject({ type: "integer", maximum: 64 * 1024 });
		expect(tool.parameters.properties?.method).toMatchObject({ enum: ["GET", "POST"], default: "GET" });
	});

	it("GETs a page: status, only the safe headers, a UTF-8 body", async () => {
		const result = await httpFetchTool(policy()).run({ url: `${main.origin}/hello` }, ctx());
		expect(result.truncated).toBeUndefined();
		expect(result.content).toEqual({
			url: `${main.origin}/hello`,
			status: 200,
			headers: { "content-type": "text/plain; charset=utf-8", "content-length": "6", "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT" },
			body: "héllo",
			encoding: "utf8",
			redirects: []
		});
	});

	it("POSTs a body with the caller's headers", async () => {
		const result = await httpFetchTool(policy()).run(
			{ url: `${main.origin}/echo`, method: "POST", headers: { "Content-Type": "text/plain", Authorization: "Bearer t" }, body: "ping" },
			ctx()
		);
		const content = result.content as { status: number; body: string };
		expect(content.status).toBe(200);
		expect(JSON.parse(content.body)).toEqual({ method: "POST", body: "ping", contentType: "text/plain", auth: "Bearer t" });
	});

	it("returns a binary body as base64", async () => {
		const result = await httpFetchTool(policy()).run({ url: `${main.origin}/binary` }, ctx());
		expect(result.content).toMatchObject({ encoding: "base64", body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]).toString("base64") });
	});

	it("refuses a redirect to the cloud metadata address", async () => {
		const err = await failure(httpFetchTool(policy({ allowAllDomains: true })).run({ url: `${main.origin}/to-metadata` }, ctx()));
		expect(err).toBeInstanceOf(ToolRefusedError);
		expect((err as ToolRefusedError).message).toContain("169.254.169.254");
	});

	it("refuses a redirect to a local port that is not on the list, without touching it", async () => {
		const before = forbidden.seen.length;
		const err = await failure(httpFetchTool(policy()).run({ url: `${main.origin}/to-forbidden` }, ctx()));
		expect(err).toBeInstanceOf(ToolRefusedError);
		expect(forbidden.seen.length).toBe(before);
	});

	it("refuses a redirect to localhost by name even with allowAllDomains", async () => {
		const err = await failure(httpFetchTool(policy({ allowAllDomains: true })).run({ url: `${main.origin}/to-localhost-name` }, ctx()));
		expect(err).toBeInstanceOf(ToolRefusedError);
		expect((err as ToolRefusedError).message).toContain("loopback");
	});

	it("refuses a redirect to a file: URL", async () => {
		await expect(httpFetchTool(policy()).run({ url: `${main.origin}/to-file` }, ctx())).rejects.toBeInstanceOf(ToolRefusedError);
	});

	it("follows a redirect chain within the allowlist and reports every hop", async () => {
		const result = await httpFetchTool(policy()).run({ url: `${main.origin}/chain` }, ctx());
		expect(result.content).toMatchObject({
			url: `${other.origin}/final`,
			status: 200,
			body: "other /final",
			redirects: [`${main.origin}/chain2`, `${other.origin}/final`]
		});
	});

	it("a grant narrowed to one port refuses a redirect to the other allowlisted one", async () => {
		const err = await failure(httpFetchTool(policy()).run({ url: `${main.origin}/chain` }, ctx({ constraints: { domains: [`127.0.0.1:${main.port}`] } })));
		expect(err).toBeInstanceOf(ToolRefusedError);
		expect((err as ToolRefusedError).message).toContain("grant");
	});

	it("gives up after 5 redirects", async () => {
		const err = await failure(httpFetchTool(policy()).run({ url: `${main.origin}/loop` }, ctx()));
		expect(err).toBeInstanceOf(ToolFailedError);
		expect((err as ToolFailedError).data).toMatchObject({ redirects: expect.any(Array) });
		expect(((err as ToolFailedError).data as { redirects: string[] }).redirects).toHaveLength(5);
	});

	it("a 303 after a POST becomes a GET without body; a 307 keeps the POST", async () => {
		const tool = httpFetchTool(policy());
		const after303 = await tool.run({ url: `${main.origin}/post-303`, method: "POST", body: "data" }, ctx());
		expect(JSON.parse((after303.content as { body: string }).body)).toMatchObject({ method: "GET", body: "" });
		const after307 = await tool.run({ url: `${main.origin}/post-307`, method: "POST", body: "data" }, ctx());
		expect(JSON.parse((after307.content as { body: string }).body)).toMatchObject({ method: "POST", body: "data" });
	});

	it("drops Authorization and Cookie when a redirect leaves the origin", async () => {
		await httpFetchTool(policy()).run({ url: `${main.origin}/cross-origin`, headers: { Authorization: "Bearer t", Cookie: "a=1", "X-Keep": "yes" } }, ctx());
		const last = other.seen[other.seen.length - 1];
		expect(last.url).toBe("/x");
		expect(last.headers.authorization).toBeUndefined();
		expect(last.headers.cookie).toBeUndefined();
		expect(last.headers["x-keep"]).toBe("yes");
	});

	it("cuts an endless body at maxBytes and hangs up", async () => {
		const result = await httpFetchTool(policy()).run({ url: `${main.origin}/endless`, maxBytes: 1000 }, ctx());
		expect(result.truncated).toBe(true);
		expect((result.content as { body: string }).body).toBe("x".repeat(1000));
		await streamClosed; // the server saw the connection end
	});

	it("caps maxBytes at the policy's maxOutputBytes", async () => {
		const result = await httpFetchTool(policy({ maxOutputBytes: 100 })).run({ url: `${main.origin}/endless`, maxBytes: 10_000 }, ctx());
		expect(result.truncated).toBe(true);
		expect((result.content as { body: string }).body).toHaveLength(100);
	});

	it("a slow server ends in ToolTimeoutError when the call's signal fires", async () => {
		const started = Date.now();
		const err = await failure(httpFetchTool(policy()).run({ url: `${main.origin}/slow` }, ctx({ signal: AbortSignal.timeout(300) })));
		expect(err).toBeInstanceOf(ToolTimeoutError);
		expect(Date.now() - started).toBeLessThan(3000);
	});

	it("a slow server ends in ToolTimeoutError at policy.timeoutMs too", async () => {
		const err = await failure(httpFetchTool(policy({ timeoutMs: 300 })).run({ url: `${main.origin}/slow` }, ctx()));
		expect(err).toBeInstanceOf(ToolTimeoutError);
	});

	it.each([["Host", "evil.example"], ["Proxy-Authorization", "Basic x"], ["Connection", "close"], ["Transfer-Encoding", "chunked"], ["X-Bad", "a\r\nInjected: 1"]])(
		"refuses the request header %s",
		async (name, value) => {
			const before = main.seen.length;
			await expect(httpFetchTool(policy()).run({ url: `${main.origin}/hello`, headers: { [name]: value } }, ctx())).rejects.toBeInstanceOf(ToolRefusedError);
			expect(main.seen.length).toBe(before);
		}
	);

	describe("through an egress proxy", () => {
		interface ProxyLog {
			requests: Array<{ method: string; url: string; host?: string; auth?: string }>;
		}
		let proxy: http.Server;
		let proxyPort: number;
		const log: ProxyLog = { requests: [] };
		let tlsTarget: net.Server;
		let tlsTargetPort: number;
		let tlsTargetHits = 0;
		const tunnels = new Set<net.Socket>();

		beforeAll(async () => {
			// A minimal forward proxy: absolute-URI requests are replayed, CONNECT is tunnelled.
			proxy = http.createServer((req, res) => {
				log.requests.push({ method: req.method ?? "", url: req.url ?? "", host: req.headers.host, auth: req.headers["proxy-authorization"] });
				const upstream = http.request(req.url ?? "", { method: req.method, headers: req.headers, agent: false }, (up) => {
					res.writeHead(up.statusCode ?? 502, up.headers);
					up.pipe(res);
				});
				upstream.on("error", () => res.writeHead(502).end());
				req.pipe(upstream);
			});
			proxy.on("connect", (req: http.IncomingMessage, socket: net.Socket) => {
				log.requests.push({ method: "CONNECT", url: req.url ?? "", auth: req.headers["proxy-authorization"] });
				tunnels.add(socket);
				const [host, port] = (req.url ?? "").split(":");
				const upstream = net.connect(Number(port), host, () => {
					socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
					upstream.pipe(socket);
					socket.pipe(upstream);
				});
				upstream.on("error", () => socket.destroy());
				socket.on("error", () => upstream.destroy());
			});
			await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
			proxyPort = (proxy.address() as AddressInfo).port;
			// Stands in for a TLS server: it only has to be reached through the tunnel.
			tlsTarget = net.createServer((socket) => {
				tlsTargetHits++;
				socket.destroy();
			});
			await new Promise<void>((resolve) => tlsTarget.listen(0, "127.0.0.1", resolve));
			tlsTargetPort = (tlsTarget.address() as AddressInfo).port;
		});

		afterAll(async () => {
			for (const socket of tunnels) socket.destroy();
			proxy.closeAllConnections();
			await new Promise((resolve) => proxy.close(resolve));
			await new Promise((resolve) => tlsTarget.close(resolve));
		});

		it("sends http as an absolute-URI request naming the checked address, with the name in Host", async () => {
			const lookup = jest.fn(async () => [{ address: "127.0.0.1", family: 4 }]);
			const tool = httpFetchTool(policy({ allowedDomains: [`named.test:${main.port}`], egressProxyUrl: `http://agent:s%40cret@127.0.0.1:${proxyPort}` }), { lookup });
			const result = await tool.run({ url: `http://named.test:${main.port}/hello` }, ctx());
			expect(result.content).toMatchObject({ status: 200, body: "héllo", url: `http://named.test:${main.port}/hello` });
			expect(log.requests[log.requests.length - 1]).toEqual({
				method: "GET",
				url: `http://127.0.0.1:${main.port}/hello`,
				host: `named.test:${main.port}`,
				auth: `Basic ${Buffer.from("agent:s@cret").toString("base64")}`
			});
			expect(main.seen[main.seen.length - 1].headers.host).toBe(`named.test:${main.port}`);
		});

		it("still checks every redirect hop before asking the proxy", async () => {
			const before = log.requests.length;
			const err = await failure(httpFetchTool(policy({ egressProxyUrl: `http://127.0.0.1:${proxyPort}` })).run({ url: `${main.origin}/to-forbidden` }, ctx()));
			expect(err).toBeInstanceOf(ToolRefusedError);
			expect(log.requests.slice(before).map((r) => r.url)).toEqual([`http://127.0.0.1:${main.port}/to-forbidden`]);
		});

		it("tunnels https with CONNECT to the checked address, not the name", async () => {
			const lookup = jest.fn(async () => [{ address: "127.0.0.1", family: 4 }]);
			const tool = httpFetchTool(policy({ allowedDomains: [`secure.test:${tlsTargetPort}`], egressProxyUrl: `http://127.0.0.1:${proxyPort}` }), { lookup });
			const hits = tlsTargetHits;
			// The stand-in hangs up during the TLS handshake: the call fails after the tunnel is up.
			const err = await failure(tool.run({ url: `https://secure.test:${tlsTargetPort}/` }, ctx()));
			expect(err).toBeInstanceOf(ToolFailedError);
			expect(log.requests[log.requests.length - 1]).toMatchObject({ method: "CONNECT", url: `127.0.0.1:${tlsTargetPort}` });
			expect(tlsTargetHits).toBe(hits + 1);
		});

		it("says plainly that an https:// proxy is not supported yet", async () => {
			const err = await failure(httpFetchTool(policy({ egressProxyUrl: "https://127.0.0.1:3128" })).run({ url: `${main.origin}/hello` }, ctx()));
			expect(err).toBeInstanceOf(ToolFailedError);
			expect((err as ToolFailedError).message).toContain("not supported yet");
		});
	});

	describe("DNS rebinding", () => {
		/** Answers each call with the next list; counts the calls. */
		function rebindingLookup(...answers: string[][]): LookupFn & jest.Mock {
			let call = 0;
			return jest.fn(async () => {
				const answer = answers[Math.min(call++, answers.length - 1)];
				return answer.map((address) => ({ address, family: 4 }));
			});
		}

		it("connects to the public address it checked, never to the 127.0.0.1 a second lookup would give", async () => {
			const lookup = rebindingLookup(["93.184.216.34"], ["127.0.0.1"]);
			const tool = httpFetchTool(policy({ allowedDomains: ["*.rebind.test"], timeoutMs: 1500 }), { lookup });
			const before = main.seen.length;
			// 93.184.216.34 is unreachable here (or not listening on this port): the call fails or times out.
			const err = await failure(tool.run({ url: `http://a.rebind.test:${main.port}/hello` }, ctx()));
			expect(err instanceof ToolFailedError || err instanceof ToolTimeoutError).toBe(true);
			expect(lookup).toHaveBeenCalledTimes(1);
			expect(main.seen.length).toBe(before);
		});

		it("pins the checked address: the server sees the name in Host, and no second lookup happens", async () => {
			// The explicit entry unlocks loopback for this name; a second answer (127.0.0.2, where
			// nothing listens) would fail the call.
			const lookup = rebindingLookup(["127.0.0.1"], ["127.0.0.2"]);
			const tool = httpFetchTool(policy({ allowedDomains: [`pinned.test:${main.port}`] }), { lookup });
			const result = await tool.run({ url: `http://pinned.test:${main.port}/hello` }, ctx());
			expect(result.content).toMatchObject({ status: 200, body: "héllo" });
			expect(lookup).toHaveBeenCalledTimes(1);
			const last = main.seen[main.seen.length - 1];
			expect(last.headers.host).toBe(`pinned.test:${main.port}`);
			expect(last.remote).toBe("127.0.0.1");
		});

		it("re-resolves and re-checks every redirect hop", async () => {
			// hop.test is named explicitly (loopback allowed); its redirect goes to sub.hop.test,
			// allowed only through the wildcard, which never unlocks loopback.
			const lookup = rebindingLookup(["127.0.0.1"]);
			const tool = httpFetchTool(policy({ allowedDomains: [`hop.test:${main.port}`, "*.hop.test"] }), { lookup });
			const err = await failure(tool.run({ url: `http://hop.test:${main.port}/to-sub` }, ctx()));
			expect(err).toBeInstanceOf(ToolRefusedError);
			expect((err as ToolRefusedError).message).toContain("sub.hop.test");
			expect(lookup.mock.calls.map((c: unknown[]) => c[0])).toEqual(["hop.test", "sub.hop.test"]);
		});
	});
});
