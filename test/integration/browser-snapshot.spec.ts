import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { browserSnapshotTool } from "../../lib/tools/builtin/browser-snapshot";
import type { LookupFn } from "../../lib/tools/builtin/url-guard";
import { ToolFailedError, ToolRefusedError, ToolTimeoutError } from "../../lib/tools/errors";
import type { ToolContext, ToolPolicy } from "../../lib/tools/tool";
import { ensureChromium } from "../support/server-binaries";

interface Content {
	url: string;
	title: string;
	text: string;
	links: Array<{ text: string; href: string }>;
	blocked: string[];
	screenshot?: string;
}

/** A local server that records the paths it was asked for; `handle` answers. */
async function startServer(handle: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
	const seen: string[] = [];
	const server = http.createServer((req, res) => {
		seen.push(req.url ?? "");
		handle(req, res);
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	const port = (server.address() as AddressInfo).port;
	return { server, port, seen, origin: `http://127.0.0.1:${port}` };
}

type TestServer = Awaited<ReturnType<typeof startServer>>;

const METADATA = "http://169.254.169.254/latest/meta-data";

let chromiumPath: string;
let site: TestServer; // allowlisted
let forbidden: TestServer; // a local port that is not allowlisted

function ctx(overrides: Partial<ToolContext> = {}): ToolContext {
	return {
		agentId: "agent-1",
		caller: { kind: "agent", id: "agent-1" },
		constraints: {},
		signal: AbortSignal.timeout(30_000),
		...overrides
	};
}

function policy(overrides: Partial<ToolPolicy> = {}): ToolPolicy {
	return {
		allowedDomains: [`127.0.0.1:${site.port}`],
		allowAllDomains: false,
		allowedPaths: [],
		allowAllPaths: false,
		allowedCommands: [],
		allowAllCommands: false,
		timeoutMs: 30_000,
		maxOutputBytes: 64 * 1024,
		...overrides
	};
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
	return promise.then(
		() => {
			throw new Error("expected the snapshot to fail");
		},
		(e: unknown) => e
	);
}

/**
 * Chromium behind a script that notes the profile folder (--user-data-dir) each launch is
 * given, so a test checks that very folder is gone; other Chromiums (other test files, other
 * users of the machine) come and go in the same temp dir meanwhile.
 */
let recorder: { dir: string; executablePath: string; profiles(): string[] };

function recordingChromium(real: string): typeof recorder {
	const dir = mkdtempSync(path.join(tmpdir(), "snapshot-chromium-"));
	const log = path.join(dir, "profiles");
	const executablePath = path.join(dir, "chromium");
	writeFileSync(log, "");
	writeFileSync(
		executablePath,
		`#!/bin/sh\nfor a in "$@"; do case "$a" in --user-data-dir=*) printf '%s\\n' "\${a#--user-data-dir=}" >> '${log}';; esac; done\nexec '${real}' "$@"\n`
	);
	chmodSync(executablePath, 0o755);
	return { dir, executablePath, profiles: () => readFileSync(log, "utf8").split("\n").filter(Boolean) };
}

beforeAll(async () => {
	chromiumPath = ensureChromium();
	recorder = recordingChromium(chromiumPath);
	forbidden = await startServer((_req, res) => {
		res.setHeader("access-control-allow-origin", "*");
		res.end("secret");
	});
	site = await startServer((req, res) => {
		const html = (body: string): void => {
			res.setHeader("content-type", "text/html; charset=utf-8");
			res.end(body);
		};
		switch (req.url) {
			case "/page":
				return html(`<!doctype html><html><head><title>Snapshot test page</title></head><body>
<h1>Hello from the test page</h1>
<p>Some visible text, café.</p>
<a href="/next">Next page</a>
<a href="https://example.org/abs">Elsewhere</a>
<img src="${METADATA}">
<script>fetch("${forbidden.origin}/steal").catch(() => { document.body.dataset.fetch = "failed"; });</script>
</body></html>`);
			case "/next":
				return html("<title>Next</title><p>next page</p>");
			case "/long":
				return html(`<title>Long</title><p>${"x".repeat(5000)}</p>`);
			case "/to-metadata":
				res.writeHead(302, { location: METADATA });
				return res.end();
			case "/to-forbidden":
				res.writeHead(302, { location: `${forbidden.origin}/redirected` });
				return res.end();
			case "/img-redirect":
				return html(`<title>Img</title><p>image below</p><img src="/to-metadata"><img src="/to-forbidden">`);
			case "/js-nav":
				return html(`<title>Nav</title><p>stays</p><script>setTimeout(() => { location.href = "${forbidden.origin}/nav"; }, 10);</script>`);
			case "/slow":
				return html(`<title>Slow</title><img src="/hang">`);
			case "/hang":
				return; // never answers
			default:
				res.statusCode = 404;
				return res.end("not found");
		}
	});
}, 600_000);

afterAll(async () => {
	if (recorder) rmSync(recorder.dir, { recursive: true, force: true });
	site?.server.closeAllConnections();
	await new Promise((resolve) => site?.server.close(resolve));
	await new Promise((resolve) => forbidden?.server.close(resolve));
});

describe("browser_snapshot", () => {
	it("is a network.fetch built-in", () => {
		expect(browserSnapshotTool(policy())).toMatchObject({ id: "builtin:browser_snapshot", capability: "network.fetch", source: "builtin" });
	});

	it("renders a page, and blocks the metadata image and the script's fetch to a non-allowlisted port", async () => {
		const launched = recorder.profiles().length;
		const started = Date.now();
		const result = await browserSnapshotTool(policy(), { executablePath: recorder.executablePath }).run({ url: `${site.origin}/page`, waitMs: 300 }, ctx());
		process.stderr.write(`[browser_snapshot] launch + snapshot took ${Date.now() - started} ms\n`);
		const content = result.content as Content;
		expect(content.url).toBe(`${site.origin}/page`);
		expect(content.title).toBe("Snapshot test page");
		expect(content.text).toContain("Hello from the test page");
		expect(content.text).toContain("Some visible text, café.");
		expect(content.links).toEqual([
			{ text: "Next page", href: `${site.origin}/next` },
			{ text: "Elsewhere", href: "https://example.org/abs" }
		]);
		expect(content.blocked).toEqual(expect.arrayContaining([METADATA, `${forbidden.origin}/steal`]));
		expect(content.blocked).toHaveLength(2);
		expect(content.screenshot).toBeUndefined();
		expect(forbidden.seen).toEqual([]);
		// The fresh profile is removed afterwards.
		const profiles = recorder.profiles().slice(launched);
		expect(profiles).toHaveLength(1);
		expect(profiles.filter((dir) => existsSync(dir))).toEqual([]);
	});

	it("returns a valid PNG screenshot", async () => {
		const result = await browserSnapshotTool(policy(), { executablePath: chromiumPath }).run({ url: `${site.origin}/next`, screenshot: true }, ctx());
		const content = result.content as Content;
		expect(content.title).toBe("Next");
		const png = Buffer.from(content.screenshot ?? "", "base64");
		expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
		expect(png.length).toBeGreaterThan(100);
	});

	it("caps the text at maxTextBytes", async () => {
		const result = await browserSnapshotTool(policy(), { executablePath: chromiumPath }).run({ url: `${site.origin}/long`, maxTextBytes: 100 }, ctx());
		expect((result.content as Content).text).toBe("x".repeat(100));
		expect(result.truncated).toBe(true);
	});

	it("refuses a non-allowlisted host before launching Chromium", async () => {
		// A browser path that does not exist: if it got as far as launching, this would be a ToolFailedError.
		const tool = browserSnapshotTool(policy(), { executablePath: "/nonexistent/chromium" });
		for (const url of [`${forbidden.origin}/`, METADATA, "http://[::ffff:169.254.169.254]/", "file:///etc/passwd", "http://0x7f000001:80/"]) {
			const err = await failure(tool.run({ url }, ctx()));
			expect(err).toBeInstanceOf(ToolRefusedError);
		}
		// A name resolving to an internal address is refused too, even when allowlisted by wildcard.
		const lookup: LookupFn = async () => [{ address: "10.0.0.5", family: 4 }];
		const named = browserSnapshotTool(policy({ allowedDomains: ["*.example.com"] }), { executablePath: "/nonexistent/chromium", lookup });
		expect(await failure(named.run({ url: "http://intranet.example.com/" }, ctx()))).toBeInstanceOf(ToolRefusedError);
		// The grant's narrowed domains apply.
		const narrowed = await failure(browserSnapshotTool(policy(), { executablePath: chromiumPath }).run({ url: `${site.origin}/page` }, ctx({ constraints: { domains: ["example.com"] } })));
		expect(narrowed).toBeInstanceOf(ToolRefusedError);
		expect(forbidden.seen).toEqual([]);
	});

	it("ends blocked when the page redirects to a blocked host", async () => {
		const tool = browserSnapshotTool(policy(), { executablePath: chromiumPath });
		const toMetadata = await failure(tool.run({ url: `${site.origin}/to-metadata` }, ctx()));
		expect(toMetadata).toBeInstanceOf(ToolRefusedError);
		expect((toMetadata as ToolRefusedError).data).toMatchObject({ blocked: [METADATA] });

		const toForbidden = await failure(tool.run({ url: `${site.origin}/to-forbidden` }, ctx()));
		expect(toForbidden).toBeInstanceOf(ToolRefusedError);
		expect((toForbidden as ToolRefusedError).data).toMatchObject({ blocked: [`${forbidden.origin}/redirected`] });
		expect(forbidden.seen).toEqual([]);
	});

	it("blocks a sub-resource that an allowlisted URL redirects to a blocked host", async () => {
		const result = await browserSnapshotTool(policy(), { executablePath: chromiumPath }).run({ url: `${site.origin}/img-redirect`, waitMs: 300 }, ctx());
		const content = result.content as Content;
		expect(content.title).toBe("Img");
		expect(content.blocked).toEqual(expect.arrayContaining([METADATA, `${forbidden.origin}/redirected`]));
		expect(forbidden.seen).toEqual([]);
	});

	it("aborts a script's navigation to a blocked host and keeps the page", async () => {
		const result = await browserSnapshotTool(policy(), { executablePath: chromiumPath }).run({ url: `${site.origin}/js-nav`, waitMs: 500 }, ctx());
		const content = result.content as Content;
		expect(content.title).toBe("Nav");
		expect(content.blocked).toEqual([`${forbidden.origin}/nav`]);
		expect(forbidden.seen).toEqual([]);
	});

	it("closes the browser at the time limit", async () => {
		const launched = recorder.profiles().length;
		const err = await failure(browserSnapshotTool(policy({ timeoutMs: 3000 }), { executablePath: recorder.executablePath }).run({ url: `${site.origin}/slow` }, ctx()));
		expect(err).toBeInstanceOf(ToolTimeoutError);
		const profiles = recorder.profiles().slice(launched);
		expect(profiles).toHaveLength(1);
		expect(profiles.filter((dir) => existsSync(dir))).toEqual([]);
	});

	it("names the package when Chromium is missing", async () => {
		const err = await failure(browserSnapshotTool(policy(), { executablePath: "/nonexistent/chromium" }).run({ url: `${site.origin}/page` }, ctx()));
		expect(err).toBeInstanceOf(ToolFailedError);
		expect((err as Error).message).toContain("apt-get install -y chromium");
	});
});
