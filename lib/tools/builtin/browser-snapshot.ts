import { accessSync, constants } from "node:fs";
import { isIP } from "node:net";
import type { Browser } from "playwright-core";
import { ToolFailedError, ToolRefusedError, ToolTimeoutError } from "../errors";
import type { ToolContext, ToolDefinition, ToolPolicy, ToolResult } from "../tool";
import { checkUrl, type LookupFn } from "./url-guard";
import { raceSignal } from "./race-signal";

const TOOL_ID = "builtin:browser_snapshot";
const DEFAULT_CHROMIUM = "/usr/bin/chromium";
const INSTALL_HINT = "install Chromium: apt-get install -y chromium (or set CHROMIUM_PATH)";
const MAX_LINKS = 200;
const MAX_BLOCKED = 100;
const MAX_WAIT_MS = 10_000;
const MAX_TITLE_CHARS = 1000;
const MAX_LINK_TEXT_CHARS = 300;
const VIEWPORT = { width: 1280, height: 800 };
/** Headless, no sandbox (we run as root in a container), and none of Chromium's own calls home. */
export const CHROMIUM_ARGS = [
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-quic",
	"--no-first-run",
	"--disable-sync",
	"--disable-dev-shm-usage",
	// WebRTC could otherwise send UDP (STUN) to any address, outside the request routing.
	"--force-webrtc-ip-handling-policy=disable_non_proxied_udp"
];

interface SnapshotArgs {
	url: string;
	screenshot: boolean;
	waitMs: number;
	maxTextBytes: number;
}

interface Link {
	text: string;
	href: string;
}

export interface BrowserSnapshotOptions {
	/** The Chromium binary; default `CHROMIUM_PATH` from the environment, else /usr/bin/chromium. */
	executablePath?: string;
	lookup?: LookupFn;
}

/**
 * The built-in `browser_snapshot` tool: opens an allowlisted URL in headless Chromium and
 * returns the rendered title, text, links (and optionally a PNG screenshot). Every request
 * the page makes — sub-resources, scripts' fetches, redirects, navigations — goes through
 * the same `checkUrl` rules as http_fetch; refused ones are aborted and listed in `blocked`.
 */
export function browserSnapshotTool(policy: ToolPolicy, options: BrowserSnapshotOptions = {}): ToolDefinition {
	return {
		id: TOOL_ID,
		description:
			"Open an allowlisted URL in a headless browser (JavaScript runs) and return the final URL, title, visible text, links and optionally a PNG screenshot (base64).",
		capability: "network.fetch",
		source: "builtin",
		parameters: {
			type: "object",
			properties: {
				url: { type: "string", description: "An absolute http:// or https:// URL." },
				screenshot: { type: "boolean", default: false, description: "Also return a PNG of the viewport, base64." },
				waitMs: { type: "integer", minimum: 0, maximum: MAX_WAIT_MS, description: "Extra wait after the page loaded, for scripts." },
				maxTextBytes: { type: "integer", minimum: 1, maximum: policy.maxOutputBytes }
			},
			required: ["url"],
			additionalProperties: false
		},
		run: async (args, ctx) => snapshot(parseArgs(args, policy), policy, ctx, options)
	};
}

function parseArgs(args: Record<string, unknown>, policy: ToolPolicy): SnapshotArgs {
	const refuse = (reason: string): ToolRefusedError => new ToolRefusedError(TOOL_ID, reason);
	if (typeof args.url !== "string") throw refuse("url must be a string");
	if (args.screenshot !== undefined && typeof args.screenshot !== "boolean") throw refuse("screenshot must be a boolean");
	const waitMs = args.waitMs ?? 0;
	if (typeof waitMs !== "number" || !Number.isInteger(waitMs) || waitMs < 0 || waitMs > MAX_WAIT_MS) {
		throw refuse(`waitMs must be an integer from 0 to ${MAX_WAIT_MS}`);
	}
	let maxTextBytes = policy.maxOutputBytes;
	if (args.maxTextBytes !== undefined) {
		if (typeof args.maxTextBytes !== "number" || !Number.isInteger(args.maxTextBytes) || args.maxTextBytes < 1) {
			throw refuse("maxTextBytes must be a positive integer");
		}
		maxTextBytes = Math.min(args.maxTextBytes, policy.maxOutputBytes);
	}
	return { url: args.url, screenshot: args.screenshot === true, waitMs, maxTextBytes };
}

function resolveExecutable(options: BrowserSnapshotOptions): string {
	const path = options.executablePath ?? process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;
	try {
		accessSync(path, constants.X_OK);
	} catch {
		throw new ToolFailedError(TOOL_ID, `Chromium not found at ${path}; ${INSTALL_HINT}`, { executablePath: path });
	}
	return path;
}

/** Playwright's proxy option from the policy's URL (credentials passed apart, as Chromium wants). */
function proxyOption(url: string | undefined): { server: string; username?: string; password?: string } | undefined {
	if (url === undefined || url === "") return undefined;
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		throw new ToolFailedError(TOOL_ID, "egressProxyUrl is not a valid URL");
	}
	const server = `${parsed.protocol}//${parsed.host}`;
	if (parsed.username === "") return { server };
	return { server, username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) };
}

async function snapshot(args: SnapshotArgs, policy: ToolPolicy, ctx: ToolContext, options: BrowserSnapshotOptions): Promise<ToolResult> {
	const narrowed = ctx.constraints.domains;
	// Refused before anything is launched.
	const first = await checkUrl(args.url, policy, narrowed, options.lookup, TOOL_ID);
	const executablePath = resolveExecutable(options);
	const proxy = proxyOption(policy.egressProxyUrl);

	const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(policy.timeoutMs)]);
	const timeout = (): ToolTimeoutError => new ToolTimeoutError(TOOL_ID, policy.timeoutMs);
	if (signal.aborted) throw timeout();

	const launchArgs = [...CHROMIUM_ARGS];
	// Pin the first host to the address checkUrl approved, so a DNS answer that changes
	// between the check and Chromium's own lookup cannot send it elsewhere. (Through a
	// proxy, the proxy resolves names.)
	const host = first.url.hostname.replace(/^\[|\]$/g, "");
	if (proxy === undefined && isIP(host) === 0) {
		launchArgs.push(`--host-resolver-rules=MAP ${host} ${first.family === 6 ? `[${first.address}]` : first.address}`);
	}

	let browser: Browser | undefined;
	let closing: Promise<void> | undefined;
	// One close, awaited by whoever comes last (abort or finally), so the profile is gone when we return.
	const close = (): Promise<void> => {
		if (browser === undefined) return Promise.resolve();
		closing ??= browser.close().catch(() => undefined);
		return closing;
	};
	const onAbort = (): void => void close();
	signal.addEventListener("abort", onAbort, { once: true });
	try {
		// Playwright gives each launch a fresh empty profile (its own temp --user-data-dir,
		// which it refuses in args) and deletes it when the browser closes.
		// Loaded on first use: a node that never browses never pays for playwright-core.
		const { chromium } = await import("playwright-core");
		const launching = chromium.launch({
			executablePath,
			headless: true,
			args: launchArgs,
			proxy,
			timeout: policy.timeoutMs,
			// Playwright's own handlers would race ours; we close on the tool's signal.
			handleSIGINT: false,
			handleSIGTERM: false,
			handleSIGHUP: false
		});
		try {
			browser = await raceSignal(launching, signal, timeout);
		} catch (err) {
			// Aborted while launching: close the browser when it is up.
			launching.then((b) => b.close()).catch(() => undefined);
			// Playwright's own launch timeout and our signal fire together; either way it is our time limit.
			if (err instanceof ToolTimeoutError || signal.aborted || (err as Error).name === "TimeoutError") throw timeout();
			const message = err instanceof Error ? err.message : String(err);
			throw new ToolFailedError(TOOL_ID, `could not launch Chromium (${executablePath}): ${message.split("\n")[0]}; ${INSTALL_HINT}`);
		}
		if (signal.aborted) throw timeout();
		return await browse(browser, args, policy, narrowed, options.lookup, signal, timeout);
	} catch (err) {
		if (signal.aborted && !(err instanceof ToolRefusedError)) throw timeout();
		throw err;
	} finally {
		signal.removeEventListener("abort", onAbort);
		await close();
	}
}

/** The part of CDP's Fetch.requestPaused event we use. */
interface PausedRequest {
	requestId: string;
	request: { url: string; urlFragment?: string };
	resourceType: string;
	redirectedRequestId?: string;
}

async function browse(
	browser: Browser,
	args: SnapshotArgs,
	policy: ToolPolicy,
	narrowed: string[] | undefined,
	lookup: LookupFn | undefined,
	signal: AbortSignal,
	timeout: () => ToolTimeoutError
): Promise<ToolResult> {
	const blocked: string[] = [];
	let navigating = false;
	let refusedDuringGoto: string | undefined;
	const block = (url: string): void => {
		if (!blocked.includes(url) && blocked.length < MAX_BLOCKED) blocked.push(url);
	};

	// Every request of the browser — any page, frame, worker, and each redirect hop
	// (Playwright's page.route never sees redirect hops: it continues them itself) — is
	// paused here, on the browser target, and checked with the same rules as http_fetch.
	const cdp = await browser.newBrowserCDPSession();
	const onPaused = async (event: PausedRequest): Promise<void> => {
		const url = event.request.url;
		const requestId = event.requestId;
		// data: and blob: never touch the network.
		if (url.startsWith("data:") || url.startsWith("blob:")) {
			await cdp.send("Fetch.continueRequest", { requestId }).catch(() => undefined);
			return;
		}
		try {
			await checkUrl(url, policy, narrowed, lookup, TOOL_ID);
		} catch (err) {
			block(url);
			if (event.resourceType === "Document") {
				if (navigating && refusedDuringGoto === undefined) refusedDuringGoto = reasonOf(err);
				// 204 No Content: Chromium stays on the page it had instead of committing an error page.
				await cdp.send("Fetch.fulfillRequest", { requestId, responseCode: 204, body: "" }).catch(() => undefined);
			} else {
				await cdp.send("Fetch.failRequest", { requestId, errorReason: "BlockedByClient" }).catch(() => undefined);
			}
			return;
		}
		await cdp.send("Fetch.continueRequest", { requestId }).catch(() => undefined);
	};
	cdp.on("Fetch.requestPaused", (event) => void onPaused(event));
	await cdp.send("Fetch.enable", { patterns: [{ urlPattern: "*", requestStage: "Request" }] });

	const context = await browser.newContext({ viewport: VIEWPORT, serviceWorkers: "block", acceptDownloads: false });
	// WebSockets are not fetches: refuse them all.
	await context.routeWebSocket(/.*/, (ws) => {
		block(ws.url());
		void ws.close({ code: 1008, reason: "blocked by browser_snapshot" }).catch(() => undefined);
	});
	const page = await context.newPage();
	page.setDefaultTimeout(policy.timeoutMs);

	navigating = true;
	let navError: unknown;
	try {
		await page.goto(args.url, { waitUntil: "load", timeout: policy.timeoutMs });
	} catch (err) {
		navError = err;
	}
	navigating = false;
	if (signal.aborted || (navError as Error | undefined)?.name === "TimeoutError") throw timeout();
	if (refusedDuringGoto !== undefined && (navError !== undefined || page.url() === "about:blank")) {
		throw new ToolRefusedError(TOOL_ID, `the page led to a refused URL: ${refusedDuringGoto}`, { blocked: [...blocked] });
	}
	if (navError !== undefined) {
		const message = navError instanceof Error ? navError.message.split("\n")[0] : String(navError);
		throw new ToolFailedError(TOOL_ID, `could not load the page: ${message}`, { blocked: [...blocked] });
	}
	if (args.waitMs > 0) await page.waitForTimeout(args.waitMs);

	// Expressions as strings: they run in the page, not through our compiler.
	const title = String(await page.title()).slice(0, MAX_TITLE_CHARS);
	const rawText = (await page.evaluate(
		`(() => { const b = document.body; return b ? String(b.innerText).slice(0, ${args.maxTextBytes + 1}) : ""; })()`
	)) as string;
	const links = (await page.evaluate(
		`Array.from(document.querySelectorAll("a[href]")).slice(0, ${MAX_LINKS}).map((a) => ({ text: String(a.innerText || a.textContent || "").trim().slice(0, ${MAX_LINK_TEXT_CHARS}), href: String(a.href) })).filter((l) => l.href !== "")`
	)) as Link[];
	const { text, truncated } = capBytes(rawText, args.maxTextBytes);
	const content: Record<string, unknown> = { url: page.url(), title, text, links, blocked: [...blocked] };
	if (args.screenshot) content.screenshot = (await page.screenshot({ type: "png", timeout: policy.timeoutMs })).toString("base64");
	return truncated ? { content, truncated: true } : { content };
}

function reasonOf(err: unknown): string {
	if (err instanceof ToolRefusedError || err instanceof ToolFailedError) {
		const reason = (err.data as { reason?: unknown } | undefined)?.reason;
		if (typeof reason === "string") return reason;
	}
	return err instanceof Error ? err.message : String(err);
}

/** At most `max` bytes of UTF-8, never cutting a character in half. */
function capBytes(text: string, max: number): { text: string; truncated: boolean } {
	const bytes = Buffer.from(text, "utf8");
	if (bytes.length <= max) return { text, truncated: false };
	let end = max;
	while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
	return { text: bytes.subarray(0, end).toString("utf8"), truncated: true };
}
