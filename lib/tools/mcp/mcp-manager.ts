import type { ToolDefinition } from "../tool";
import type { McpServerConfig } from "./mcp-config";
import { McpConnection, type McpConnectionOptions, type McpConnectionStatus } from "./mcp-connection";

/**
 * All the configured MCP servers. `start()` never fails because a server is down: each
 * connection keeps retrying with backoff, and its tools appear when it is back.
 */
export class McpManager {
	private readonly connections = new Map<string, McpConnection>();

	constructor(configs: McpServerConfig[], options: McpConnectionOptions = {}) {
		for (const config of configs) this.connections.set(config.name, new McpConnection(config, options));
	}

	/** Connect all servers in parallel; failures are logged and retried in the background. */
	async start(): Promise<void> {
		await Promise.all(
			[...this.connections.values()].map(c =>
				c.connect().catch(() => {
					// Logged by the connection's retry loop; the server stays listed as unavailable.
				})
			)
		);
	}

	/** Every allowed tool of every connected server. */
	tools(): ToolDefinition[] {
		return [...this.connections.values()].flatMap(c => c.tools());
	}

	/** A tool by id (`mcp:<server>:<tool>`), when its server is connected and allows it. */
	find(id: string): ToolDefinition | undefined {
		const match = /^mcp:([a-z][a-z0-9-]{0,31}):(.+)$/.exec(id);
		if (!match) return undefined;
		return this.connections
			.get(match[1])
			?.tools()
			.find(t => t.id === id);
	}

	connection(name: string): McpConnection | undefined {
		return this.connections.get(name);
	}

	isAvailable(name: string): boolean {
		return this.connections.get(name)?.connected ?? false;
	}

	status(): McpConnectionStatus[] {
		return [...this.connections.values()].map(c => c.status());
	}

	async stop(): Promise<void> {
		await Promise.all([...this.connections.values()].map(c => c.close()));
	}
}
