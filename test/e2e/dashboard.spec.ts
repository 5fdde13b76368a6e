import fs from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { declarativeAgent, startConsole, watchInjection, type ConsoleHarness } from "../support/console";
import { startNodeProcess } from "../support/node-process";
import { eventually } from "../support/test-node";
import { testTempDir } from "../support/test-tmp";

const INJECTED = "<img src=x onerror=alert(1)>";
const PAGES = ["overview", "agents", "chat", "tasks", "memory", "approvals", "audit", "society", "governance", "cluster", "models"];

/**
 * The web console in Chromium against a real node (from dist), seeded with agents: signing
 * in, the overview, the agents page (search, spawn, stop/start), a read-only token, and
 * markup written by an agent staying text.
 */
describe("the web console", () => {
	let c: ConsoleHarness;
	let codeDir: string;

	beforeAll(async () => {
		// A code agent whose name and log line are markup, to prove both stay text.
		codeDir = testTempDir("console-agent-");
		fs.writeFileSync(path.join(codeDir, "index.js"), `module.exports = { async onStart(ctx) { ctx.log.info(${JSON.stringify(`log ${INJECTED}`)}); }, async onTask() { return {}; } };\n`);
		c = await startConsole({ AGENT_CODE_PATHS: `${path.resolve("agents")},${codeDir}` });
		await c.seedAgents([
			declarativeAgent("alpha", { name: "Alpha helper" }),
			declarativeAgent("bravo", { name: "Bravo reviewer" }),
			declarativeAgent("charlie", { name: "Charlie scout" }),
			{ id: "marked", name: INJECTED, entryPoint: path.join(codeDir, "index.js") },
			{ id: "greeter", name: "Greeter", entryPoint: path.resolve("agents/hello/index.js"), taskTypes: { greet: { description: "Greet", schema: { type: "object" } } } }
		]);
		// Three finished tasks and one failed, for the overview's last hour.
		await eventually("the greeter running", async () => (await c.api<{ state: string }>("GET", "/api/v1/agents/greeter")).body.state === "running", 30_000);
		for (const task of [{ type: "greet", name: "a" }, { type: "greet", name: "b" }, { type: "greet", name: "c" }, { type: "shout" }]) {
			await c.api("POST", "/api/v1/agents/greeter/tasks", { task });
		}
	}, 90_000);
	afterAll(async () => {
		await c?.close();
		fs.rmSync(codeDir, { recursive: true, force: true });
	});

	const row = (page: Page, id: string) => page.locator("tbody tr").filter({ has: page.locator("code", { hasText: new RegExp(`^${id}$`) }) });

	it("signs in with a token typed in the form, keeps it for the tab only, and refuses a wrong one", async () => {
		const page = await c.openSignedOut();
		await page.getByLabel("API token").fill("not-a-token");
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.getByRole("alert").filter({ hasText: "INVALID_TOKEN" }).waitFor();
		await c.screenshot(page, "sign-in");
		await page.getByLabel("API token").fill(c.token);
		await page.getByRole("button", { name: "Sign in" }).click();
		await page.getByRole("navigation", { name: "Pages" }).waitFor();
		expect(await page.evaluate("sessionStorage.getItem('agentos.token')")).toBe(c.token);
		expect(await page.evaluate("localStorage.length")).toBe(0);
		await page.reload();
		await page.getByRole("heading", { name: "Overview" }).waitFor();
		await page.getByRole("button", { name: "Sign out" }).click();
		await page.getByLabel("API token").waitFor();
		expect(await page.evaluate("sessionStorage.getItem('agentos.token')")).toBeNull();
	});

	it("signs in by the banner's link and takes the token out of the address bar and history", async () => {
		const page = await c.open();
		await page.getByRole("heading", { name: "Overview" }).waitFor();
		expect(page.url()).toBe(`${c.node.url}/#/overview`);
		expect(await page.evaluate("location.href + '|' + history.length")).not.toContain(c.token);
		// A reload stays signed in, and does not bring the token back.
		await page.reload();
		await page.getByRole("heading", { name: "Overview" }).waitFor();
		expect(page.url()).not.toContain("token");
	});

	it("signs in by the very link the start banner prints on a first boot", async () => {
		// No GATEWAY_AUTH_TOKEN: the node generates the admin token and prints the link once.
		const fresh = await startNodeProcess(`console-banner-${process.pid}`, { GATEWAY_AUTH_TOKEN: "" }, "unused");
		try {
			await eventually("the banner", () => fresh.output().includes("Stop       Ctrl-C"));
			const link = /Sign in {4}(http:\/\/\S+)/.exec(fresh.output())![1];
			const token = decodeURIComponent(new URL(link).hash.slice("#token=".length));
			expect(token.length).toBeGreaterThan(20);
			const context = await c.browser.newContext();
			try {
				const page = await context.newPage();
				await page.goto(link);
				await page.getByRole("heading", { name: "Overview" }).waitFor();
				await page.locator('[data-card="agents"]').getByText("0", { exact: true }).waitFor();
				expect(page.url()).toBe(`${new URL(link).origin}/#/overview`);
				expect(await page.evaluate("location.href")).not.toContain(token);
			} finally {
				await context.close();
			}
		} finally {
			await fresh.stop();
		}
	});

	it("shows the node, the cluster and its leader, agents by state and the last hour's charts", async () => {
		const page = await c.open();
		const card = (name: string) => page.locator(`[data-card="${name}"]`);
		const shows = (name: string, what: RegExp | string) =>
			eventually(`the ${name} card to show ${what}`, async () => {
				const text = await card(name).innerText();
				return typeof what === "string" ? text.includes(what) : what.test(text);
			});
		await shows("node", /ok|degraded/);
		await shows("cluster", `leader ${c.node.id}`);
		await shows("agents", "5 running");
		await shows("tasks", "4 in the last hour");
		await shows("errors", "25.0 %");
		await shows("latency", /\d+ ms/);
		await eventually("the approvals card", async () => /\b0\b/.test(await card("approvals").innerText()));
		expect(await page.locator("figure.chart canvas").count()).toBe(4);
		await c.screenshot(page, "overview");
	});

	it("lists, searches, filters and sorts agents", async () => {
		const page = await c.open({ hash: "#/agents" });
		await row(page, "charlie").waitFor();
		expect(await page.locator("tbody tr").count()).toBe(5);
		await page.getByLabel("Search").fill("brav");
		await eventually("the search", async () => (await page.locator("tbody tr").count()) === 1);
		await row(page, "bravo").waitFor();
		await page.getByLabel("Search").fill("");
		await page.getByLabel("State").selectOption("stopped");
		await page.getByText("No agent matches.").waitFor();
		await page.getByLabel("State").selectOption("");
		await row(page, "alpha").waitFor();
		const names = () => page.locator("tbody tr td:first-child a").allInnerTexts();
		await page.getByRole("button", { name: "Name" }).click();
		await page.locator('th[aria-sort="ascending"]').waitFor();
		await eventually("sorted by name", async () => (await names()).filter(n => n !== INJECTED).join() === "Alpha helper,Bravo reviewer,Charlie scout,Greeter");
		const ascending = await names();
		await page.getByRole("button", { name: /Name/ }).click();
		await page.locator('th[aria-sort="descending"]').waitFor();
		await eventually("sorted by name, descending", async () => (await names()).join() === [...ascending].reverse().join());
		await c.screenshot(page, "agents");
	});

	it("spawns a declarative agent from the editor, showing a field error first", async () => {
		const page = await c.open({ hash: "#/agents" });
		const editor = page.getByLabel("Manifest (JSON)");
		await page.getByRole("button", { name: "Declarative agent" }).click();
		await editor.fill(JSON.stringify({ id: "Delta Agent", name: "Delta", instructions: "Answer briefly." }, null, 2));
		await page.getByRole("button", { name: "Spawn" }).click();
		const problem = page.locator('[data-field="id"]');
		await problem.waitFor();
		expect(await problem.innerText()).toContain("lower-case");
		expect(await editor.getAttribute("aria-invalid")).toBe("true");
		// Choosing the field selects it in the editor.
		await problem.getByRole("button", { name: "id" }).click();
		expect(await editor.evaluate((el: { value: string; selectionStart: number; selectionEnd: number }) => el.value.slice(el.selectionStart, el.selectionEnd))).toBe('"id"');
		await editor.fill("{ not json");
		await page.getByRole("button", { name: "Spawn" }).click();
		await page.getByText(/Not valid JSON \(line 1, column \d+\)/).waitFor();
		await editor.fill(JSON.stringify(declarativeAgent("delta", { name: "Delta" }), null, 2));
		await page.getByRole("button", { name: "Spawn" }).click();
		await page.getByRole("status").filter({ hasText: "Spawned delta" }).waitFor();
		await row(page, "delta").waitFor();
		expect((await c.api<{ state: string }>("GET", "/api/v1/agents/delta")).status).toBe(200);
	});

	it("stops and starts an agent only after confirming, and the list follows the live state", async () => {
		const page = await c.open({ hash: "#/agents" });
		const alpha = row(page, "alpha");
		await alpha.getByText("running").waitFor();
		await alpha.getByRole("button", { name: "Stop" }).click();
		const dialog = page.getByRole("dialog", { name: "Stop Alpha helper (alpha)?" });
		await dialog.waitFor();
		await dialog.getByRole("button", { name: "Cancel" }).click();
		await dialog.waitFor({ state: "hidden" });
		expect((await c.api<{ desiredState: string }>("GET", "/api/v1/agents/alpha")).body.desiredState).toBe("running");
		await alpha.getByRole("button", { name: "Stop" }).click();
		await dialog.getByRole("button", { name: "Stop" }).click();
		await alpha.getByText("stopped", { exact: true }).waitFor();
		expect((await c.api<{ state: string }>("GET", "/api/v1/agents/alpha")).body.state).toBe("stopped");
		await alpha.getByRole("button", { name: "Start", exact: true }).click();
		await page.getByRole("dialog", { name: "Start Alpha helper (alpha)?" }).getByRole("button", { name: "Start", exact: true }).click();
		await alpha.getByText("running", { exact: true }).waitFor({ timeout: 20_000 });
	});

	it("follows changes made elsewhere (the REST API) live, without a reload", async () => {
		const page = await c.open({ hash: "#/agents" });
		const charlie = row(page, "charlie");
		await charlie.getByText("running", { exact: true }).waitFor();
		await c.api("POST", "/api/v1/agents/charlie/stop");
		await charlie.getByText("stopped", { exact: true }).waitFor();
		await c.api("POST", "/api/v1/agents/charlie/start");
		await charlie.getByText("running", { exact: true }).waitFor({ timeout: 20_000 });
		expect(await page.locator(".live").innerText()).toBe("live");
	});

	it("shows an agent's timeline, log, mailbox and grants with what each capability means", async () => {
		const page = await c.open({ hash: "#/agents/marked" });
		await page.getByRole("heading", { name: "State timeline" }).waitFor();
		await eventually("the timeline", async () => (await page.locator(".timeline li").count()) >= 2);
		await eventually("the log line", async () => (await page.getByTestId("log").innerText()).includes(`log ${INJECTED}`), 20_000);
		expect(await page.getByTestId("mailbox").innerText()).toMatch(/queued/);
		const fetchRow = page.locator('tr[data-capability="network.fetch"]');
		expect(await fetchRow.innerText()).toContain("reach the network");
		await fetchRow.getByRole("button", { name: "Grant" }).click();
		await page.getByRole("dialog", { name: "Grant network.fetch to marked?" }).getByRole("button", { name: "Grant" }).click();
		await fetchRow.getByRole("button", { name: "Revoke" }).waitFor();
		const grants = await c.api<{ items: { capability: string }[] }>("GET", "/api/v1/agents/marked/grants");
		expect(grants.body.items.map(g => g.capability)).toContain("network.fetch");
		await c.screenshot(page, "agent-detail");
	});

	it("renders what agents wrote as text: markup in a name and a log line runs nothing and loads nothing", async () => {
		const page = await c.open({ hash: "#/agents" });
		const seen = watchInjection(page);
		await row(page, "marked").waitFor();
		expect(await row(page, "marked").locator("td:first-child a").innerText()).toBe(INJECTED);
		await page.goto(`${c.node.url}/#/agents/marked`);
		await eventually("the log line", async () => (await page.getByTestId("log").innerText()).includes(INJECTED), 20_000);
		expect(await page.locator("main img").count()).toBe(0);
		await page.waitForTimeout(500);
		expect(seen).toEqual({ dialogs: [], requests: [] });
	});

	it("shows a read-only token every control it may not use as disabled, naming the scope it needs", async () => {
		const token = await c.createToken("viewer", ["agents:read"]);
		const page = await c.open({ token, hash: "#/agents" });
		const bravo = row(page, "bravo");
		await bravo.waitFor();
		for (const name of ["Stop", "Restart", "Delete"]) {
			const button = bravo.getByRole("button", { name });
			expect(await button.isDisabled()).toBe(true);
			expect(await button.getAttribute("title")).toBe("needs scope agents:write");
		}
		const spawn = page.getByRole("button", { name: "Spawn" });
		expect(await spawn.isDisabled()).toBe(true);
		expect(await spawn.getAttribute("title")).toBe("needs scope agents:write");
		await page.goto(`${c.node.url}/#/agents/bravo`);
		const grant = page.locator('tr[data-capability="shell.exec"]').getByRole("button", { name: "Grant" });
		await grant.waitFor();
		expect(await grant.isDisabled()).toBe(true);
		expect(await grant.getAttribute("title")).toBe("needs scope admin");
		// The overview names the scopes its other cards need instead of failing.
		await page.goto(`${c.node.url}/#/overview`);
		expect(await page.locator('[data-card="usage"]').innerText()).toContain("needs scope llm");
	});

	it("goes back to the sign-in form, saying why, when its token is revoked while in use", async () => {
		const created = await c.api<{ id: string; token: string }>("POST", "/api/v1/tokens", { name: "short-lived", scopes: ["agents:read"] });
		const page = await c.open({ token: created.body.token, hash: "#/agents" });
		await row(page, "bravo").waitFor();
		expect((await c.api("DELETE", `/api/v1/tokens/${created.body.id}`)).status).toBe(200);
		await page.getByRole("link", { name: "Overview" }).click();
		await page.getByRole("alert").filter({ hasText: "no longer accepts this token" }).waitFor();
		await page.getByLabel("API token").waitFor();
		expect(await page.evaluate("sessionStorage.getItem('agentos.token')")).toBeNull();
	});

	it("has a page for each of the eleven sections, readable in a narrow window", async () => {
		const page = await c.open();
		const nav = page.getByRole("navigation", { name: "Pages" });
		expect(await nav.getByRole("link").allInnerTexts()).toEqual(["Overview", "Agents", "Chat", "Tasks", "Memory", "Approvals", "Audit", "Society", "Governance", "Cluster", "Models"]);
		for (const id of PAGES) {
			await page.goto(`${c.node.url}/#/${id}`);
			await page.locator("main h1").first().waitFor();
			await page.waitForTimeout(300);
			if (id !== "overview" && id !== "agents") await c.screenshot(page, id);
		}
		const narrow = await c.open({ viewport: { width: 390, height: 800 } });
		await narrow.getByRole("heading", { name: "Overview" }).waitFor();
		// Nothing wider than the window: the page does not scroll sideways.
		expect(await narrow.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")).toBe(true);
		await c.screenshot(narrow, "overview-narrow");
	});

	it("pages a long list on the server, twenty at a time", async () => {
		await c.seedAgents(Array.from({ length: 20 }, (_, i) => declarativeAgent(`extra-${String(i).padStart(2, "0")}`)));
		const total = (await c.api<{ total: number }>("GET", "/api/v1/agents?limit=1")).body.total;
		const page = await c.open({ hash: "#/agents" });
		const pager = page.getByRole("navigation", { name: "Agents of the cluster pages" });
		await pager.getByText(`1–20 of ${total}`).waitFor();
		expect(await page.locator("tbody tr").count()).toBe(20);
		await pager.getByRole("button", { name: "Next" }).click();
		await pager.getByText(`21–${total} of ${total}`).waitFor();
		await eventually("the second page", async () => (await page.locator("tbody tr").count()) === total - 20);
		expect(await pager.getByRole("button", { name: "Next" }).isDisabled()).toBe(true);
		// A new search starts again at the first page.
		await page.getByLabel("Search").fill("extra-1");
		await pager.getByText("1–10 of 10").waitFor();
		await pager.getByRole("button", { name: "Previous" }).waitFor();
		expect(await pager.getByRole("button", { name: "Previous" }).isDisabled()).toBe(true);
	});
});
