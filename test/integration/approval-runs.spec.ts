import fs from "node:fs";
import path from "node:path";
import { ApprovalGate } from "../../lib/security/approval-gate";
import { ApprovalStore, type Approval } from "../../lib/security/approval-store";
import type { AuditRecord } from "../../lib/security/audit-log";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { FAST_AGENT_ENV, echoManifest, post, spawnAgent, task } from "../support/agents";
import { eventually, startTestNode, type TestNode } from "../support/test-node";
import { testTempDir } from "../support/test-tmp";

type Outcome = { ok: true; value: unknown } | { ok: false; type: string; code: number; data: Record<string, unknown> };
type Meta = Record<string, unknown>;

const SUPERVISED = { kind: "agent", id: "thinker", trustLevel: "supervised" };
const run = (taskId: string, maxSuspendMs = 60_000) => ({ run: { taskId, maxSuspendMs } });

describe("approvals of durable runs: suspended, not waited for", () => {
	let t: TestNode;
	let openai: OpenAIServer;
	const opened: string[] = [];
	const workspace = testTempDir("agentos-approval-runs-");

	const call = (action: string, params: unknown, meta: Meta = {}): Promise<Outcome> =>
		t.node.broker.call(action, params, { meta: { caller: SUPERVISED, ...meta } }).then(
			value => ({ ok: true, value }),
			(e: { type: string; code: number; data: Record<string, unknown> }) => ({ ok: false, type: e.type, code: e.code, data: e.data })
		);
	const approvals = async (status?: string) => (await t.json<{ items: Approval[] }>(`/api/v1/approvals${status ? `?status=${status}` : ""}`)).items;
	const approval = async (id: string) => (await approvals()).find(a => a.id === id)!;
	const pendingId = (o: Outcome) => {
		if (o.ok || o.type !== "APPROVAL_PENDING") throw new Error(`expected APPROVAL_PENDING, got ${JSON.stringify(o)}`);
		return o.data.approvalId as string;
	};
	/**
	 * Waits for a pending approval of `action` not seen before: by default one a call without
	 * meta.run opened; `agentId` names the agent whose task asked (in memory, or suspended).
	 */
	const nextPending = async (action: string, agentId?: string) => {
		let found: Approval | undefined;
		const fresh = (a: Approval) => a.action === action && (agentId ? a.agentId === agentId : a.taskId === null) && !opened.includes(a.id);
		await eventually(`a pending ${action} approval`, async () => !!(found = (await approvals("pending")).find(fresh)));
		opened.push(found!.id);
		return found!;
	};

	beforeAll(async () => {
		openai = await startOpenAIServer({ apiKey: "sk-test" });
		t = await startTestNode({ ...FAST_AGENT_ENV, OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: openai.url, LLM_RETRY_BASE_MS: "10", ALLOWED_PATHS: workspace, APPROVAL_TIMEOUT_MS: "20000" });
		await t.node.ready;
		let opens = 0;
		t.node.broker.createService({
			name: "vault",
			actions: {
				open: { approval: "supervised", handler: () => `opened ${++opens}` },
				peek: { approval: "supervised", handler: () => "peeked" }
			}
		});
		await spawnAgent(t, echoManifest("writer", { permissions: ["tools.execute", "fs.write"] }));
	});
	afterEach(() => openai.clearScript());
	afterAll(async () => {
		await t.stop();
		await openai.stop();
	});

	describe("an action that declares approval", () => {
		it("answers a durable run's call APPROVAL_PENDING at once, the approval naming the run and expiring with it, and runs nothing", async () => {
			const started = Date.now();
			const outcome = await call("vault.open", {}, run("task-a", 60_000));
			expect(Date.now() - started).toBeLessThan(5000);
			expect(outcome).toMatchObject({ ok: false, type: "APPROVAL_PENDING", code: 202, data: { action: "vault.open", reason: expect.stringContaining("thinker") } });
			const id = pendingId(outcome);
			const row = await approval(id);
			expect(row).toMatchObject({ status: "pending", action: "vault.open", agentId: "thinker", taskId: "task-a", usedAt: null });
			expect(outcome).toMatchObject({ data: { expiresAt: row.expiresAt } });
			expect(Date.parse(row.expiresAt) - Date.parse(row.requestedAt)).toBeGreaterThanOrEqual(59_000);
			expect(Date.parse(row.expiresAt) - Date.parse(row.requestedAt)).toBeLessThanOrEqual(61_000);
			// Approving it lets nothing run by itself: nobody waits for it on the node.
			await post(t, `/api/v1/approvals/${id}/approve`, {});
			await new Promise(r => setTimeout(r, 200));
			expect(await call("vault.open", {}, { caller: { ...SUPERVISED, trustLevel: "autonomous" } })).toEqual({ ok: true, value: "opened 1" });
			// The suspension is audited with its approval, and is not a denial a policy would count.
			await t.node.audit.flush();
			const entries = (await t.json<{ items: AuditRecord[] }>("/api/v1/audit?agentId=thinker&action=vault.open")).items;
			expect(entries.find(e => e.data.approvalId === id)).toMatchObject({ outcome: "allowed", data: { reason: "APPROVAL_PENDING" } });
		});

		it("lets the resumed call (meta.approvalId) run once approved, exactly once; the next call with it asks again", async () => {
			const id = pendingId(await call("vault.open", {}, run("task-b")));
			await post(t, `/api/v1/approvals/${id}/approve`, { note: "go" });
			expect(await call("vault.open", {}, { ...run("task-b"), approvalId: id })).toEqual({ ok: true, value: "opened 2" });
			expect((await approval(id)).usedAt).not.toBeNull();
			const again = await call("vault.open", {}, { ...run("task-b"), approvalId: id });
			const second = pendingId(again);
			expect(second).not.toBe(id);
			expect(await approval(second)).toMatchObject({ status: "pending", taskId: "task-b" });
		});

		it("ignores an approval of another action, another agent (meta reaches nested calls) or other params", async () => {
			const id = pendingId(await call("vault.open", { door: "front", keys: [1, 2] }, run("task-c")));
			await post(t, `/api/v1/approvals/${id}/approve`, {});
			const peek = pendingId(await call("vault.peek", { door: "front", keys: [1, 2] }, { ...run("task-c"), approvalId: id }));
			const other = pendingId(await call("vault.open", { door: "front", keys: [1, 2] }, { ...run("task-c"), approvalId: id, caller: { ...SUPERVISED, id: "other" } }));
			const back = pendingId(await call("vault.open", { door: "back", keys: [1, 2] }, { ...run("task-c"), approvalId: id }));
			expect(new Set([id, peek, other, back]).size).toBe(4);
			expect((await approval(id)).usedAt).toBeNull();
			// The same params in another key order are the same call.
			expect(await call("vault.open", { keys: [1, 2], door: "front" }, { ...run("task-c"), approvalId: id })).toMatchObject({ ok: true });
		});

		it("refuses the resumed call when the person denied it (APPROVAL_DENIED) or nobody decided in time (APPROVAL_EXPIRED)", async () => {
			const denied = pendingId(await call("vault.open", {}, run("task-d")));
			await post(t, `/api/v1/approvals/${denied}/deny`, { note: "not today" });
			expect(await call("vault.open", {}, { ...run("task-d"), approvalId: denied })).toMatchObject({ ok: false, type: "APPROVAL_DENIED", data: { approvalId: denied, note: "not today" } });

			const expired = pendingId(await call("vault.open", {}, run("task-e", 300)));
			await new Promise(r => setTimeout(r, 500));
			expect(await call("vault.open", {}, { ...run("task-e"), approvalId: expired })).toMatchObject({ ok: false, type: "APPROVAL_EXPIRED", data: { approvalId: expired } });
			expect((await approval(expired)).status).toBe("expired");
		});

		it("keeps a call without meta.run waiting in memory for the decision, as before", async () => {
			const result = call("vault.open", {});
			const waiting = await nextPending("vault.open");
			expect(waiting.taskId).toBeNull();
			await post(t, `/api/v1/approvals/${waiting.id}/approve`, {});
			expect(await result).toMatchObject({ ok: true, value: expect.stringMatching(/^opened/) });
		});

		it("holds nothing in memory for a durable run's call, and one waiter for a call that waits", async () => {
			const store = new ApprovalStore(t.node.kernel.db);
			const gate = new ApprovalGate(store, { timeoutMs: 20_000 });
			const ask = { agentId: "thinker", action: "vault.open", params: {}, reason: "a test asks" };
			await expect(gate.pass({ ...ask, meta: run("task-f") })).rejects.toMatchObject({ type: "APPROVAL_PENDING" });
			expect(store.waiting).toBe(0);
			const waited = gate.pass({ ...ask, meta: {} });
			await eventually("the waiter", () => store.waiting === 1);
			const waiting = await nextPending("vault.open");
			store.settle(await store.decide(waiting.id, "approved", "admin", null));
			await waited;
			expect(store.waiting).toBe(0);
		});
	});

	describe("a tool that requires confirmation", () => {
		const write = (content: string, meta: Meta) =>
			call("tools.invoke", { agentId: "writer", toolId: "builtin:file_write", arguments: { path: "run.txt", content } }, { caller: { kind: "agent", id: "writer", trustLevel: "supervised" }, ...meta });

		it("suspends a durable run's call, then writes once the resumed call brings the approval", async () => {
			const id = pendingId(await write("approved words", run("task-t")));
			expect(await approval(id)).toMatchObject({ action: "builtin:file_write", agentId: "writer", taskId: "task-t" });
			expect(fs.existsSync(path.join(workspace, "run.txt"))).toBe(false);
			await post(t, `/api/v1/approvals/${id}/approve`, {});
			expect(await write("approved words", { ...run("task-t"), approvalId: id })).toMatchObject({ ok: true });
			expect(fs.readFileSync(path.join(workspace, "run.txt"), "utf8")).toBe("approved words");
			// The same call again with the same approval is not let through: it asks again.
			fs.rmSync(path.join(workspace, "run.txt"));
			expect(pendingId(await write("approved words", { ...run("task-t"), approvalId: id }))).not.toBe(id);
			expect(fs.existsSync(path.join(workspace, "run.txt"))).toBe(false);
		});
	});

	describe("approvals.waitFor: an agent asks a person", () => {
		it("suspends a durable run, then answers the resumed call with the decision, a denial included", async () => {
			const question = { reason: "May I email the customer?", data: { to: "ann@example.com" } };
			const yes = pendingId(await call("approvals.waitFor", question, run("task-w")));
			expect(await approval(yes)).toMatchObject({ action: "task.waitFor", reason: question.reason, params: question.data, taskId: "task-w" });
			await post(t, `/api/v1/approvals/${yes}/approve`, { note: "be brief" });
			expect(await call("approvals.waitFor", question, { ...run("task-w"), approvalId: yes })).toEqual({
				ok: true,
				value: { approved: true, note: "be brief", decidedBy: "admin", decidedAt: expect.any(String), approvalId: yes }
			});

			const no = pendingId(await call("approvals.waitFor", question, run("task-w")));
			await post(t, `/api/v1/approvals/${no}/deny`, { note: "not now" });
			expect(await call("approvals.waitFor", question, { ...run("task-w"), approvalId: no })).toMatchObject({ ok: true, value: { approved: false, note: "not now", decidedBy: "admin" } });

			const late = pendingId(await call("approvals.waitFor", question, run("task-w", 300)));
			await new Promise(r => setTimeout(r, 500));
			expect(await call("approvals.waitFor", question, { ...run("task-w"), approvalId: late })).toMatchObject({ ok: false, type: "APPROVAL_EXPIRED" });
		});

		it("waits in memory without a durable run, and answers approved or denied", async () => {
			const approved = call("approvals.waitFor", { reason: "Proceed?" });
			await post(t, `/api/v1/approvals/${(await nextPending("task.waitFor")).id}/approve`, { note: "yes" });
			expect(await approved).toMatchObject({ ok: true, value: { approved: true, note: "yes" } });
			const denied = call("approvals.waitFor", { reason: "Proceed again?" });
			await post(t, `/api/v1/approvals/${(await nextPending("task.waitFor")).id}/deny`, {});
			expect(await denied).toMatchObject({ ok: true, value: { approved: false, note: null, decidedBy: "admin" } });
			await t.node.audit.flush();
			const audited = (await t.json<{ items: AuditRecord[] }>("/api/v1/audit?agentId=thinker&action=approvals.waitFor&outcome=succeeded")).items;
			expect(audited.length).toBeGreaterThanOrEqual(2);
		});

		it("is for agents, and checks the reason", async () => {
			expect(await call("approvals.waitFor", { reason: "x" }, { caller: undefined })).toMatchObject({ ok: false, type: "AGENT_CALLER_REQUIRED" });
			expect(await call("approvals.waitFor", { reason: "" })).toMatchObject({ ok: false, type: "VALIDATION_ERROR" });
		});

		it("is ctx.waitFor (and ctx.human.waitFor) for a code agent", async () => {
			const asked = task(t, "writer", { task: { type: "waitFor", reason: "Ship it?", data: { version: "1.2" } } });
			const waiting = await nextPending("task.waitFor", "writer");
			expect(waiting).toMatchObject({ reason: "Ship it?", params: { version: "1.2" } });
			await post(t, `/api/v1/approvals/${waiting.id}/deny`, { note: "Friday" });
			expect((await asked).body.result).toMatchObject({ approved: false, note: "Friday" });
			const human = task(t, "writer", { task: { type: "waitFor", human: true, reason: "Really?" } });
			await post(t, `/api/v1/approvals/${(await nextPending("task.waitFor", "writer")).id}/approve`, {});
			expect((await human).body.result).toMatchObject({ approved: true });
		});
	});

	describe("a declarative agent's tools marked requiresConfirmation", () => {
		const declarative = {
			id: "careful",
			name: "Careful",
			instructions: "Write what you are asked to.",
			trustLevel: "autonomous",
			memory: { recall: 0, historyWindow: 0 },
			tools: ["builtin:file_read", { id: "builtin:file_write", requiresConfirmation: true }],
			permissions: ["fs.read", "fs.write"]
		};
		const chat = (message: string) => post<{ answer: string; steps: { toolCalls: { ok: boolean; result: string }[] }[] }>(t, "/api/v1/agents/careful/chat", { message });
		const writeCall = (content: string) => ({ kind: "tool_calls" as const, calls: [{ id: "w", name: "builtin_file_write", arguments: { path: "careful.txt", content } }] });

		beforeAll(() => spawnAgent(t, declarative));

		it("asks a person before the tool runs, naming it and its arguments, and runs it once approved", async () => {
			openai.script(writeCall("approved text"), { kind: "text", text: "Written." });
			const answer = chat("Write it");
			const waiting = await nextPending("task.waitFor", "careful");
			expect(waiting).toMatchObject({ reason: expect.stringContaining("builtin:file_write"), params: { toolId: "builtin:file_write", arguments: { content: "approved text" } } });
			expect(waiting.reason).toContain("approved text");
			expect(fs.existsSync(path.join(workspace, "careful.txt"))).toBe(false);
			await post(t, `/api/v1/approvals/${waiting.id}/approve`, {});
			expect((await answer).body.answer).toBe("Written.");
			expect(fs.readFileSync(path.join(workspace, "careful.txt"), "utf8")).toBe("approved text");
		});

		it("gives the model a person's denial, with the note, as the tool's result, and does not run the tool", async () => {
			openai.script(writeCall("denied text"), { kind: "text", text: "I was not allowed." });
			const answer = chat("Write it again");
			await post(t, `/api/v1/approvals/${(await nextPending("task.waitFor", "careful")).id}/deny`, { note: "keep the old text" });
			const { body } = await answer;
			expect(body.steps[0].toolCalls[0]).toMatchObject({ ok: false, result: expect.stringContaining("APPROVAL_DENIED") });
			expect(body.steps[0].toolCalls[0].result).toContain("keep the old text");
			expect(fs.readFileSync(path.join(workspace, "careful.txt"), "utf8")).toBe("approved text");
		});

		it("asks once, not twice, for a supervised agent's tool that requires confirmation anyway", async () => {
			await spawnAgent(t, { ...declarative, id: "scribe", trustLevel: "supervised" });
			openai.script(writeCall("scribe text"), { kind: "text", text: "Written." });
			const answer = post<{ answer: string }>(t, "/api/v1/agents/scribe/chat", { message: "Write it" });
			let asked: Approval[] = [];
			await eventually("the approval", async () => (asked = (await approvals("pending")).filter(a => a.agentId === "scribe")).length === 1);
			expect(asked[0].action).toBe("builtin:file_write");
			await post(t, `/api/v1/approvals/${asked[0].id}/approve`, {});
			expect((await answer).body.answer).toBe("Written.");
			expect((await approvals()).filter(a => a.agentId === "scribe")).toHaveLength(1);
		});

		it("runs the tools not marked without asking", async () => {
			fs.writeFileSync(path.join(workspace, "plain.txt"), "plain");
			openai.script({ kind: "tool_calls", calls: [{ id: "r", name: "builtin_file_read", arguments: { path: "plain.txt" } }] }, { kind: "text", text: "Read." });
			const { body } = await chat("Read it");
			expect(body.steps[0].toolCalls[0]).toMatchObject({ ok: true });
			expect((await approvals("pending")).filter(a => a.agentId === "careful")).toEqual([]);
		});
	});
});
