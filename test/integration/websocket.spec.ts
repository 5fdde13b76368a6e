import WebSocket from "ws";
import type { ChatResult } from "../../lib/mal/results";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { startTestNode, type TestNode } from "../support/test-node";
import { connect } from "../support/ws-client";

describe("the WebSocket gateway", () => {
	let openai: OpenAIServer;
	let t: TestNode;
	let wsUrl: string;

	beforeAll(async () => {
		openai = await startOpenAIServer();
		t = await startTestNode({ OPENAI_API_KEY: "sk-ws", OPENAI_BASE_URL: openai.url });
		await t.node.ready;
		wsUrl = `${t.url.replace("http", "ws")}/ws`;
	});
	afterAll(async () => {
		await t.stop();
		await openai.stop();
	});

	it("refuses requests before authentication, and a wrong token", async () => {
		const c = await connect(wsUrl);
		c.send({ type: "chat", id: 1, payload: { messages: [{ role: "user", content: "hi" }] } });
		expect(await c.next()).toMatchObject({ type: "error", id: 1, error: { type: "NOT_AUTHENTICATED" } });
		c.send({ type: "auth", id: 2, payload: { token: "wrong" } });
		expect(await c.next()).toMatchObject({ type: "error", id: 2, error: { type: "INVALID_TOKEN" } });
		c.ws.close();
	});

	it("answers bad messages with an error and keeps the connection", async () => {
		const c = await connect(wsUrl, { authorization: `Bearer ${t.token}` });
		c.send("{not json");
		expect(await c.next()).toMatchObject({ type: "error", id: null, error: { type: "BAD_MESSAGE" } });
		c.send({ type: "teleport", id: 3 });
		expect(await c.next()).toMatchObject({ type: "error", id: 3, error: { type: "UNKNOWN_TYPE" } });
		c.send({ type: "ping", id: 4 });
		expect(await c.next()).toMatchObject({ type: "result", id: 4 });
		expect(c.ws.readyState).toBe(WebSocket.OPEN);
		c.ws.close();
	});

	it("streams a chat end to end: chunks in order, then the metered result", async () => {
		openai.script({ kind: "text", text: "tokens flow over the socket", usage: { input: 5, output: 5 } });
		const c = await connect(wsUrl);
		c.send({ type: "auth", id: "a", payload: { token: t.token } });
		expect(await c.next()).toMatchObject({ type: "result", id: "a", payload: { authenticated: true } });
		c.send({ type: "chat_stream", id: "s1", payload: { messages: [{ role: "user", content: "stream please" }] } });
		const end = await c.next("chat_stream_end");
		const chunks = c.all.filter(m => m.type === "chat_stream_chunk");
		expect(chunks.length).toBeGreaterThan(1);
		expect(chunks.every(m => m.id === "s1")).toBe(true);
		expect(chunks.map(m => m.payload!.text).join("")).toBe("tokens flow over the socket");
		expect(c.all.indexOf(end)).toBeGreaterThan(c.all.indexOf(chunks.at(-1)!));
		const result = end.payload as unknown as ChatResult;
		expect(result).toMatchObject({ provider: "openai", usage: { totalTokens: 10 }, message: { content: "tokens flow over the socket" } });
		const usage = await t.json<{ rows: { key: string; calls: number }[] }>("/api/v1/llm/usage?groupBy=provider");
		expect(usage.rows.find(r => r.key === "openai")!.calls).toBeGreaterThanOrEqual(1);
		c.ws.close();
	});

	it("reports a failing stream as an error message with the request's id", async () => {
		const c = await connect(wsUrl, { authorization: `Bearer ${t.token}` });
		c.send({ type: "chat_stream", id: "bad", payload: { model: "no-such-model", messages: [{ role: "user", content: "x" }] } });
		expect(await c.next("error")).toMatchObject({ id: "bad", error: { type: "UNKNOWN_MODEL" } });
		c.ws.close();
	});
});
