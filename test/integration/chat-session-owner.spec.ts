import OpenAI from "openai";
import type { ErrorBody } from "../../services/api.service";
import type { AuditRecord } from "../../lib/security/audit-log";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { FAST_AGENT_ENV, FIXTURE_AGENTS, echoManifest, post, spawnAgent, task, untilState } from "../support/agents";
import { eventually, startTestNode, type TestNode } from "../support/test-node";
import { connect } from "../support/ws-client";

interface HistoryWindow {
	sessionId: string;
	messages: { role: string; content: string }[];
	total: number;
}

interface Token {
	id: string;
	token: string;
}

type UpstreamRequest = { messages: { role: string; content: string | null }[] };

/**
 * A chat session belongs to the token that started it: another token that names (or
 * guesses) its id reaches a session of its own, never the first one's — on every way in.
 */
describe("chat sessions belong to the token that started them", () => {
	let upstream: OpenAIServer;
	let t: TestNode;
	let a: Token;
	let b: Token;
	const as = (token: string, route: string, init: RequestInit = {}) =>
		t.request(route, { ...init, auth: false, headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } });
	const chat = async (token: string, body: Record<string, unknown>) => {
		const res = await as(token, "/api/v1/agents/keeper/chat", { method: "POST", body: JSON.stringify(body) });
		return { status: res.status, body: (await res.json()) as { answer: string; sessionId: string } & ErrorBody };
	};
	const history = async (token: string, sessionId: string) => {
		const res = await as(token, `/api/v1/agents/keeper/sessions/${sessionId}`);
		return { status: res.status, body: (await res.json()) as HistoryWindow & ErrorBody };
	};
	const contents = (w: HistoryWindow) => w.messages.map(m => m.content);
	/** Everything the model was shown on the last call. */
	const lastPrompt = () => JSON.stringify((upstream.requests.filter(r => r.path.endsWith("/chat/completions")).at(-1)!.body as UpstreamRequest).messages);
	const openai = (token: string) => new OpenAI({ baseURL: `${t.url}/v1`, apiKey: token, maxRetries: 0 });

	beforeAll(async () => {
		upstream = await startOpenAIServer({ apiKey: "sk-up" });
		t = await startTestNode({ ...FAST_AGENT_ENV, AGENT_INPROCESS_PATHS: FIXTURE_AGENTS, OPENAI_API_KEY: "sk-up", OPENAI_BASE_URL: upstream.url, LLM_RETRY_BASE_MS: "10" });
		await t.node.ready;
		await spawnAgent(t, { id: "keeper", name: "Keeper", instructions: "You remember what people tell you.", trustLevel: "autonomous", memory: { recall: 0 } });
		// A code agent that chats with keeper through ctx.agents.ask when its task says so.
		await spawnAgent(t, echoManifest("relay", { runtime: "inprocess", trustLevel: "autonomous", permissions: ["a2a.send"] }));
		await untilState(t, "keeper", "running");
		await untilState(t, "relay", "running");
		const scopes = ["tasks", "memory:read", "memory:write"];
		a = (await post<Token>(t, "/api/v1/tokens", { name: "alice", scopes })).body;
		b = (await post<Token>(t, "/api/v1/tokens", { name: "bob", scopes })).body;
	});
	afterEach(() => upstream.clearScript());
	afterAll(async () => {
		await t?.stop();
		await upstream?.stop();
	});

	it("REST chat: B naming A's session id talks in a session of its own; B cannot read, list or delete A's; A goes on", async () => {
		upstream.script({ kind: "text", text: "Noted: heron." });
		expect((await chat(a.token, { message: "My code word is heron.", sessionId: "shared-name" })).status).toBe(200);
		upstream.script({ kind: "text", text: "Noted: the vault opens at nine." });
		expect((await chat(a.token, { message: "The vault opens at nine.", sessionId: "a-only" })).status).toBe(200);
		const before = (await history(a.token, "shared-name")).body;
		expect(contents(before)).toEqual(["My code word is heron.", "Noted: heron."]);

		// B continues "A's" session: the model is shown nothing A said, and B's answer is kept apart.
		upstream.script({ kind: "text", text: "You have not told me a code word." });
		const theirs = await chat(b.token, { message: "What is my code word?", sessionId: "shared-name" });
		expect(theirs.status).toBe(200);
		expect(theirs.body.sessionId).toBe("shared-name");
		expect(lastPrompt()).not.toContain("heron");
		expect(contents((await history(b.token, "shared-name")).body)).toEqual(["What is my code word?", "You have not told me a code word."]);

		// A session of A's that B never used: 404 SESSION_NOT_FOUND, as for one that does not exist.
		const read = await history(b.token, "a-only");
		expect(read.status).toBe(404);
		expect(read.body.error).toMatchObject({ type: "SESSION_NOT_FOUND", data: { agentId: "keeper", sessionId: "a-only" } });
		expect(JSON.stringify(read.body)).not.toContain("vault");
		const never = await history(b.token, "no-such-session");
		expect({ status: never.status, type: never.body.error.type }).toEqual({ status: 404, type: "SESSION_NOT_FOUND" });
		// Naming A as the owner is refused, not honoured.
		const named = await as(b.token, `/api/v1/agents/keeper/sessions/a-only?owner=token:${a.id}`);
		expect(named.status).toBe(422);
		expect(((await named.json()) as ErrorBody).error).toMatchObject({ type: "MEMORY_INVALID", data: { field: "owner" } });
		const removed = await as(b.token, "/api/v1/agents/keeper/sessions/a-only", { method: "DELETE" });
		expect(removed.status).toBe(404);
		expect(((await removed.json()) as ErrorBody).error.type).toBe("SESSION_NOT_FOUND");

		// Each lists only its own.
		const listOf = async (token: string) => ((await (await as(token, "/api/v1/agents/keeper/sessions")).json()) as { items: { sessionId: string }[] }).items.map(s => s.sessionId).sort();
		expect(await listOf(a.token)).toEqual(["a-only", "shared-name"]);
		expect(await listOf(b.token)).toEqual(["shared-name"]);

		// A's history is as it was, and A goes on with it: the model sees what A said before.
		expect((await history(a.token, "shared-name")).body).toEqual(before);
		expect(contents((await history(a.token, "a-only")).body)).toEqual(["The vault opens at nine.", "Noted: the vault opens at nine."]);
		upstream.script({ kind: "text", text: "Your code word is heron." });
		expect((await chat(a.token, { message: "What is my code word?", sessionId: "shared-name" })).body.answer).toBe("Your code word is heron.");
		expect(lastPrompt()).toContain("My code word is heron.");
		expect(lastPrompt()).not.toContain("You have not told me");
		expect((await history(a.token, "shared-name")).body.total).toBe(4);
	});

	it("OpenAI-compatible endpoint: the same `user` or X-Session-Id from another token reaches none of the first one's conversation", async () => {
		upstream.script({ kind: "text", text: "Noted: the launch is on the 14th." });
		await openai(a.token).chat.completions.create({ model: "agent:keeper", user: "ops-desk", messages: [{ role: "user", content: "The launch is on the 14th." }] });

		upstream.script({ kind: "text", text: "I do not know of a launch." });
		const byUser = await openai(b.token).chat.completions.create({ model: "agent:keeper", user: "ops-desk", messages: [{ role: "user", content: "When is the launch?" }] });
		expect(byUser.choices[0].message.content).toBe("I do not know of a launch.");
		expect(lastPrompt()).not.toContain("14th");
		upstream.script({ kind: "text", text: "Still no launch that I know of." });
		await openai(b.token).chat.completions.create({ model: "agent:keeper", messages: [{ role: "user", content: "Any launch?" }] }, { headers: { "X-Session-Id": "ops-desk" } });
		expect(lastPrompt()).not.toContain("14th");
		// What B asked went to B's own session of that name.
		expect(lastPrompt()).toContain("When is the launch?");

		// A's conversation is unchanged, and A goes on with it.
		expect(contents((await history(a.token, "ops-desk")).body)).toEqual(["The launch is on the 14th.", "Noted: the launch is on the 14th."]);
		upstream.script({ kind: "text", text: "On the 14th." });
		const mine = await openai(a.token).chat.completions.create({ model: "agent:keeper", messages: [{ role: "user", content: "When is the launch?" }] }, { headers: { "X-Session-Id": "ops-desk" } });
		expect(mine.choices[0].message.content).toBe("On the 14th.");
		expect(lastPrompt()).toContain("The launch is on the 14th.");
		expect(lastPrompt()).not.toContain("Any launch?");
		expect((await history(a.token, "ops-desk")).body.total).toBe(4);
	});

	it("WebSocket agent_chat: B naming A's session over the socket is shown none of it, and A's history is unchanged", async () => {
		upstream.script({ kind: "text", text: "Noted: osprey." });
		expect((await chat(a.token, { message: "My code word is osprey.", sessionId: "socket" })).status).toBe(200);

		upstream.script({ kind: "text", text: "I have no code word of yours." });
		const c = await connect(`${t.url.replace("http", "ws")}/ws`, { authorization: `Bearer ${b.token}` });
		c.send({ type: "agent_chat", id: "w1", payload: { agentId: "keeper", message: "What is my code word?", sessionId: "socket" } });
		expect(await c.next("result")).toMatchObject({ id: "w1", payload: { answer: "I have no code word of yours.", sessionId: "socket" } });
		c.ws.close();
		expect(lastPrompt()).not.toContain("osprey");
		expect(contents((await history(a.token, "socket")).body)).toEqual(["My code word is osprey.", "Noted: osprey."]);
	});

	it("an agent chatting with another through ctx keeps a session of its own identity, apart from the people's of the same name", async () => {
		upstream.script({ kind: "text", text: "Noted: kestrel." });
		expect((await chat(a.token, { message: "My code word is kestrel.", sessionId: "relayed" })).status).toBe(200);

		upstream.script({ kind: "text", text: "No code word here." });
		const asked = await task<{ answer: { answer: string; sessionId: string } }>(t, "relay", { task: { type: "ask", target: "keeper", task: { type: "chat", message: "What is the code word?", sessionId: "relayed" } } });
		expect(asked.status).toBe(200);
		expect(asked.body.result.answer).toMatchObject({ answer: "No code word here.", sessionId: "relayed" });
		expect(lastPrompt()).not.toContain("kestrel");
		// The agent's session is under its own identity; A's is as it was.
		const all = await t.json<{ items: { sessionId: string; owner: string; messages: number }[] }>("/api/v1/agents/keeper/all-sessions");
		expect(all.items.filter(s => s.sessionId === "relayed").map(s => [s.owner, s.messages]).sort()).toEqual([
			["agent:relay", 2],
			[`token:${a.id}`, 2]
		]);
		expect(contents((await history(a.token, "relayed")).body)).toEqual(["My code word is kestrel.", "Noted: kestrel."]);
	});

	it("a code agent's ctx.memory.history naming no owner keeps the session of the task's sender: two tokens never share one", async () => {
		await spawnAgent(t, { id: "diarist", name: "Diarist", entryPoint: `${FIXTURE_AGENTS}/session-keeper.js`, trustLevel: "autonomous", permissions: ["memory.read", "memory.write"] });
		await untilState(t, "diarist", "running");
		const note = async (token: string, message: string) => {
			const res = await as(token, "/api/v1/agents/diarist/tasks", { method: "POST", body: JSON.stringify({ task: { type: "note", sessionId: "diary", message } }) });
			expect(res.status).toBe(200);
			return ((await res.json()) as { result: { seen: string[] } }).result.seen;
		};

		expect(await note(a.token, "a1")).toEqual([]);
		expect(await note(b.token, "b1")).toEqual([]);
		expect(await note(a.token, "a2")).toEqual(["a1"]);
		const read = async (token: string) => contents((await (await as(token, "/api/v1/agents/diarist/sessions/diary")).json()) as HistoryWindow);
		expect(await read(a.token)).toEqual(["a1", "a2"]);
		expect(await read(b.token)).toEqual(["b1"]);
	});

	it("an admin reads any identity's session, and those kept before sessions had owners, only through the audited support routes", async () => {
		upstream.script({ kind: "text", text: "Noted: blue." });
		await chat(a.token, { message: "My colour is blue.", sessionId: "support-me" });
		// A session kept before owners existed (the migration gives such rows the owner `unowned`).
		await t.node.kernel.db.query("INSERT INTO conversation_messages (agent_id, owner, session_id, seq, role, content, encrypted) VALUES ('keeper', 'unowned', 'old', 1, 'user', 'from before owners', false)");

		const all = await t.json<{ items: { sessionId: string; owner: string }[] }>("/api/v1/agents/keeper/all-sessions");
		expect(all.items).toEqual(expect.arrayContaining([expect.objectContaining({ sessionId: "support-me", owner: `token:${a.id}` }), expect.objectContaining({ sessionId: "old", owner: "unowned" })]));
		const read = await t.json<HistoryWindow & { owner: string }>(`/api/v1/agents/keeper/all-sessions/token:${a.id}/support-me`);
		expect({ owner: read.owner, said: contents(read) }).toEqual({ owner: `token:${a.id}`, said: ["My colour is blue.", "Noted: blue."] });
		expect(contents(await t.json<HistoryWindow>("/api/v1/agents/keeper/all-sessions/unowned/old"))).toEqual(["from before owners"]);

		// Not for tokens, not even the session's own; the old session is no token's.
		for (const token of [a.token, b.token]) {
			const refused = await as(token, `/api/v1/agents/keeper/all-sessions/token:${a.id}/support-me`);
			expect(refused.status).toBe(403);
			expect(((await refused.json()) as ErrorBody).error.type).toBe("FORBIDDEN_SCOPE");
			expect((await history(token, "old")).status).toBe(404);
		}
		// The admin's read is in the audit log.
		await eventually("the support read in the audit log", async () => {
			const audit = await t.json<{ items: AuditRecord[] }>("/api/v1/audit?action=memory.anySession");
			return audit.items.some(e => e.principal?.id === "admin" && e.target === "keeper" && e.outcome === "succeeded");
		});
	});
});
