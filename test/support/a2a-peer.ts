import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Role, TaskState, type AgentCard, type Message, type Task } from "@a2a-js/sdk";
import { LegacyJsonRpcTransportHandler } from "@a2a-js/sdk/compat/v0_3/server";
import { DefaultRequestHandler, InMemoryTaskStore, JsonRpcTransportHandler, defaultServerCallContextBuilder, type AgentExecutor } from "@a2a-js/sdk/server";

/** A real A2A peer made of the SDK's own server pieces, over a plain Node HTTP server. */
export interface A2aPeer {
	/** http://127.0.0.1:<port> */
	baseUrl: string;
	cardUrl: string;
	/** The Authorization header of every request, in order (undefined when none was sent). */
	authorizations: Array<string | undefined>;
	/** `GET /.well-known/agent-card.json`, `POST /rpc`…, in order. */
	requests: string[];
	close(): Promise<void>;
}

const text = (value: string, ids: { taskId?: string; contextId: string }): Message => ({
	messageId: crypto.randomUUID(),
	contextId: ids.contextId,
	taskId: ids.taskId ?? "",
	role: Role.ROLE_AGENT,
	parts: [{ content: { $case: "text", value }, metadata: undefined, filename: "", mediaType: "text/plain" }],
	metadata: undefined,
	extensions: [],
	referenceTaskIds: []
});

/**
 * Answers `echo: <text>` at once; a message starting with `slow` becomes a task that
 * works for `slowMs` and then completes with an `echo: …` artifact.
 */
const echoExecutor = (slowMs: number): AgentExecutor => ({
	async execute(request, bus) {
		const first = request.userMessage.parts[0]?.content;
		const said = first?.$case === "text" ? first.value : "";
		if (!said.startsWith("slow")) {
			bus.publish({ kind: "message", data: text(`echo: ${said}`, { contextId: request.contextId }) });
			bus.finished();
			return;
		}
		const task: Task = { id: request.taskId, contextId: request.contextId, status: { state: TaskState.TASK_STATE_WORKING, message: undefined, timestamp: new Date().toISOString() }, artifacts: [], history: [request.userMessage], metadata: undefined };
		bus.publish({ kind: "task", data: task });
		await new Promise(r => setTimeout(r, slowMs));
		bus.publish({
			kind: "task",
			data: {
				...task,
				status: { state: TaskState.TASK_STATE_COMPLETED, message: undefined, timestamp: new Date().toISOString() },
				artifacts: [{ artifactId: "answer", name: "answer", description: "", parts: text(`echo: ${said}`, { contextId: request.contextId }).parts, metadata: undefined, extensions: [] }]
			}
		});
		bus.finished();
	},
	async cancelTask() {}
});

/** The card as a 0.3 server (Mastra, VoltAgent, LangGraph) serves it: one `url`, no `supportedInterfaces`. */
function legacyCard(card: AgentCard): Record<string, unknown> {
	return {
		protocolVersion: "0.3.0",
		name: card.name,
		description: card.description,
		url: card.supportedInterfaces[0].url,
		preferredTransport: "JSONRPC",
		version: card.version,
		capabilities: { streaming: false, pushNotifications: false },
		defaultInputModes: card.defaultInputModes,
		defaultOutputModes: card.defaultOutputModes,
		skills: card.skills.map(s => ({ id: s.id, name: s.name, description: s.description, tags: s.tags }))
	};
}

/** `legacy`: speaks A2A 0.3 (its card and method names) through the SDK's compat handler. */
export async function startA2aPeer(options: { name?: string; token?: string; slowMs?: number; legacy?: boolean } = {}): Promise<A2aPeer> {
	const authorizations: Array<string | undefined> = [];
	const requests: string[] = [];
	let baseUrl = "";
	const card = (): AgentCard => ({
		name: options.name ?? "Echo Peer",
		description: "Echoes what it is sent",
		supportedInterfaces: [{ url: `${baseUrl}/rpc`, protocolBinding: "JSONRPC", tenant: "", protocolVersion: "1.0" }],
		provider: undefined,
		version: "1.0.0",
		capabilities: { streaming: false, pushNotifications: false, extensions: [] },
		securitySchemes: {},
		securityRequirements: [],
		defaultInputModes: ["text/plain"],
		defaultOutputModes: ["text/plain"],
		skills: [{ id: "echo", name: "Echo", description: "Echoes text", tags: ["echo"], examples: [], inputModes: [], outputModes: [], securityRequirements: [] }],
		signatures: []
	});
	const agentCard = card();
	const handler = new DefaultRequestHandler(agentCard, new InMemoryTaskStore(), echoExecutor(options.slowMs ?? 300));
	const transport = options.legacy ? new LegacyJsonRpcTransportHandler(handler) : new JsonRpcTransportHandler(handler);
	const server = http.createServer((req, res) => {
		authorizations.push(req.headers.authorization);
		requests.push(`${req.method} ${req.url}`);
		const reply = (status: number, body: unknown): void => {
			res.writeHead(status, { "content-type": "application/json" });
			res.end(JSON.stringify(body));
		};
		if (req.method === "GET" && req.url === "/.well-known/agent-card.json") return reply(200, options.legacy ? legacyCard(agentCard) : agentCard);
		if (req.method !== "POST" || req.url !== "/rpc") return reply(404, { error: "not found" });
		if (options.token !== undefined && req.headers.authorization !== `Bearer ${options.token}`) return reply(401, { jsonrpc: "2.0", id: null, error: { code: -32600, message: "a bearer token is required" } });
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			void (async () => {
				const version = req.headers["a2a-version"];
				const context = defaultServerCallContextBuilder({ extensions: undefined, user: undefined, headers: req.headers, requestedVersion: typeof version === "string" ? version : undefined });
				const out = await transport.handle(Buffer.concat(chunks).toString("utf8"), context);
				reply(200, out);
			})().catch((err: Error) => reply(500, { jsonrpc: "2.0", id: null, error: { code: -32603, message: err.message } }));
		});
	});
	await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
	baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	agentCard.supportedInterfaces[0].url = `${baseUrl}/rpc`;
	if (options.legacy) agentCard.supportedInterfaces[0].protocolVersion = "0.3";
	return {
		baseUrl,
		cardUrl: `${baseUrl}/.well-known/agent-card.json`,
		authorizations,
		requests,
		close: () => new Promise<void>(resolve => server.close(() => resolve()))
	};
}
