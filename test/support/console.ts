/**
 * The web console in a real browser, for the console's e2e specs (test/e2e/dashboard-*.spec.ts):
 *
 *   const c = await startConsole();               // a node from dist + headless Chromium
 *   await c.seedAgents([declarativeAgent("a1")]);  // agents through the REST API
 *   const page = await c.open();                   // signed in by the banner-style link
 *   await page.getByRole("link", { name: "Agents" }).click();
 *   await c.screenshot(page, "agents");            // test-artifacts/console/agents.png
 *   const watch = watchInjection(page);            // dialogs and requests to `x`
 *   await c.close();
 *
 * Needs `npm run build` (the console is served from dist/dashboard) and Chromium
 * (CHROMIUM_PATH, default /usr/bin/chromium).
 */
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { CHROMIUM_ARGS } from "../../lib/tools/builtin/browser-snapshot";
import { startNodeProcess, type NodeProcess } from "./node-process";
import { ensureChromium } from "./server-binaries";

export const ARTIFACTS = path.resolve(__dirname, "../../test-artifacts/console");

export interface ConsoleHarness {
	node: NodeProcess;
	browser: Browser;
	/** The node's admin token. */
	token: string;
	/** A new browser context (own session storage) on `hash` (default `#/overview`), signed in with `token` (default admin) by the `/#token=` link; waits for the shell. */
	open(opts?: { token?: string; hash?: string; viewport?: { width: number; height: number } }): Promise<Page>;
	/** A new context at `/` without signing in. */
	openSignedOut(): Promise<Page>;
	/** POSTs each manifest to /api/v1/agents (admin) and returns their ids. */
	seedAgents(manifests: Record<string, unknown>[]): Promise<string[]>;
	/** A token with exactly these scopes. */
	createToken(name: string, scopes: string[]): Promise<string>;
	/** REST with the admin token. */
	api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
	/** A full-page screenshot in test-artifacts/console/<name>.png. */
	screenshot(page: Page, name: string): Promise<string>;
	close(): Promise<void>;
}

const TOKEN = "console-e2e-admin-token-0123456789abcdef";

/** A declarative agent (no code, the runtime's own loop with the offline model), as the spawn editor's template makes. */
export function declarativeAgent(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
	return { id, name: `Agent ${id}`, instructions: "You answer briefly.", memory: { recall: 0 }, ...extra };
}

export async function launchChromium(): Promise<Browser> {
	return chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS, headless: true });
}

/** Starts a node (from dist, own data dir and port) and Chromium. */
export async function startConsole(env: Record<string, string> = {}): Promise<ConsoleHarness> {
	const node = await startNodeProcess(`console-${process.pid}-${Date.now() % 100000}`, env, TOKEN);
	let browser: Browser;
	try {
		browser = await launchChromium();
	} catch (err) {
		await node.stop();
		throw err;
	}
	const contexts: BrowserContext[] = [];
	const newPage = async (viewport = { width: 1280, height: 860 }) => {
		const context = await browser.newContext({ viewport });
		contexts.push(context);
		return context.newPage();
	};
	const api = async <T>(method: string, route: string, body?: unknown) => {
		const res = await node.request(route, { method, body: body === undefined ? undefined : JSON.stringify(body) });
		const text = await res.text();
		return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
	};
	return {
		node,
		browser,
		token: TOKEN,
		async open(opts = {}) {
			const page = await newPage(opts.viewport);
			await page.goto(`${node.url}/#token=${encodeURIComponent(opts.token ?? TOKEN)}`);
			await page.getByRole("navigation", { name: "Pages" }).waitFor();
			if (opts.hash) {
				await page.evaluate(`location.hash = ${JSON.stringify(opts.hash)}`);
			}
			return page;
		},
		async openSignedOut() {
			const page = await newPage();
			await page.goto(`${node.url}/`);
			return page;
		},
		async seedAgents(manifests) {
			const ids: string[] = [];
			for (const manifest of manifests) {
				const res = await api<{ id: string; error?: { message: string } }>("POST", "/api/v1/agents", { manifest });
				if (res.status >= 300) throw new Error(`seeding ${String(manifest.id)} answered ${res.status}: ${JSON.stringify(res.body)}`);
				ids.push(res.body.id);
			}
			return ids;
		},
		async createToken(name, scopes) {
			const res = await api<{ token: string }>("POST", "/api/v1/tokens", { name, scopes });
			if (res.status !== 201) throw new Error(`creating token ${name} answered ${res.status}`);
			return res.body.token;
		},
		api,
		async screenshot(page, name) {
			fs.mkdirSync(ARTIFACTS, { recursive: true });
			const file = path.join(ARTIFACTS, `${name}.png`);
			await page.screenshot({ path: file, fullPage: true });
			return file;
		},
		async close() {
			for (const context of contexts) await context.close().catch(() => undefined);
			await browser.close().catch(() => undefined);
			await node.stop();
		}
	};
}

/** What a page did that injected markup would do: open a dialog, or request a URL ending in `/x`. */
export function watchInjection(page: Page): { dialogs: string[]; requests: string[] } {
	const seen = { dialogs: [] as string[], requests: [] as string[] };
	page.on("dialog", dialog => {
		seen.dialogs.push(dialog.message());
		void dialog.dismiss();
	});
	page.on("request", request => {
		if (/\/x(\?|$)/.test(request.url())) seen.requests.push(request.url());
	});
	return seen;
}
