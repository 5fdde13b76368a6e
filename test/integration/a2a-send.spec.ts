import { a2aGetTaskTool, a2aSendTool } from "../../lib/tools/builtin/a2a-send";
import type { ToolContext, ToolPolicy } from "../../lib/tools/tool";
import { startA2aPeer, type A2aPeer } from "../support/a2a-peer";

let peer: A2aPeer;
let guarded: A2aPeer;

function ctx(overrides: Partial<ToolContext> = {}): ToolContext {
	return { agentId: "asker", caller: { kind: "agent", id: "asker" }, constraints: {}, signal: AbortSignal.timeout(5000), ...overrides };
}

function policy(overrides: Partial<ToolPolicy> = {}): ToolPolicy {
	return {
		allowedDomains: [new URL(peer.baseUrl).host, new URL(guarded.baseUrl).host],
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

beforeAll(async () => {
	peer = await startA2aPeer({ slowMs: 200 });
	guarded = await startA2aPeer({ name: "Guarded", token: "peer-secret" });
});
afterAll(async () => {
	await peer.close();
	await guarded.close();
});

describe("a2a_send against a real A2A peer (the SDK's own server)", () => {
	it("sends a message by card URL and returns the remote agent's answer", async () => {
		const out = await a2aSendTool(policy()).run({ cardUrl: peer.cardUrl, message: "hello there" }, ctx());
		expect(out.content).toMatchObject({ kind: "message", text: "echo: hello there" });
	});

	it("returns a task at once with wait=false, which a2a_get_task follows to its answer", async () => {
		const sent = await a2aSendTool(policy()).run({ cardUrl: peer.cardUrl, message: "slow question", wait: false }, ctx());
		expect(sent.content).toMatchObject({ kind: "task", state: "working", text: "" });
		const taskId = (sent.content as { taskId: string }).taskId;
		expect(taskId).toMatch(/.+/);
		let polled: { state?: string; text: string } = { text: "" };
		for (let i = 0; i < 50 && polled.state !== "completed"; i++) {
			await new Promise(r => setTimeout(r, 50));
			polled = (await a2aGetTaskTool(policy()).run({ cardUrl: peer.cardUrl, taskId }, ctx())).content as typeof polled;
		}
		expect(polled).toMatchObject({ kind: "task", taskId, state: "completed", text: "echo: slow question" });
	});

	it("sends the bearer token to the remote, and a remote that wants one refuses a call without it", async () => {
		const out = await a2aSendTool(policy()).run({ cardUrl: guarded.cardUrl, message: "hi", token: "peer-secret" }, ctx());
		expect(out.content).toMatchObject({ text: "echo: hi" });
		expect(guarded.authorizations).toContain("Bearer peer-secret");
		await expect(a2aSendTool(policy()).run({ cardUrl: guarded.cardUrl, message: "hi" }, ctx())).rejects.toMatchObject({
			type: "A2A_REMOTE_ERROR",
			code: 502,
			data: { remoteCode: -32600, remoteMessage: "a bearer token is required" }
		});
	});

	it("passes the remote's JSON-RPC error on with its code and message (an unknown task)", async () => {
		const err = await a2aGetTaskTool(policy()).run({ cardUrl: peer.cardUrl, taskId: "no-such-task" }, ctx()).catch((e: unknown) => e);
		expect(err).toMatchObject({ type: "A2A_REMOTE_ERROR", code: 502, data: { remoteCode: -32001 } });
		expect(JSON.stringify(err)).not.toContain("peer-secret");
	});

	it("is a retryable 503 when the remote cannot be reached", async () => {
		const closed = await startA2aPeer();
		const cardUrl = closed.cardUrl;
		await closed.close();
		const err = await a2aSendTool(policy({ allowedDomains: [new URL(cardUrl).host] })).run({ cardUrl, message: "hi" }, ctx()).catch((e: unknown) => e);
		expect(err).toMatchObject({ type: "A2A_REMOTE_UNREACHABLE", code: 503, retryable: true });
	});

	it("refuses a card URL the http_fetch guard refuses: cloud metadata, a host off the allowlist, localhost not named", async () => {
		const tool = a2aSendTool(policy({ allowAllDomains: true, allowedDomains: [] }));
		await expect(tool.run({ cardUrl: "http://169.254.169.254/.well-known/agent-card.json", message: "hi" }, ctx())).rejects.toMatchObject({
			type: "TOOL_REFUSED",
			code: 403,
			data: { reason: expect.stringContaining("link-local") }
		});
		await expect(tool.run({ cardUrl: peer.cardUrl.replace("127.0.0.1", "localhost"), message: "hi" }, ctx())).rejects.toMatchObject({ type: "TOOL_REFUSED", code: 403 });
		await expect(a2aSendTool(policy({ allowedDomains: ["example.com"] })).run({ cardUrl: peer.cardUrl, message: "hi" }, ctx())).rejects.toMatchObject({
			type: "TOOL_REFUSED",
			data: { reason: expect.stringContaining("not on the allowed domains") }
		});
		// The grant's narrowed domains apply as they do to http_fetch.
		await expect(a2aSendTool(policy()).run({ cardUrl: peer.cardUrl, message: "hi" }, ctx({ constraints: { domains: ["example.com"] } }))).rejects.toMatchObject({
			type: "TOOL_REFUSED",
			data: { reason: expect.stringContaining("grant's domains") }
		});
	});

	it("talks to a peer that still speaks A2A 0.3 (message/send, tasks/get)", async () => {
		const legacy = await startA2aPeer({ legacy: true, slowMs: 50 });
		try {
			const tool = a2aSendTool(policy({ allowedDomains: [new URL(legacy.baseUrl).host] }));
			expect((await tool.run({ cardUrl: legacy.cardUrl, message: "old friend" }, ctx())).content).toMatchObject({ kind: "message", text: "echo: old friend" });
			const sent = await tool.run({ cardUrl: legacy.cardUrl, message: "slow old friend" }, ctx());
			expect(sent.content).toMatchObject({ kind: "task", state: "completed", text: "echo: slow old friend" });
		} finally {
			await legacy.close();
		}
	});

	it("reads a card once for a run of messages, and still checks its URL for every caller", async () => {
		const cached = await startA2aPeer();
		try {
			const tool = a2aSendTool(policy({ allowedDomains: [new URL(cached.baseUrl).host] }));
			for (const word of ["one", "two", "three"]) expect((await tool.run({ cardUrl: cached.cardUrl, message: word }, ctx())).content).toMatchObject({ text: `echo: ${word}` });
			expect(cached.requests.filter(r => r.startsWith("GET")).length).toBe(1);
			expect(cached.requests.filter(r => r.startsWith("POST")).length).toBe(3);
			// A caller whose grant does not cover the host is refused, card cached or not.
			await expect(tool.run({ cardUrl: cached.cardUrl, message: "hi" }, ctx({ constraints: { domains: ["example.com"] } }))).rejects.toMatchObject({ type: "TOOL_REFUSED" });
		} finally {
			await cached.close();
		}
	});

	it("refuses a cardUrl that is not a URL, naming it", async () => {
		await expect(a2aSendTool(policy()).run({ cardUrl: "not a url", message: "hi" }, ctx())).rejects.toMatchObject({ type: "TOOL_REFUSED", code: 403, data: { reason: "not a valid URL" } });
	});

	it("refuses an answer larger than the size limit instead of reading it all", async () => {
		const err = await a2aSendTool(policy({ maxOutputBytes: 100 })).run({ cardUrl: peer.cardUrl, message: "hi" }, ctx()).catch((e: unknown) => e);
		expect(err).toMatchObject({ type: "TOOL_FAILED", message: expect.stringContaining("larger than 100 bytes") });
	});
});
