import type { Page } from "playwright-core";
import { FIXTURE_AGENTS } from "../support/agents";
import { startConsole, type ConsoleHarness } from "../support/console";
import { eventually } from "../support/test-node";

const SUSPENDED_ID = "11111111-2222-4333-8444-555555555555";

/** A suspended run as GET /tasks/:id answers it (runs wait for people once approvals suspend them). */
const suspendedTask = {
	id: SUSPENDED_ID,
	agentId: "runner",
	type: "pay",
	input: { type: "pay" },
	caller: { kind: "user", id: "admin" },
	status: "suspended",
	result: null,
	error: null,
	createdAt: "2026-12-07T07:00:00.000Z",
	finishedAt: null,
	durationMs: null,
	contextId: null,
	durable: true,
	attempts: 1,
	waitingFor: { kind: "approval", approvalId: "appr-42", action: "payments.send", reason: "over the limit", step: 2, since: "2026-12-07T07:00:01.000Z", until: "2026-12-08T07:00:01.000Z" },
	failedStep: null,
	steps: [{ seq: 1, action: "state.get", label: "limit", ok: true, result: 100, error: null, startedAt: "2026-12-07T07:00:00.500Z", durationMs: 3, costUsd: 0, tokens: 0 }],
	costUsd: 0,
	tokens: 0
};

/** The Tasks page and a task's run in Chromium: live updates, steps, cancel, resume, and a suspended run. */
describe("web console: tasks and their durable runs in Chromium", () => {
	let c: ConsoleHarness;
	const submit = async (body: Record<string, unknown>) => (await c.api<{ taskId: string }>("POST", "/api/v1/agents/runner/tasks", { task: body, async: true })).body.taskId;
	const status = async (id: string) => (await c.api<{ status: string }>("GET", `/api/v1/tasks/${id}`)).body.status;
	const agentState = async () => (await c.api<{ state: string }>("GET", "/api/v1/agents/runner")).body.state;
	const badge = (page: Page) => page.locator("dl.facts .state");
	const live = (page: Page) => page.locator(".live-open").waitFor();

	beforeAll(async () => {
		// One crash of a step parks a durable run as failed at once.
		c = await startConsole({ AGENT_CODE_PATHS: FIXTURE_AGENTS, TASK_STEP_ATTEMPTS: "1", TASK_RETRY_DELAY_MS: "10" });
		await c.seedAgents([{ id: "runner", name: "Runner", entryPoint: `${FIXTURE_AGENTS}/echo.js` }]);
		await eventually("the runner to run", async () => (await agentState()) === "running", 30_000);
	}, 90_000);

	afterAll(() => c?.close());

	it("shows a failed durable run's failed step and steps, and resumes it to success from the console", async () => {
		const until = Date.now() + 8000;
		const id = await submit({ type: "crash-until", until });
		await eventually("the run to be parked as failed", async () => (await status(id)) === "failed", 30_000);
		const page = await c.open({ hash: `#/tasks/${id}` });
		await live(page);
		await expect(badge(page).textContent()).resolves.toBe("failed");
		const facts = page.locator("dl.facts");
		await expect(facts.textContent()).resolves.toMatch(/Attempts1.*Failed stepstep 2, 1 time.*TASK_STEP_FAILED/);
		const steps = page.locator("table.steps tbody tr:not(.step-outcome)");
		expect(await steps.count()).toBe(1);
		await expect(steps.first().textContent()).resolves.toMatch(/^1state\.set.*yes/);
		await page.getByRole("button", { name: "Show the result of step 1" }).click();
		await page.locator("table.steps tr.step-outcome pre").waitFor();
		expect(await page.getByRole("button", { name: "Cancel task" }).isDisabled()).toBe(true);

		await eventually("the runner to run again", async () => (await agentState()) === "running", 30_000);
		await page.waitForTimeout(Math.max(until - Date.now() + 50, 0));
		await page.getByRole("button", { name: "Resume" }).click();
		await page.getByRole("dialog").getByRole("button", { name: "Resume" }).click();
		await eventually("the resumed run to show as succeeded", async () => (await badge(page).textContent()) === "succeeded", 20_000);
		expect(await steps.count()).toBe(2);
		await expect(steps.nth(1).textContent()).resolves.toMatch(/^2state\.get.*yes/);
		expect(await page.getByRole("button", { name: "Resume" }).count()).toBe(0);
		await c.screenshot(page, "task-resumed");
	}, 120_000);

	it("cancels a running task after a confirmation, and another open detail and the list follow it live", async () => {
		const id = await submit({ type: "sleep", ms: 8000 });
		await eventually("the task to run", async () => (await status(id)) === "running", 30_000);
		const [page, watcher, list] = [await c.open({ hash: `#/tasks/${id}` }), await c.open({ hash: `#/tasks/${id}` }), await c.open({ hash: "#/tasks" })];
		await Promise.all([live(page), live(watcher), live(list)]);
		await eventually("both details to show the task running", async () => (await badge(page).textContent()) === "running" && (await badge(watcher).textContent()) === "running");
		const row = list.getByRole("row", { name: /sleep/ });
		await expect(row.textContent()).resolves.toContain("running");

		await page.getByRole("button", { name: "Cancel task" }).click();
		const dialog = page.getByRole("dialog", { name: `Cancel task ${id}?` });
		await expect(dialog.textContent()).resolves.toContain("Its running step is abandoned");
		await dialog.getByRole("button", { name: "Cancel task" }).click();
		await eventually("the detail to show it cancelled", async () => (await badge(page).textContent()) === "cancelled", 5000);
		// Nobody reloads these two: the tasks.changed event does.
		await eventually("the other detail to follow", async () => (await badge(watcher).textContent()) === "cancelled", 5000);
		await eventually("the list to follow", async () => /cancelled/.test((await row.textContent()) ?? ""), 5000);
		expect(await status(id)).toBe("cancelled");
		expect(await watcher.getByRole("button", { name: "Cancel task" }).isDisabled()).toBe(true);
	}, 90_000);

	it("shows what a suspended run waits for, links to Approvals, filters by suspended, and disables Cancel without scope tasks", async () => {
		const reader = await c.createToken("task-reader", ["agents:read", "tasks"]);
		const page = await c.open({ token: reader, hash: "#/tasks" });
		await page.route(/\/api\/v1\/tasks\?.*status=suspended/, route => route.fulfill({ json: { items: [suspendedTask], total: 1, limit: 25, offset: 0 } }));
		await page.getByLabel("Status").selectOption("suspended");
		const row = page.getByRole("row", { name: /pay/ });
		await expect(row.locator(".state.status-suspended").textContent()).resolves.toBe("suspended");

		const noScope = await c.createToken("agents-only", ["agents:read"]);
		const other = await c.open({ token: noScope, hash: "#/overview" });
		await other.route(`**/api/v1/tasks/${SUSPENDED_ID}`, route => route.fulfill({ json: suspendedTask }));
		await other.evaluate(`location.hash = "#/tasks/${SUSPENDED_ID}"`);
		await expect(badge(other).textContent()).resolves.toBe("suspended");
		await expect(other.locator("dl.facts").textContent()).resolves.toContain("Durationwaiting for a person");
		const wait = other.locator("dd.run-wait");
		await expect(wait.textContent()).resolves.toMatch(/approval appr-42 of payments\.send at step 2: over the limit/);
		const cancel = other.getByRole("button", { name: "Cancel task" });
		expect(await cancel.isDisabled()).toBe(true);
		expect(await cancel.getAttribute("title")).toBe("needs scope tasks");
		expect(await other.getByRole("button", { name: "Resume" }).count()).toBe(0);
		await c.screenshot(other, "task-suspended");
		await wait.getByRole("link", { name: "approval appr-42" }).click();
		await other.getByRole("heading", { name: "Approvals" }).waitFor();
		expect(await other.evaluate("location.hash")).toBe("#/approvals?status=pending");
	}, 60_000);
});
