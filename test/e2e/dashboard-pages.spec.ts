import fs from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { FIXTURE_AGENTS } from "../support/agents";
import { declarativeAgent, startConsole, watchInjection, type ConsoleHarness } from "../support/console";
import { testTempDir } from "../support/test-tmp";

/** Markup a forum post or a memory may carry: it must show as text, run nothing and load nothing. */
const INJECTION = `Hello <img src=x onerror=alert(1)> and <script>alert(1)</script> there`;

/**
 * The Chat, Memory, Society, Cluster and Models pages of the console in Chromium, against a
 * node from dist seeded through the REST API; the offline model answers the chat.
 */
describe("console pages: chat, memory, society, cluster, models", () => {
	const workspace = testTempDir("console-pages-");
	let c: ConsoleHarness;
	let forumId: string;
	let threadId: string;
	let scheduleId: string;

	const seeded = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
		const res = await c.api<T>(method, route, body);
		if (res.status >= 300) throw new Error(`${method} ${route} answered ${res.status}: ${JSON.stringify(res.body)}`);
		return res.body;
	};

	beforeAll(async () => {
		fs.writeFileSync(path.join(workspace, "notes.txt"), "The launch is on the 14th of March.");
		c = await startConsole({ ALLOWED_PATHS: workspace, AGENT_CODE_PATHS: FIXTURE_AGENTS });
		await c.seedAgents([
			declarativeAgent("helper", { tools: ["builtin:file_read"], permissions: ["fs.read"], trustLevel: "autonomous" }),
			{ id: "parrot", name: "Parrot", entryPoint: path.join(FIXTURE_AGENTS, "parrot.js") }
		]);
		await seeded("POST", "/api/v1/agents/helper/memories", { content: "The launch is on the 14th of March", type: "semantic", importance: 0.9 });
		await seeded("POST", "/api/v1/agents/helper/memories", { content: INJECTION, type: "episodic" });
		forumId = (await seeded<{ id: string }>("POST", "/api/v1/forums", { name: "town-square", title: "Town square", description: "Where agents meet" })).id;
		threadId = (await seeded<{ id: string }>("POST", `/api/v1/forums/${forumId}/posts`, { title: "Markup test", body: INJECTION })).id;
		// The reply is someone else's, so the admin may vote on it.
		const neighbour = await c.createToken("neighbour", ["society:read", "society:write"]);
		const reply = await fetch(`${c.node.url}/api/v1/posts/${threadId}/replies`, {
			method: "POST",
			headers: { authorization: `Bearer ${neighbour}`, "content-type": "application/json" },
			body: JSON.stringify({ body: "A plain reply" })
		});
		if (reply.status !== 201) throw new Error(`the reply answered ${reply.status}`);
		await seeded("POST", "/api/v1/jobs", { title: "Translate a page", description: "Basque to English", skills: ["translate"], budgetUsd: 0 });
		await seeded("POST", "/api/v1/reputation/helper/adjustments", { delta: 3, reason: "helped in the square" });
		scheduleId = (await seeded<{ id: string }>("POST", "/api/v1/schedules", { name: "nightly-notes", cron: "0 3 * * *", target: { agent: "helper", task: { type: "chat", message: "Hello" } } })).id;
	}, 120_000);
	afterAll(async () => {
		await c?.close();
	});

	/** Text of the last answer each time it changes, from the first render on (a MutationObserver in the page). */
	const recordAnswerTexts = (page: Page) =>
		page.evaluate(`(() => {
			const seen = (window.answerTexts = []);
			new MutationObserver(() => {
				const turns = document.querySelectorAll(".turn-assistant .turn-text");
				const text = turns[turns.length - 1]?.textContent ?? "";
				if (text && seen[seen.length - 1] !== text) seen.push(text);
			}).observe(document.body, { subtree: true, childList: true, characterData: true });
		})()`);

	it("chats with an agent: the answer streams in, the tool call and its result appear, with the answer's cost; the session is listed and resumes", async () => {
		const page = await c.open({ hash: "#/chat/helper/launch-notes" });
		await page.getByLabel("Message").waitFor();
		await recordAnswerTexts(page);
		await page.getByLabel("Message").fill("Read the file notes.txt");
		await page.getByRole("button", { name: "Send" }).click();

		const tool = page.locator('.tool-step[data-tool="builtin:file_read"]');
		await tool.waitFor();
		await tool.locator(".tool-result.ok").waitFor();
		expect(await tool.textContent()).toContain("notes.txt");
		const cost = page.locator(".turn-assistant .turn-cost");
		await cost.waitFor();
		expect(await cost.textContent()).toMatch(/^\d+ tokens · \$\d+\.\d+ · \S+/);
		const answer = (await page.locator(".turn-assistant .turn-text").last().textContent()) ?? "";
		expect(answer).toContain("14th of March");
		// Streamed: the answer was seen growing, several partial texts before the whole one.
		const texts = await page.evaluate<string[]>("window.answerTexts");
		expect(texts.length).toBeGreaterThan(2);
		expect(texts.slice(0, -1).every(t => answer.startsWith(t.replace(/…$/, "")) || t === "…")).toBe(true);

		// The session is listed; opened afresh, it shows the conversation so far.
		await page.getByRole("link", { name: "launch-notes" }).waitFor();
		fs.copyFileSync(await c.screenshot(page, "chat"), path.resolve(__dirname, "../../docs/images/console-chat.png"));
		const again = await c.open({ hash: "#/chat/helper/launch-notes" });
		await again.getByText("Read the file notes.txt").waitFor();
		expect(await again.locator(".turn-assistant .turn-text").last().textContent()).toContain("14th of March");
	});

	it("chats with a code agent in a new session: it opens empty, its answer is shown, with no cost line (it called no model)", async () => {
		const page = await c.open();
		// A session nobody has spoken in yet answers 404 SESSION_NOT_FOUND: an empty chat, not an error.
		const history = page.waitForResponse(r => new URL(r.url()).pathname === "/api/v1/agents/parrot/sessions/first");
		await page.evaluate(`location.hash = "#/chat/parrot/first"`);
		expect((await history).status()).toBe(404);
		await page.getByText("No messages in this session yet.").waitFor();
		expect(await page.locator(".chat-main .error-banner").count()).toBe(0);
		await page.getByLabel("Message").fill("pieces of eight");
		await page.getByRole("button", { name: "Send" }).click();
		const answer = page.locator(".turn-assistant .turn-text").last();
		await page.getByText("Polly heard: pieces of eight").waitFor();
		expect(await answer.textContent()).toBe("Polly heard: pieces of eight");
		expect(await page.locator(".turn-assistant .error-banner").count()).toBe(0);
		expect(await page.locator(".turn-assistant .turn-cost").count()).toBe(0);
	});

	it("lists everyone's sessions with an agent for an admin, with whose each is, and for nobody else", async () => {
		const visitor = await c.createToken("visitor", ["agents:read", "tasks", "memory:read"]);
		const as = (token: string, route: string, body?: unknown) =>
			fetch(`${c.node.url}${route}`, { method: body ? "POST" : "GET", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
		expect((await as(visitor, "/api/v1/agents/helper/chat", { message: "Hello from a visitor", sessionId: "visitor-talk" })).status).toBe(200);
		const visitorId = ((await (await as(visitor, "/api/v1/whoami")).json()) as { id: string }).id;
		const adminId = (await seeded<{ id: string }>("GET", "/api/v1/whoami")).id;

		const page = await c.open({ hash: "#/chat/helper/launch-notes" });
		const own = page.getByRole("complementary", { name: "Sessions" }).locator("ul.session-list").first();
		await own.getByRole("link", { name: "launch-notes" }).waitFor();
		expect(await own.getByText("visitor-talk").count()).toBe(0);
		await page.getByText("Everyone's sessions (admin)").click();
		const everyone = page.getByRole("list", { name: "Everyone's sessions with helper" });
		const entry = (session: string) => everyone.locator("li").filter({ has: page.locator("code", { hasText: session }) });
		await entry("visitor-talk").waitFor();
		await expect(entry("visitor-talk").locator(".hint").textContent()).resolves.toMatch(new RegExp(`^${visitorId} · 2 messages · `));
		await expect(entry("launch-notes").locator(".hint").textContent()).resolves.toMatch(new RegExp(`^${adminId} · \\d+ messages · `));
		await c.screenshot(page, "chat-all-sessions");

		const theirs = await c.open({ token: visitor, hash: "#/chat/helper/visitor-talk" });
		await theirs.getByRole("link", { name: "visitor-talk" }).waitFor();
		await theirs.getByText("Hello from a visitor").waitFor();
		expect(await theirs.getByText("Everyone's sessions (admin)").count()).toBe(0);
		expect(await theirs.getByRole("link", { name: "launch-notes" }).count()).toBe(0);
	});

	it("explores an agent's memories: the list by kind, a search with why each hit ranks, a memory's view; markup in a memory stays text", async () => {
		const page = await c.open({ hash: "#/memory/helper" });
		const injected = watchInjection(page);
		const listed = (text: string) => page.getByRole("table", { name: "Memories of helper" }).locator("td > span.text", { hasText: text });
		await listed("The launch is on the 14th of March").waitFor();
		await listed(INJECTION).waitFor();
		// By kind: the episodic one only.
		await page.getByRole("region", { name: "Memories by kind and scope" }).getByLabel("Kind").selectOption("episodic");
		await listed("The launch is on the 14th of March").waitFor({ state: "detached" });
		expect(await listed(INJECTION).textContent()).toBe(INJECTION);

		await page.getByLabel("Query").fill("when is the launch");
		await page.getByRole("button", { name: "Search" }).click();
		const hit = page.locator(".hit").first();
		await hit.waitFor();
		expect(await hit.locator(".text").textContent()).toBe("The launch is on the 14th of March");
		expect(await hit.locator(".why").textContent()).toMatch(/vector.*text.*recency.*importance.*words.*launch/s);
		await hit.getByRole("link", { name: "View" }).click();
		await page.locator(".memory-view .memory-content").waitFor();
		expect(await page.locator(".memory-view").textContent()).toContain("semantic");
		await c.screenshot(page, "memory");

		expect(await page.locator("main img").count()).toBe(0);
		expect(await page.locator("main script").count()).toBe(0);
		expect(injected).toEqual({ dialogs: [], requests: [] });

		// The export downloads everything it remembers as JSON lines.
		const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download export" }).click()]);
		expect(download.suggestedFilename()).toBe("memories-helper.jsonl");
		const lines = fs.readFileSync(await download.path(), "utf8").trim().split("\n").map(l => JSON.parse(l) as { content: string });
		expect(lines.map(l => l.content).sort()).toEqual([INJECTION, "The launch is on the 14th of March"].sort());

		// Forgetting asks first, then the memory leaves the list.
		await listed(INJECTION).locator("xpath=ancestor::tr").getByRole("button", { name: "Forget" }).click();
		const confirm = page.getByRole("dialog", { name: "Forget this memory?" });
		await confirm.getByRole("button", { name: "Forget" }).click();
		await listed(INJECTION).waitFor({ state: "detached" });
		expect((await c.api<{ total: number }>("GET", "/api/v1/agents/helper/memories")).body.total).toBe(1);
	});

	it("shows the forums with a thread, its replies and votes; markup in a post stays text", async () => {
		const page = await c.open({ hash: `#/society/forums/${forumId}` });
		const injected = watchInjection(page);
		await page.getByRole("link", { name: "Markup test" }).click();
		await page.locator(".post-body").first().waitFor();
		expect(await page.locator(".post-body").first().textContent()).toBe(INJECTION);
		await page.getByText("A plain reply").waitFor();
		// One's own thread takes no vote; a vote on someone else's reply moves its score.
		const own = page.locator(".post").filter({ hasText: "Markup test" });
		expect(await own.getByRole("button", { name: "Vote up" }).getAttribute("title")).toBe("No one votes on their own post");
		const reply = page.locator(".post").filter({ hasText: "A plain reply" });
		await reply.getByRole("button", { name: "Vote up" }).click();
		await reply.getByLabel("Score").getByText("1", { exact: true }).waitFor();
		expect(await page.locator("main img").count()).toBe(0);
		expect(await page.locator("main script").count()).toBe(0);
		await page.waitForTimeout(300);
		expect(injected).toEqual({ dialogs: [], requests: [] });
		await c.screenshot(page, "society");
	});

	it("shows the jobs board with each job's state and allowed moves, the reputation leaderboard with history, and the directory", async () => {
		const page = await c.open({ hash: "#/society/jobs" });
		const row = page.getByRole("row").filter({ hasText: "Translate a page" });
		await row.waitFor();
		// Its poster (the admin) sees the one-click move as a button; award needs an application, so it is named only.
		expect(await row.textContent()).toMatch(/open.*award \(poster\).*cancel/s);
		await c.screenshot(page, "society-jobs");
		await row.getByRole("button", { name: "Cancel job" }).click();
		await page.getByRole("dialog", { name: "Cancel job “Translate a page”?" }).getByRole("button", { name: "Cancel the job" }).click();
		await row.getByText("none: finished").waitFor();
		expect(await row.locator(".state").textContent()).toBe("cancelled");

		await page.getByRole("link", { name: "Reputation" }).click();
		await page.getByRole("link", { name: "helper" }).click();
		await page.getByText("helped in the square").waitFor();
		expect(await page.getByRole("heading", { name: /helper: 3/ }).count()).toBe(1);

		await page.getByRole("link", { name: "Directory" }).click();
		await page.getByRole("table", { name: "Directory" }).getByText("Agent helper (helper)").waitFor();
	});

	it("shows the cluster's nodes with the leader and its term, and runs a schedule now, with its run history", async () => {
		const page = await c.open({ hash: "#/cluster" });
		await page.locator(".badge-leader").waitFor();
		const node = page.getByRole("table", { name: "Nodes" }).getByRole("row").nth(1);
		expect(await node.textContent()).toMatch(/up.*leader.*MB rss.*running \/ \d+ placed/s);
		expect(await page.locator(".cluster-facts").textContent()).toMatch(/Term\d+/);
		const schedule = page.getByRole("row").filter({ hasText: "nightly-notes" });
		await schedule.getByRole("button", { name: "Pause" }).click();
		await schedule.getByText("paused", { exact: true }).waitFor();
		await schedule.getByRole("button", { name: "Resume" }).click();
		await schedule.getByText("active", { exact: true }).waitFor();
		await schedule.getByRole("button", { name: "Trigger now" }).click();
		await schedule.getByRole("link", { name: "nightly-notes" }).click();
		await page.waitForURL(new RegExp(`#/cluster/${scheduleId}$`));
		const run = page.getByRole("table", { name: "Recent runs, newest first" }).getByRole("row").nth(1);
		await run.getByText("manual").waitFor();
		await run.getByText("succeeded").waitFor({ timeout: 30_000 });
		await c.screenshot(page, "cluster");
	});

	it("shows the model providers with their circuit state, and usage and cost by model and by agent over time", async () => {
		const page = await c.open({ hash: "#/models" });
		await page.locator('tr[data-provider="offline"] .circuit').getByText("closed").waitFor();
		await page.locator(".usage-by-model canvas").first().waitFor();
		await page.locator(".usage-by-agent canvas").first().waitFor();
		expect(await page.getByRole("table", { name: /Totals by agent/ }).textContent()).toContain("helper");
		expect(await page.getByRole("table", { name: /Totals by model/ }).textContent()).toContain("offline/");
		await c.screenshot(page, "models");
	});

	it("shows controls a read-only token may not use disabled, with the scope they need", async () => {
		const reader = await c.createToken("reader", ["agents:read", "memory:read", "society:read", "cluster:read", "schedules"]);
		const page = await c.open({ token: reader, hash: "#/chat/helper/launch-notes" });
		const send = page.getByRole("button", { name: "Send" });
		await send.waitFor();
		expect(await send.isDisabled()).toBe(true);
		expect(await send.getAttribute("title")).toBe("needs scope tasks");
		await page.evaluate(`location.hash = "#/memory/helper"`);
		const forget = page.getByRole("button", { name: "Forget" }).first();
		await forget.waitFor();
		expect(await forget.getAttribute("title")).toBe("needs scope memory:write");
		await page.evaluate(`location.hash = "#/models"`);
		await page.getByText("needs scope llm to see the models and their usage").waitFor();

		// A token that may chat but not list agents or read memories: it names the agent, and reads nothing it may not.
		const chatter = await c.createToken("chatter", ["tasks"]);
		const chat = await c.open({ token: chatter, hash: "#/chat" });
		await chat.getByLabel("Agent").fill("helper");
		await chat.getByRole("button", { name: "Open" }).click();
		await chat.getByText("needs scope memory:read to list sessions").waitFor();
		expect(await chat.getByRole("button", { name: "Send" }).getAttribute("title")).toBeNull();
		await chat.evaluate(`location.hash = "#/memory/helper"`);
		await chat.getByText("needs scope memory:read to explore memories").waitFor();
		await chat.evaluate(`location.hash = "#/society"`);
		await chat.getByText("needs scope society:read to see the society").waitFor();
	});
});
