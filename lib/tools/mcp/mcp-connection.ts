import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, McpError, ToolListChangedNotificationSchema, type Tool } from "@modelcontextprotocol/sdk/types.js";
import type { JsonSchemaObject } from "../../schema/fv-json-schema";
import { ToolFailedError, ToolTimeoutError } from "../errors";
import type { ToolContext, ToolDefinition, ToolResult } from "../tool";
import { isToolAllowed, type McpServerConfig } from "./mcp-config";

export type McpConnectionState = "idle" | "connecting" | "connected" | "reconnecting" | "closed";

/** Fits a Moleculer logger; every method optional to call with a message and data. */
export interface McpLogger {
	debug(...args: unknown[]): void;
	info(...args: unknown[]): void;
	warn(...args: unknown[]): void;
}

export interface McpConnectionOptions {
	/** Time limit of a call when the server's config sets none. */
	defaultTimeoutMs?: number;
	/** Time limit of the handshake and of listing tools (a call's limit may be much shorter). */
	connectTimeoutMs?: number;
	/** First wait before reconnecting; doubles up to `maxBackoffMs`. */
	initialBackoffMs?: number;
	maxBackoffMs?: number;
	logger?: McpLogger;
	/** Called when the server's tool list changes (connected, disconnected, refreshed). */
	onChange?: (server: string) => void;
}

export interface McpConnectionStatus {
	name: string;
	state: McpConnectionState;
	tools: number;
	lastError?: string;
}

const NOOP_LOGGER: McpLogger = { debug: () => {}, info: () => {}, warn: () => {} };
const CLIENT_INFO = { name: "agent-os", version: "0.1.0" };

function textOf(content: unknown): string {
	if (!Array.isArray(content)) return "the tool reported an error";
	const texts = content.flatMap(c => (c && typeof c === "object" && "text" in c && typeof c.text === "string" ? [c.text] : []));
	return texts.join("\n") || "the tool reported an error";
}

function retryable<E extends Error & { retryable: boolean }>(err: E): E {
	err.retryable = true;
	return err;
}

/** One MCP server: connects, lists its allowed tools, calls them, and reconnects when it drops. */
export class McpConnection {
	readonly name: string;
	private client: Client | null = null;
	private transport: Transport | null = null;
	private list: Tool[] = [];
	private definitions: { of: Tool[]; tools: ToolDefinition[] } | null = null;
	private state: McpConnectionState = "idle";
	private attempt = 0;
	private retryTimer: NodeJS.Timeout | null = null;
	private lastError: string | undefined;
	private readonly log: McpLogger;
	private readonly timeoutMs: number;
	private readonly connectTimeoutMs: number;
	private readonly initialBackoffMs: number;
	private readonly maxBackoffMs: number;

	constructor(
		readonly config: McpServerConfig,
		private readonly options: McpConnectionOptions = {}
	) {
		this.name = config.name;
		this.log = options.logger ?? NOOP_LOGGER;
		this.timeoutMs = config.timeoutMs ?? options.defaultTimeoutMs ?? 60_000;
		this.connectTimeoutMs = options.connectTimeoutMs ?? 30_000;
		this.initialBackoffMs = options.initialBackoffMs ?? 500;
		this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
	}

	/** Connect once; on failure it rejects and keeps retrying in the background until `close()`. */
	async connect(): Promise<void> {
		if (this.state === "closed") throw new ToolFailedError(`mcp:${this.name}`, "the connection is closed");
		if (this.state === "connected" || this.state === "connecting") return;
		if (this.retryTimer) clearTimeout(this.retryTimer);
		this.retryTimer = null;
		try {
			await this.open();
		} catch (err) {
			this.scheduleReconnect();
			throw err;
		}
	}

	/** The child process of a stdio server, when it runs. */
	get pid(): number | null {
		return this.transport instanceof StdioClientTransport ? this.transport.pid : null;
	}

	status(): McpConnectionStatus {
		return { name: this.name, state: this.state, tools: this.tools().length, ...(this.lastError ? { lastError: this.lastError } : {}) };
	}

	// A method, so TypeScript does not narrow `state` across the awaits in open().
	private isClosed(): boolean {
		return this.state === "closed";
	}

	get connected(): boolean {
		return this.state === "connected";
	}

	/** The allowed tools; empty while disconnected. */
	tools(): ToolDefinition[] {
		if (this.state !== "connected") return [];
		// Made again only when the server's list is replaced (connected, refreshed): the same definitions keep their compiled argument checks.
		if (this.definitions?.of !== this.list) {
			this.definitions = { of: this.list, tools: this.list.filter(t => isToolAllowed(this.config, t.name)).map(t => this.definition(t)) };
		}
		return this.definitions.tools;
	}

	async close(): Promise<void> {
		this.state = "closed";
		if (this.retryTimer) clearTimeout(this.retryTimer);
		this.retryTimer = null;
		const client = this.client;
		this.client = null;
		this.transport = null;
		this.list = [];
		await client?.close().catch(() => undefined);
	}

	private createTransport(): Transport {
		const c = this.config;
		if (c.transport === "http") {
			return new StreamableHTTPClientTransport(new URL(c.url), { requestInit: { headers: c.headers } });
		}
		// Only PATH and the configured variables: the node's own secrets stay in the node.
		// (The SDK adds HOME, LOGNAME, SHELL, TERM and USER.)
		const transport = new StdioClientTransport({
			command: c.command,
			args: c.args,
			env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...c.env },
			stderr: "pipe",
			...(c.cwd ? { cwd: c.cwd } : {})
		});
		transport.stderr?.on("data", (chunk: Buffer) => this.log.debug(`MCP ${this.name} stderr: ${chunk.toString().trimEnd()}`));
		return transport;
	}

	private async open(): Promise<void> {
		this.state = this.attempt === 0 ? "connecting" : "reconnecting";
		const client = new Client(CLIENT_INFO, { capabilities: {} });
		const transport = this.createTransport();
		client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
			if (this.client === client) void this.refresh(client);
		});
		client.onclose = () => this.dropped(client, "the connection closed");
		client.onerror = err => this.log.debug(`MCP ${this.name} transport error: ${err.message}`);
		try {
			await client.connect(transport, { timeout: this.connectTimeoutMs });
			this.list = await this.listAll(client);
		} catch (err) {
			await client.close().catch(() => undefined);
			this.lastError = err instanceof Error ? err.message : String(err);
			if (!this.isClosed()) this.state = "reconnecting";
			throw err;
		}
		if (this.isClosed()) {
			await client.close().catch(() => undefined);
			return;
		}
		this.client = client;
		this.transport = transport;
		this.state = "connected";
		this.attempt = 0;
		this.lastError = undefined;
		this.log.info(`MCP server ${this.name} connected (${this.tools().length} of ${this.list.length} tools allowed)`);
		this.options.onChange?.(this.name);
	}

	private async listAll(client: Client): Promise<Tool[]> {
		const tools: Tool[] = [];
		let cursor: string | undefined;
		do {
			const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: this.connectTimeoutMs });
			tools.push(...page.tools);
			cursor = page.nextCursor;
		} while (cursor);
		return tools;
	}

	private async refresh(client: Client): Promise<void> {
		try {
			const tools = await this.listAll(client);
			if (this.client !== client) return;
			this.list = tools;
			this.options.onChange?.(this.name);
		} catch (err) {
			this.log.warn(`MCP server ${this.name}: refreshing the tool list failed: ${err instanceof Error ? err.message : String(err)}`);
		}
	}

	private dropped(client: Client, reason: string): void {
		if (this.client !== client || this.state === "closed") return;
		this.client = null;
		this.transport = null;
		this.list = [];
		this.lastError = reason;
		this.state = "reconnecting";
		this.log.warn(`MCP server ${this.name}: ${reason}; reconnecting`);
		void client.close().catch(() => undefined);
		this.options.onChange?.(this.name);
		this.scheduleReconnect();
	}

	private scheduleReconnect(): void {
		if (this.state === "closed" || this.retryTimer) return;
		const delay = Math.min(this.initialBackoffMs * 2 ** this.attempt, this.maxBackoffMs);
		this.attempt++;
		this.retryTimer = setTimeout(() => {
			this.retryTimer = null;
			this.open().catch(err => {
				this.log.warn(`MCP server ${this.name} unavailable (attempt ${this.attempt}): ${err instanceof Error ? err.message : String(err)}`);
				this.scheduleReconnect();
			});
		}, delay);
		this.retryTimer.unref();
	}

	private definition(tool: Tool): ToolDefinition {
		const id = `mcp:${this.name}:${tool.name}`;
		return {
			id,
			description: tool.description ?? tool.title ?? tool.name,
			parameters: tool.inputSchema as JsonSchemaObject,
			capability: this.config.capability,
			source: "mcp",
			run: (args, ctx) => this.call(id, tool.name, args, ctx)
		};
	}

	private async call(id: string, toolName: string, args: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult> {
		const client = this.client;
		if (!client || this.state !== "connected") {
			throw retryable(new ToolFailedError(id, `server ${this.name} is reconnecting`, { server: this.name }));
		}
		let result: Awaited<ReturnType<Client["callTool"]>>;
		try {
			result = await client.callTool({ name: toolName, arguments: args }, undefined, { signal: ctx.signal, timeout: this.timeoutMs });
		} catch (err) {
			if (err instanceof McpError && err.code === ErrorCode.RequestTimeout) throw new ToolTimeoutError(id, this.timeoutMs);
			if (ctx.signal.aborted) throw new ToolTimeoutError(id, this.timeoutMs);
			if (err instanceof McpError && err.code !== ErrorCode.ConnectionClosed) {
				throw new ToolFailedError(id, err.message, { server: this.name, code: err.code });
			}
			// The transport broke under the call: HTTP servers give no close event, so reconnect now.
			if (this.client === client && this.config.transport === "http") this.dropped(client, "a call failed on the transport");
			throw retryable(new ToolFailedError(id, `server ${this.name} is reconnecting`, { server: this.name }));
		}
		if (!("content" in result)) return { content: { content: result.toolResult, isError: false } };
		if (result.isError) throw new ToolFailedError(id, textOf(result.content), { server: this.name, content: result.content });
		return {
			content: {
				content: result.content,
				isError: result.isError ?? false,
				...(result.structuredContent ? { structuredContent: result.structuredContent } : {})
			}
		};
	}
}
