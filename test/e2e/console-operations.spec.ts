import fs from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { FIXTURE_AGENTS } from "../support/agents";
import { startConsole, watchInjection, type ConsoleHarness } from "../support/console";
import { eventually } from "../support/test-node";
import { testTempDir } from "../support/test-tmp";

interface TaskRecord {
	id: string;
	agentId: string;
	type: string;
	status: string;
	error: unknown;
}

/** The operator's pages of the console in a real browser: tasks, approvals, audit, governance and the incident lockdown. */
describe("web console: tasks, approvals, audit and governance in Chromium", () => {
	let c: ConsoleHarness;
	const workspace = testTempDir("console-workspace-");
	const echo = (id: string, extra: Record<string, unknown> = {}) => ({ id, name: `Echo ${id}`, entryPoint: `${FIXTURE_AGENTS}/echo.js`, ...extra });
	const task = (agent: string, body: Record<string, unknown>) => c.api<{ taskId: string; error?: { type: string } }>("POST", `/api/v1/agents/${agent}/tasks`, body);
	const state = async (agent: string) => (await c.api<{ state: string }>("GET", `/api/v1/agents/${agent}`)).body.state;
	const live = (page: Page) => page.locator(".live-open").waitFor();

	beforeAll(async () => {
		c = await startConsole({ AGENT_CODE_PATHS: FIXTURE_AGENTS, ALLOWED_PATHS: workspace, AGENT_HEARTBEAT_INTERVAL_MS: "200", AGENT_HEARTBEAT_TIMEOUT_MS: "600" });
		await c.seedAgents([echo("worker", { permissions: ["tools.execute", "fs.write"] }), echo("helper", { permissions: ["memory.write"] })]);
		await eventually("the seeded agents to run", async () => (await state("worker")) === "running" && (await state("helper")) === "running", 30_000);
		expect((await task("worker", { task: { type: "echo" } })).status).toBe(200);
		expect((await task("worker", { task: { type: "boom" } })).status).toBeGreaterThanOrEqual(400);
		expect((await task("helper", { task: { type: "echo" } })).status).toBe(200);
	}, 90_000);

	afterAll(async () => {
		await c?.close();
		fs.rmSync(workspace, { recursive: true, force: true });
	});

	it("lists the seeded tasks with status, duration and error, filters them, and opens one", async () => {
		const page = await c.open({ hash: "#/tasks" });
		const rows = page.locator("table tbody tr");
		await page.getByRole("cell", { name: "boom", exact: true }).waitFor();
		expect(await rows.count()).toBe(3);
		await expect(page.getByRole("row", { name: /boom/ }).textContent()).resolves.toMatch(/failed.*boom from the agent/);
		await c.screenshot(page, "tasks");

		await page.getByLabel("Status").selectOption("failed");
		await eventually("only the failed task", async () => (await rows.count()) === 1 && /boom/.test((await rows.first().textContent()) ?? ""));
		await page.getByLabel("Status").selectOption("");
		await page.getByLabel("Agent").fill("helper");
		await page.getByLabel("Agent").press("Enter");
		await eventually("only helper's task", async () => (await rows.count()) === 1 && /helper/.test((await rows.first().textContent()) ?? ""));

		await page.getByRole("link", { name: "echo" }).click();
		await page.getByRole("heading", { name: /^Task / }).waitFor();
		await expect(page.locator("dl.facts").textContent()).resolves.toMatch(/helper.*echo.*succeeded/);
	});

	it("approves a pending approval with a reason, and the agent's task finishes", async () => {
		const page = await c.open({ hash: "#/approvals" });
		await live(page);
		const handed = await task("worker", { task: { type: "tool", toolId: "builtin:file_write", arguments: { path: path.join(workspace, "note.txt"), content: "approved" } }, async: true });
		expect(handed.status).toBe(202);
		// The queue updates by itself (approvals.requested), no reload.
		const row = page.getByRole("row", { name: /worker/ });
		await row.waitFor();
		await c.screenshot(page, "approvals");
		await row.getByRole("button", { name: "Approve" }).click();
		const dialog = page.getByRole("dialog");
		await dialog.getByLabel("Reason").fill("a note is harmless");
		await dialog.getByRole("button", { name: "Approve" }).click();
		let finished: TaskRecord | undefined;
		await eventually("the task to end", async () => !["queued", "running"].includes((finished = (await c.api<TaskRecord>("GET", `/api/v1/tasks/${handed.body.taskId}`)).body).status), 20_000);
		expect({ status: finished?.status, error: finished?.error }).toEqual({ status: "succeeded", error: null });
		await page.getByRole("cell", { name: "Nothing waits for a decision." }).waitFor();

		await page.evaluate(`location.hash = "#/tasks/${handed.body.taskId}"`);
		await expect(page.locator("dl.facts").textContent()).resolves.toMatch(/worker.*tool.*succeeded/);
		const approvals = await c.api<{ items: { status: string; note: string }[] }>("GET", "/api/v1/approvals?status=approved");
		expect(approvals.body.items[0]).toMatchObject({ status: "approved", note: "a note is harmless" });
		expect(fs.readFileSync(path.join(workspace, "note.txt"), "utf8")).toBe("approved");
	}, 60_000);

	it("shows a new audit entry live, queries by target, and verifies the chain", async () => {
		const page = await c.open({ hash: "#/audit" });
		await live(page);
		const stream = page.getByRole("region", { name: "Live audit stream" });
		// Until the page's subscription has reached the node, an entry may pass unseen: act until one shows.
		await eventually("a new entry in the live stream", async () => {
			expect((await task("helper", { task: { type: "echo", n: 2 } })).status).toBe(200);
			return (await stream.getByRole("row", { name: /agents\.submitTask.*helper/ }).count()) > 0;
		}, 15_000, 500);

		await page.getByLabel("Target").fill("worker");
		await page.getByRole("button", { name: "Search" }).click();
		const results = page.getByRole("table", { name: "Audit entries, newest first" }).locator("tbody tr");
		await eventually("entries about worker", async () => (await results.count()) > 0 && !/No entries/.test((await results.first().textContent()) ?? ""));
		const targets = await results.locator('td[data-label="Target"]').allTextContents();
		expect(targets.length).toBeGreaterThan(0);
		expect(new Set(targets)).toEqual(new Set(["worker"]));

		await page.getByRole("button", { name: "Verify chain" }).click();
		const verdict = page.locator("[data-verify]");
		await verdict.waitFor();
		expect(await verdict.getAttribute("data-verify")).toBe("ok");
		expect(await verdict.textContent()).toMatch(/Chain ok: \d+ entries checked/);
		await c.screenshot(page, "audit");
	});

	it("marks a policy's syntax error at its line and column, and dry-runs a valid one", async () => {
		const page = await c.open({ hash: "#/governance/policies" });
		const editor = page.getByLabel("Rule", { exact: true });
		await editor.fill('when forum.posted\n  where tool = "x" count > two within 1m\nthen warn');
		const error = page.locator(".code-error");
		await error.waitFor();
		expect([await error.getAttribute("data-line"), await error.getAttribute("data-column")]).toEqual(["2", "28"]);
		expect(await error.textContent()).toContain("expected a whole number");
		expect(await page.locator(".gutter-error").textContent()).toBe("2");
		await c.screenshot(page, "governance-policy-error");

		// An agent's own audited call (a memory it stores), for the dry run to find.
		expect((await task("helper", { task: { type: "memory", op: "store", arg: { content: "dry-run fodder" } } })).status).toBe(200);
		const source = "when any then warn";
		await editor.fill(source);
		await error.waitFor({ state: "detached" });
		await page.getByText("The rule parses.").waitFor();
		await page.getByRole("button", { name: "Dry run" }).click();
		const result = page.getByRole("region", { name: "Dry run result" });
		await result.waitFor();
		const expected = await c.api<{ firings: unknown[] }>("POST", "/api/v1/policies/dry-run", { source, since: new Date(Date.now() - 86_400_000).toISOString() });
		expect(expected.body.firings.length).toBeGreaterThan(0);
		expect(await result.getByRole("heading").textContent()).toMatch(new RegExp(`^Dry run: ${expected.body.firings.length} firings? over`));
		await c.screenshot(page, "governance");
	});

	it("locks every agent down behind a confirm, shows the banner on every page (pushed to other tabs), refuses tasks, then lifts it", async () => {
		const other = await c.open({ hash: "#/tasks" });
		await live(other);
		const page = await c.open({ hash: "#/governance/lockdown" });
		await page.getByRole("button", { name: "Lock down…" }).click();
		const dialog = page.getByRole("dialog");
		await dialog.getByLabel("Reason").fill("incident 7: leaked key");
		await dialog.getByRole("button", { name: "Lock down" }).click();

		const banner = page.locator('[data-banner="lockdown"]');
		await banner.waitFor();
		expect(await banner.textContent()).toMatch(/Incident lockdown.*2 agents quarantined.*incident 7: leaked key/);
		// Another tab gets it pushed over the WebSocket, on whatever page it shows.
		await other.locator('[data-banner="lockdown"]').waitFor();
		await page.getByRole("link", { name: "Audit" }).click();
		await page.getByRole("heading", { name: "Audit" }).waitFor();
		expect(await banner.isVisible()).toBe(true);
		const refused = await task("helper", { task: { type: "echo" } });
		expect(refused).toMatchObject({ status: 423, body: { error: { type: "AGENT_QUARANTINED" } } });

		await page.evaluate('location.hash = "#/governance/lockdown"');
		await page.getByRole("heading", { name: "A lockdown is in force" }).waitFor();
		await c.screenshot(page, "governance-lockdown");
		await page.getByRole("button", { name: "Lift the lockdown" }).click();
		await page.getByRole("dialog").getByLabel("Reason").fill("key rotated");
		await page.getByRole("dialog").getByRole("button", { name: "Lift" }).click();
		await banner.waitFor({ state: "detached" });
		await other.locator('[data-banner="lockdown"]').waitFor({ state: "detached" });
		await eventually("helper to run again", async () => (await state("helper")) === "running", 20_000);
		expect((await task("helper", { task: { type: "echo" } })).status).toBe(200);
	}, 60_000);

	it("shows a case's evidence and reason as text, resolves it into a sanction, and lists the sanction", async () => {
		const hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
		const opened = await c.api<{ id: string }>("POST", "/api/v1/cases", { subjectId: "helper", reason: `spam ${hostile}`, evidence: [{ post: hostile }] });
		expect(opened.status).toBe(201);
		const page = await c.open({ hash: "#/governance/cases" });
		const seen = watchInjection(page);
		const row = page.getByRole("row", { name: /spam/ });
		await row.waitFor();
		expect(await row.textContent()).toContain(hostile);
		await row.getByRole("button", { name: "1 item" }).click();
		const evidence = page.getByRole("region", { name: "Evidence" }).locator("pre");
		await eventually("the evidence, as text", async () => ((await evidence.textContent()) ?? "").includes('"post": "<img src=x onerror=\\"alert(1)\\"><script>alert(2)</script>"'));
		await row.getByRole("button", { name: "Resolve" }).click();
		const dialog = page.getByRole("dialog");
		await dialog.getByLabel("Decision").selectOption("warn");
		await dialog.getByLabel("Resolution").fill("a first warning");
		await dialog.getByRole("button", { name: "Resolve" }).click();
		await page.getByRole("row", { name: /spam/ }).getByText("resolved: warn").waitFor();
		await c.screenshot(page, "governance-cases");
		await page.getByRole("link", { name: "Sanctions" }).click();
		await page.getByRole("row", { name: /helper.*warn.*a first warning/ }).waitFor();
		expect(seen).toEqual({ dialogs: [], requests: [] });
	});

	it("shows a read-only token the lockdown and approval controls disabled with the scope they need", async () => {
		const token = await c.createToken("reader", ["agents:read", "governance:read", "tasks"]);
		const page = await c.open({ token, hash: "#/governance/lockdown" });
		const start = page.getByRole("button", { name: "Lock down…" });
		await start.waitFor();
		expect(await start.isDisabled()).toBe(true);
		expect(await start.getAttribute("title")).toBe("needs scope governance");
		await page.evaluate('location.hash = "#/approvals"');
		await page.getByText("Seeing approvals needs scope approvals.").waitFor();
	});
});
