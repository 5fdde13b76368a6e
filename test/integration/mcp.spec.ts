import { mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../lib/kernel/errors";
import { ToolFailedError, ToolTimeoutError } from "../../lib/tools/errors";
import { parseMcpServers, type McpServerConfig } from "../../lib/tools/mcp/mcp-config";
import { McpConnection } from "../../lib/tools/mcp/mcp-connection";
import { McpManager } from "../../lib/tools/mcp/mcp-manager";
import type { ToolContext, ToolDefinition } from "../../lib/tools/tool";
import { startMcpHttpServer, type McpHttpTestServer } from "../support/mcp-http-server";

const EVERYTHING = require.resolve("@modelcontextprotocol/server-everything/dist/index.js");
const FILESYSTEM = require.resolve("@modelcontextprotocol/server-filesystem/dist/index.js");

function ctx(signal: AbortSignal = new AbortController().signal): ToolContext {
	return { agentId: null, caller: { kind: "system", id: "test" }, constraints: {}, signal };
}

function texts(content: unknown): string {
	const c = content as { content: Array<{ type: string; text?: string }> };
	return c.content.map(p => p.text ?? "").join("\n");
}

function everything(over: Partial<McpServerConfig> = {}): McpServerConfig {
	return {
		name: "every",
		transport: "stdio",
		command: process.execPath,
		args: [EVERYTHING, "stdio"],
		env: { MCP_TEST_VISIBLE: "yes" },
		tools: ["echo", "trigger-long-running-operation", "get-env"],
		capability: "tools.execute",
		...over
	} as McpServerConfig;
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
	const end = Date.now() + ms;
	while (!check()) {
		if (Date.now() > end) throw new Error("condition not met in time");
		await new Promise(r => setTimeout(r, 25));
	}
}

function tool(list: ToolDefinition[], id: string): ToolDefinition {
	const t = list.find(d => d.id === id);
	if (!t) throw new Error(`no tool ${id} in ${list.map(d => d.id).join(", ")}`);
	return t;
}

describe("MCP_SERVERS parsing", () => {
	it("parses both transports with defaults", () => {
		const servers = parseMcpServers(
			JSON.stringify([
				{ name: "fs", transport: "stdio", command: "node", args: ["x.js"] },
				{ name: "web", transport: "http", url: "http://127.0.0.1:1/mcp", tools: ["*"], capability: "network.fetch" }
			])
		);
		expect(servers[0]).toMatchObject({ name: "fs", tools: [], capability: "tools.execute", env: {} });
		expect(servers[1]).toMatchObject({ name: "web", tools: ["*"], capability: "network.fetch", headers: {} });
		expect(parseMcpServers(undefined)).toEqual([]);
	});

	it.each([
		["not json", "{", /valid JSON/],
		["bad name", JSON.stringify([{ name: "Fs", transport: "stdio", command: "x" }]), /\[0\]\.name/],
		["bad transport", JSON.stringify([{ name: "fs", transport: "ws" }]), /transport/],
		["no command", JSON.stringify([{ name: "fs", transport: "stdio" }]), /command/],
		["bad url", JSON.stringify([{ name: "w", transport: "http", url: "ftp://x" }]), /url/],
		["env value", JSON.stringify([{ name: "fs", transport: "stdio", command: "x", env: { TOKEN: 1 } }]), /env\.TOKEN/],
		["capability", JSON.stringify([{ name: "fs", transport: "stdio", command: "x", capability: "root" }]), /capability/],
		["unknown field", JSON.stringify([{ name: "fs", transport: "stdio", command: "x", url: "http://a" }]), /unknown field\(s\) url/],
		["duplicate", JSON.stringify([{ name: "a", transport: "stdio", command: "x" }, { name: "a", transport: "stdio", command: "y" }]), /twice/]
	])("refuses %s, naming the field", (_label, raw, message) => {
		let error: unknown;
		try {
			parseMcpServers(raw);
		} catch (err) {
			error = err;
		}
		expect(error).toBeInstanceOf(ConfigError);
		expect((error as ConfigError).key).toBe("MCP_SERVERS");
		expect((error as ConfigError).message).toMatch(message);
	});

	it("never echoes a secret value in its error", () => {
		const raw = JSON.stringify([{ name: "w", transport: "http", url: "http://a/mcp", headers: { Authorization: 42 }, tools: ["s3cr3t-value"] }]);
		expect(() => parseMcpServers(raw)).toThrow(/headers\.Authorization/);
	});
});

describe("MCP over stdio: server-everything", () => {
	let conn: McpConnection;
	const changes: string[] = [];

	beforeAll(async () => {
		process.env.AGENT_OS_TEST_SECRET = "do-not-leak-8731";
		conn = new McpConnection(everything({ timeoutMs: 400 }), { initialBackoffMs: 100, onChange: s => changes.push(s) });
		await conn.connect();
	});
	afterAll(async () => {
		delete process.env.AGENT_OS_TEST_SECRET;
		await conn.close();
	});

	it("lists only the allowlisted tools, as ToolDefinitions", () => {
		const ids = conn.tools().map(t => t.id).sort();
		expect(ids).toEqual(["mcp:every:echo", "mcp:every:get-env", "mcp:every:trigger-long-running-operation"]);
		const echo = tool(conn.tools(), "mcp:every:echo");
		expect(echo).toMatchObject({ source: "mcp", capability: "tools.execute" });
		expect(echo.parameters).toMatchObject({ type: "object", properties: { message: { type: "string" } } });
		expect(changes).toContain("every");
	});

	it("calls echo", async () => {
		const res = await tool(conn.tools(), "mcp:every:echo").run({ message: "hello" }, ctx());
		expect(texts(res.content)).toBe("Echo: hello");
		expect(res.content).toMatchObject({ isError: false });
	});

	it("gives the server PATH and its configured env, not the node's secrets", async () => {
		const res = await tool(conn.tools(), "mcp:every:get-env").run({}, ctx());
		const env = texts(res.content);
		expect(env).toContain("MCP_TEST_VISIBLE");
		expect(env).toContain("PATH");
		expect(env).not.toContain("do-not-leak-8731");
	});

	it("times out a slow call with ToolTimeoutError, and the connection still works", async () => {
		const started = Date.now();
		const slow = tool(conn.tools(), "mcp:every:trigger-long-running-operation").run({ duration: 10, steps: 2 }, ctx());
		await expect(slow).rejects.toBeInstanceOf(ToolTimeoutError);
		expect(Date.now() - started).toBeLessThan(3000);
		const res = await tool(conn.tools(), "mcp:every:echo").run({ message: "still here" }, ctx());
		expect(texts(res.content)).toBe("Echo: still here");
	});

	it("ends a call when the caller's signal aborts", async () => {
		const ac = new AbortController();
		setTimeout(() => ac.abort(new Error("time limit")), 100);
		const slow = tool(conn.tools(), "mcp:every:trigger-long-running-operation").run({ duration: 10, steps: 2 }, ctx(ac.signal));
		await expect(slow).rejects.toBeInstanceOf(ToolTimeoutError);
	});

	it("after the server crashes, calls fail retryably, then it reconnects and works", async () => {
		const echo = tool(conn.tools(), "mcp:every:echo");
		const pid = conn.pid;
		expect(pid).toEqual(expect.any(Number));
		changes.length = 0;
		process.kill(pid as number, "SIGKILL");
		await until(() => !conn.connected);
		expect(conn.tools()).toEqual([]);
		const err: unknown = await echo.run({ message: "x" }, ctx()).catch(e => e);
		expect(err).toBeInstanceOf(ToolFailedError);
		expect((err as ToolFailedError).retryable).toBe(true);
		expect((err as ToolFailedError).message).toMatch(/server every is reconnecting/);

		await until(() => conn.connected);
		expect(conn.pid).not.toBe(pid);
		expect(changes.length).toBeGreaterThanOrEqual(2);
		const res = await tool(conn.tools(), "mcp:every:echo").run({ message: "back" }, ctx());
		expect(texts(res.content)).toBe("Echo: back");
	});
});

describe("MCP over stdio: server-filesystem", () => {
	let dir: string;
	let conn: McpConnection;

	beforeAll(async () => {
		dir = await realpath(await mkdtemp(join(tmpdir(), "agent-os-mcp-")));
		await writeFile(join(dir, "notes.txt"), "hello from the file\n");
		conn = new McpConnection({
			name: "fs",
			transport: "stdio",
			command: process.execPath,
			args: [FILESYSTEM, dir],
			env: {},
			tools: ["list_directory", "read_text_file"],
			capability: "fs.read"
		});
		await conn.connect();
	});
	afterAll(async () => {
		await conn.close();
		await rm(dir, { recursive: true, force: true });
	});

	it("lists the directory and reads the file", async () => {
		expect(conn.tools().map(t => t.id).sort()).toEqual(["mcp:fs:list_directory", "mcp:fs:read_text_file"]);
		expect(conn.tools()[0].capability).toBe("fs.read");
		const list = await tool(conn.tools(), "mcp:fs:list_directory").run({ path: dir }, ctx());
		expect(texts(list.content)).toContain("[FILE] notes.txt");
		const read = await tool(conn.tools(), "mcp:fs:read_text_file").run({ path: join(dir, "notes.txt") }, ctx());
		expect(texts(read.content)).toBe("hello from the file\n");
	});

	it("turns a tool error (a path outside the root) into ToolFailedError", async () => {
		const err: unknown = await tool(conn.tools(), "mcp:fs:read_text_file").run({ path: "/etc/passwd" }, ctx()).catch(e => e);
		expect(err).toBeInstanceOf(ToolFailedError);
		expect((err as Error).message).toMatch(/mcp:fs:read_text_file failed: .*(denied|outside)/i);
	});
});

describe("MCP over Streamable HTTP", () => {
	let server: McpHttpTestServer;
	let conn: McpConnection;
	const changes: string[] = [];

	beforeAll(async () => {
		server = await startMcpHttpServer();
		// The timeout bounds every call, the quick ones too: wide enough for them on a busy machine, far below `slow`'s 5 s.
		conn = new McpConnection(
			{ name: "web", transport: "http", url: server.url, headers: { "x-test": "1" }, tools: ["*"], capability: "tools.execute", timeoutMs: 1500 },
			{ onChange: s => changes.push(s), initialBackoffMs: 100 }
		);
		await conn.connect();
	});
	afterAll(async () => {
		await conn.close();
		await server.stop();
	});

	it("lists all tools with '*' and calls add", async () => {
		expect(conn.tools().map(t => t.id).sort()).toEqual(["mcp:web:add", "mcp:web:fail", "mcp:web:slow", "mcp:web:toggle"]);
		const res = await tool(conn.tools(), "mcp:web:add").run({ a: 2, b: 40 }, ctx());
		expect(texts(res.content)).toBe("42");
	});

	it("reports isError as ToolFailedError with the tool's text", async () => {
		await expect(tool(conn.tools(), "mcp:web:fail").run({}, ctx())).rejects.toThrow("mcp:web:fail failed: it broke");
	});

	it("times out a slow call, and the next call works", async () => {
		await expect(tool(conn.tools(), "mcp:web:slow").run({ ms: 5000 }, ctx())).rejects.toBeInstanceOf(ToolTimeoutError);
		const res = await tool(conn.tools(), "mcp:web:add").run({ a: 1, b: 1 }, ctx());
		expect(texts(res.content)).toBe("2");
	});

	it("refreshes the list on notifications/tools/list_changed", async () => {
		changes.length = 0;
		await tool(conn.tools(), "mcp:web:toggle").run({}, ctx());
		await until(() => conn.tools().some(t => t.id === "mcp:web:extra"));
		expect(changes).toContain("web");
		const res = await tool(conn.tools(), "mcp:web:extra").run({}, ctx());
		expect(texts(res.content)).toBe("extra!");
		await tool(conn.tools(), "mcp:web:toggle").run({}, ctx());
		await until(() => !conn.tools().some(t => t.id === "mcp:web:extra"));
	});

	it("when the server goes away, calls fail retryably; when it is back, it reconnects", async () => {
		const add = tool(conn.tools(), "mcp:web:add");
		const port = Number(new URL(server.url).port);
		await server.stop();
		const err: unknown = await add.run({ a: 1, b: 2 }, ctx()).catch(e => e);
		expect(err).toBeInstanceOf(ToolFailedError);
		expect((err as ToolFailedError).retryable).toBe(true);
		expect(conn.connected).toBe(false);
		expect(conn.tools()).toEqual([]);
		await expect(add.run({ a: 1, b: 2 }, ctx())).rejects.toThrow(/server web is reconnecting/);

		server = await startMcpHttpServer({ port });
		await until(() => conn.connected);
		const res = await tool(conn.tools(), "mcp:web:add").run({ a: 5, b: 5 }, ctx());
		expect(texts(res.content)).toBe("10");
	});
});

describe("McpManager", () => {
	let server: McpHttpTestServer;
	let manager: McpManager;

	beforeAll(async () => {
		server = await startMcpHttpServer();
		manager = new McpManager(
			[
				everything({ tools: ["echo"] }),
				{ name: "web", transport: "http", url: server.url, headers: {}, tools: ["add"], capability: "tools.execute" },
				{ name: "ghost", transport: "stdio", command: "/nonexistent/mcp-server", args: [], env: {}, tools: ["*"], capability: "tools.execute" }
			],
			{ initialBackoffMs: 100 }
		);
	});
	afterAll(async () => {
		await manager.stop();
		await server.stop();
	});

	it("starts without throwing when a server cannot start, and reports it unavailable", async () => {
		await expect(manager.start()).resolves.toBeUndefined();
		expect(manager.isAvailable("every")).toBe(true);
		expect(manager.isAvailable("web")).toBe(true);
		expect(manager.isAvailable("ghost")).toBe(false);
		const ghost = manager.status().find(s => s.name === "ghost");
		expect(ghost).toMatchObject({ state: "reconnecting", tools: 0 });
		expect(ghost?.lastError).toMatch(/ENOENT/);
		expect(manager.tools().map(t => t.id).sort()).toEqual(["mcp:every:echo", "mcp:web:add"]);
	});

	it("finds tools by id and runs them", async () => {
		const add = manager.find("mcp:web:add");
		if (!add) throw new Error("mcp:web:add not found");
		expect(texts((await add.run({ a: 3, b: 4 }, ctx())).content)).toBe("7");
		expect(manager.find("mcp:web:slow")).toBeUndefined();
		expect(manager.find("mcp:ghost:anything")).toBeUndefined();
		expect(manager.find("builtin:http_fetch")).toBeUndefined();
	});
});
