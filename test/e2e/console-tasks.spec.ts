import type { Page } from "playwright-core";
import { FIXTURE_AGENTS, echoManifest } from "../support/agents";
import { declarativeAgent, startConsole, watchInjection, type ConsoleHarness } from "../support/console";
import { eventually } from "../support/test-node";

/** Markup in a task's input: it must show as text, run nothing and load nothing. */
const INJECTED = "<img src=x onerror=alert(1)>";

/** The Tasks page and a task's run in Chromium: live updates, steps, cancel, resume, a suspended run, child runs; an agent's network isolation. */
describe("web console: tasks and their durable runs in Chromium", () => {
	let c: ConsoleHarness;
	const submit = async (body: Record<string, unknown>) => (await c.api<{ taskId: string }>("POST", "/api/v1/agents/runner/tasks", { task: body, async: true })).body.taskId;
	const status = async (id: string) => (await c.api<{ status: string }>("GET", `/api/v1/tasks/${id}`)).body.status;
	const agentState = async () => (await c.api<{ state: string }>("GET", "/api/v1/agents/runner")).body.state;
	const badge = (page: Page) => page.locator("dl.facts .state");
	const live = (page: Page) => page.locator(".live-open").waitFor();

	beforeAll(async () => {
		// One crash of a step parks a durable run as failed at once.
		c = await startConsole({ AGENT_CODE_PATHS: FIXTURE_AGENTS, AGENT_INPROCESS_PATHS: FIXTURE_AGENTS, TASK_STEP_ATTEMPTS: "1", TASK_RETRY_DELAY_MS: "10" });
		await c.seedAgents([
			{ id: "runner", name: "Runner", entryPoint: `${FIXTURE_AGENTS}/echo.js` },
			// Its `delegate` task asks another agent: the asked task is a child run of its run.
			{ id: "boss", name: "Boss", entryPoint: `${FIXTURE_AGENTS}/durable.js`, trustLevel: "autonomous", permissions: ["a2a.send"] },
			// Code run inside the node has the node's network.
			echoManifest("inside", { runtime: "inprocess" }),
			declarativeAgent("plain")
		]);
		await eventually("the runner to run", async () => (await agentState()) === "running", 30_000);
		await eventually("the boss to run", async () => (await c.api<{ state: string }>("GET", "/api/v1/agents/boss")).body.state === "running", 30_000);
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

	it("shows what a suspended run waits for with a link to Approvals, filters by suspended, and cancels it, closing its approval", async () => {
		// A run that asks a person (ctx.waitFor) is suspended: nothing of it is held in memory.
		// A token without admin sees the tasks it sent: this one sends it.
		const reader = await c.createToken("task-reader", ["agents:read", "tasks"]);
		const sent = await c.node.request("/api/v1/agents/runner/tasks", {
			method: "POST",
			headers: { authorization: `Bearer ${reader}` },
			body: JSON.stringify({ task: { type: "waitFor", reason: "over the limit" }, async: true })
		});
		const id = ((await sent.json()) as { taskId: string }).taskId;
		await eventually("the run to suspend", async () => (await status(id)) === "suspended", 30_000);
		const { waitingFor } = (await c.api<{ waitingFor: { approvalId: string } }>("GET", `/api/v1/tasks/${id}`)).body;

		const page = await c.open({ token: reader, hash: "#/tasks" });
		await page.getByLabel("Status").selectOption("suspended");
		const row = page.getByRole("row", { name: /waitFor/ });
		await expect(row.locator(".state.status-suspended").textContent()).resolves.toBe("suspended");

		const other = await c.open({ token: reader, hash: `#/tasks/${id}` });
		await live(other);
		await expect(badge(other).textContent()).resolves.toBe("suspended");
		await expect(other.locator("dl.facts").textContent()).resolves.toContain("Durationwaiting for a person");
		const wait = other.locator("dd.run-wait");
		await expect(wait.textContent()).resolves.toMatch(new RegExp(`approval ${waitingFor.approvalId} of task\\.waitFor at step 1: over the limit`));
		expect(await other.getByRole("button", { name: "Resume" }).count()).toBe(0);
		await c.screenshot(other, "task-suspended");
		const linked = await c.open({ token: reader, hash: `#/tasks/${id}` });
		await linked.locator("dd.run-wait").getByRole("link", { name: `approval ${waitingFor.approvalId}` }).click();
		await linked.getByRole("heading", { name: "Approvals" }).waitFor();
		expect(await linked.evaluate("location.hash")).toBe("#/approvals?status=pending");

		await other.getByRole("button", { name: "Cancel task" }).click();
		await other.getByRole("dialog").getByRole("button", { name: "Cancel task" }).click();
		await eventually("the detail to show it cancelled", async () => (await badge(other).textContent()) === "cancelled", 5000);
		const approvals = (await c.api<{ items: Array<{ id: string; status: string }> }>("GET", "/api/v1/approvals")).body.items;
		expect(approvals.find(a => a.id === waitingFor.approvalId)?.status).toBe("expired");

	}, 60_000);

	it("links a run to the child run it asked another agent for and back, follows the child live, and marks it in the list", async () => {
		const accepted = await c.api<{ taskId: string }>("POST", "/api/v1/agents/boss/tasks", { task: { type: "delegate", to: "runner", task: { type: "sleep", ms: 4000, note: INJECTED } }, async: true });
		const parentId = accepted.body.taskId;
		const childOf = async () => (await c.api<{ children: Array<{ id: string }> }>("GET", `/api/v1/tasks/${parentId}`)).body.children[0]?.id;
		await eventually("the child run to start", async () => (await childOf()) !== undefined, 20_000);
		const childId = (await childOf())!;

		const page = await c.open({ hash: `#/tasks/${parentId}` });
		const seen = watchInjection(page);
		await live(page);
		const children = page.getByRole("table", { name: "Runs of other agents this run asked, oldest first" }).locator("tbody tr");
		await children.first().waitFor();
		expect(await children.count()).toBe(1);
		await expect(children.first().textContent()).resolves.toBe(`${childId}runnerrunning`);
		expect(await page.locator("dd.run-parent").count()).toBe(0);
		// Nobody reloads the page: the child's tasks.changed does.
		await eventually("the child to show as succeeded", async () => (await children.first().locator(".state").textContent()) === "succeeded", 20_000);
		await c.screenshot(page, "task-child-runs");

		await children.first().getByRole("link", { name: childId }).click();
		const parentFact = page.locator("dd.run-parent");
		await parentFact.waitFor();
		expect(await page.evaluate("location.hash")).toBe(`#/tasks/${childId}`);
		await expect(parentFact.textContent()).resolves.toBe(`task ${parentId}`);
		await expect(badge(page).textContent()).resolves.toBe("succeeded");
		await expect(page.locator("pre.log").first().textContent()).resolves.toContain(INJECTED);
		await page.locator("p.empty", { hasText: "No child runs" }).waitFor();
		await parentFact.getByRole("link", { name: parentId }).click();
		await page.getByRole("heading", { name: `Task ${parentId}` }).waitFor();
		await children.first().waitFor();

		const list = await c.open({ hash: "#/tasks?agentId=runner" });
		const childRow = list.getByRole("row").filter({ has: list.locator(`a[href="#/tasks/${childId}"]`) });
		await expect(childRow.locator(".child-mark").getAttribute("title")).resolves.toBe(`A child run: task ${parentId} asked for it`);
		expect(await list.locator(".child-mark").count()).toBe(1);
		expect(await page.locator("main img").count()).toBe(0);
		expect(seen).toEqual({ dialogs: [], requests: [] });
	}, 60_000);

	it("says on an agent's page whether its code has a network of its own, why on hover, and warns when it has", async () => {
		const network = async (agentId: string) => {
			const page = await c.open({ hash: `#/agents/${agentId}` });
			const fact = page.getByTestId("network").locator("span");
			await fact.waitFor();
			return { text: await fact.textContent(), title: await fact.getAttribute("title"), warns: (await fact.getAttribute("class")) === "network-open", page };
		};
		const inside = await network("inside");
		expect(inside).toMatchObject({ text: "not isolated", warns: true });
		expect(inside.title).toContain("could open network connections by itself");
		await c.screenshot(inside.page, "agent-network-open");

		// A process worker: isolated where the node can make a network namespace (auto).
		const { networkIsolated } = (await c.api<{ networkIsolated: boolean | null }>("GET", "/api/v1/agents/runner")).body;
		expect(networkIsolated).not.toBeNull();
		const runner = await network("runner");
		expect(runner).toMatchObject(networkIsolated ? { text: "isolated", warns: false } : { text: "not isolated", warns: true });
		if (networkIsolated) expect(runner.title).toContain("no network of its own");

		const plain = await network("plain");
		expect(plain).toMatchObject({ text: "no worker", warns: false });
		expect(plain.title).toContain("declarative agent");
	}, 60_000);
});
