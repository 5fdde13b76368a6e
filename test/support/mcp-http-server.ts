import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer, type RegisteredTool } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

export interface McpHttpTestServer {
	url: string;
	/** Number of requests that reached /mcp (to see that a client talked to it). */
	requests(): number;
	stop(): Promise<void>;
}

/**
 * A Streamable HTTP MCP server in this process, for tests. Tools: `add {a,b}`, `slow {ms}`
 * (waits, or stops when the client cancels), `fail` (answers isError), and `toggle`, which
 * adds or removes the tool `extra` — the SDK then sends `notifications/tools/list_changed`.
 * Each session has its own McpServer (one server binds one transport). Pass `port` to
 * start again where a stopped server was (the clients' sessions are then unknown: 404).
 */
export async function startMcpHttpServer(opts: { port?: number } = {}): Promise<McpHttpTestServer> {
	const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer }>();
	let count = 0;

	function buildServer(): McpServer {
		const server = new McpServer({ name: "agent-os-test", version: "1.0.0" });
		let extra: RegisteredTool | null = null;
		server.registerTool("add", { description: "Add two numbers", inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
			content: [{ type: "text", text: String(a + b) }]
		}));
		server.registerTool("slow", { description: "Wait ms milliseconds", inputSchema: { ms: z.number() } }, async ({ ms }, ctx) => {
			await new Promise<void>(resolve => {
				const timer = setTimeout(resolve, ms);
				ctx.signal.addEventListener("abort", () => {
					clearTimeout(timer);
					resolve();
				});
			});
			return { content: [{ type: "text", text: `waited ${ms} ms` }] };
		});
		server.registerTool("fail", { description: "Always fails" }, async () => ({
			content: [{ type: "text", text: "it broke" }],
			isError: true
		}));
		server.registerTool("toggle", { description: "Add or remove the tool extra" }, async () => {
			if (extra) {
				extra.remove();
				extra = null;
				return { content: [{ type: "text", text: "removed" }] };
			}
			extra = server.registerTool("extra", { description: "Appears after toggle" }, async () => ({
				content: [{ type: "text", text: "extra!" }]
			}));
			return { content: [{ type: "text", text: "added" }] };
		});
		return server;
	}

	async function readJson(req: IncomingMessage): Promise<unknown> {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const text = Buffer.concat(chunks).toString("utf8");
		return text ? JSON.parse(text) : undefined;
	}

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		if (!req.url?.startsWith("/mcp")) {
			res.writeHead(404).end();
			return;
		}
		count++;
		const body = req.method === "POST" ? await readJson(req) : undefined;
		const sessionId = req.headers["mcp-session-id"];
		const existing = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
		if (existing) {
			await existing.transport.handleRequest(req, res, body);
			return;
		}
		if (req.method !== "POST" || !isInitializeRequest(body)) {
			res.writeHead(sessionId ? 404 : 400, { "content-type": "application/json" });
			res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message: "no such session" }, id: null }));
			return;
		}
		const server = buildServer();
		const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
			sessionIdGenerator: () => randomUUID(),
			onsessioninitialized: id => {
				sessions.set(id, { transport, server });
			}
		});
		transport.onclose = () => {
			if (transport.sessionId) sessions.delete(transport.sessionId);
		};
		await server.connect(transport);
		await transport.handleRequest(req, res, body);
	}

	const http = createServer((req, res) => {
		handle(req, res).catch(err => {
			if (!res.headersSent) res.writeHead(500);
			res.end(String(err));
		});
	});
	await new Promise<void>((resolve, reject) => {
		http.once("error", reject);
		http.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
	});
	const { port } = http.address() as AddressInfo;

	return {
		url: `http://127.0.0.1:${port}/mcp`,
		requests: () => count,
		async stop() {
			await Promise.all([...sessions.values()].map(s => s.server.close().catch(() => undefined)));
			sessions.clear();
			http.closeAllConnections();
			await new Promise<void>(resolve => http.close(() => resolve()));
		}
	};
}
