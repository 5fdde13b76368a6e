import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { ErrorBody } from "../../services/api.service";
import type { ToolInfo } from "../../lib/tools/tool";
import { FAST_AGENT_ENV, echoManifest, post, spawnAgent, task } from "../support/agents";
import { eventually, startTestNode, type TestNode } from "../support/test-node";
import { testTempDir } from "../support/test-tmp";

describe("tools through the tools service", () => {
	let t: TestNode;
	let site: http.Server;
	let sitePort: number;
	const workspace = testTempDir("agentos-workspace-");

	beforeAll(async () => {
		fs.writeFileSync(path.join(workspace, "notes.txt"), "remember the milk\n");
		site = http.createServer((req, res) => {
			res.setHeader("content-type", "text/plain; charset=utf-8");
			res.end(`hello from ${req.url}`);
		});
		await new Promise<void>(resolve => site.listen(0, "127.0.0.1", resolve));
		sitePort = (site.address() as AddressInfo).port;
		t = await startTestNode({
			...FAST_AGENT_ENV,
			ALLOWED_PATHS: workspace,
			ALLOWED_COMMANDS: "echo",
			ALLOWED_DOMAINS: `127.0.0.1:${sitePort}`,
			APPROVAL_TIMEOUT_MS: "5000"
		});
		await t.node.ready;
		t.node.broker.createService({
			name: "weather",
			actions: {
				forecast: {
					tool: true,
					description: "The weather in a city for the next days",
					params: { city: "string", days: { type: "number", integer: true, min: 1, max: 7, optional: true } },
					handler: ctx => ({ city: (ctx.params as { city: string }).city, sky: "clear" })
				}
			}
		});
		await spawnAgent(t, echoManifest("reader", { permissions: ["tools.execute", "fs.read", "network.fetch", "shell.exec"], trustLevel: "autonomous" }));
		await spawnAgent(t, echoManifest("blind", { permissions: ["tools.execute"], trustLevel: "autonomous" }));
		await spawnAgent(t, echoManifest("writer", { permissions: ["tools.execute", "fs.write"] }));
		await spawnAgent(t, echoManifest("handsonly", { permissions: ["fs.read"], trustLevel: "autonomous" }));
	});
	afterAll(async () => {
		await t.stop();
		site.close();
	});

	it("lists built-ins and actions that declare tool: true, each with its JSON Schema", async () => {
		await eventually("the weather action to be listed", async () => (await t.json<ToolInfo[]>("/api/v1/tools")).some(x => x.id === "action:weather.forecast"));
		const tools = await t.json<ToolInfo[]>("/api/v1/tools");
		expect(tools.map(x => x.id)).toEqual(
			expect.arrayContaining(["builtin:http_fetch", "builtin:file_read", "builtin:file_write", "builtin:file_list", "builtin:shell_exec", "builtin:repo_summary", "action:weather.forecast"])
		);
		const forecast = tools.find(x => x.id === "action:weather.forecast")!;
		expect(forecast).toMatchObject({ source: "action", capability: "tools.execute", description: "The weather in a city for the next days" });
		expect(forecast.parameters).toMatchObject({
			type: "object",
			required: ["city"],
			properties: { city: { type: "string" }, days: { type: "integer", minimum: 1, maximum: 7 } }
		});
		expect(tools.find(x => x.id === "builtin:file_write")!.requiresConfirmation).toBe(true);
	});

	it("lets an agent use a tool through ctx.tools, within its grants", async () => {
		const { status, body } = await task<{ content: { content: string } }>(t, "reader", { task: { type: "tool", toolId: "builtin:file_read", arguments: { path: "notes.txt" } } });
		expect(status).toBe(200);
		expect(body.result.content.content).toBe("remember the milk\n");
		const action = await task<{ content: unknown }>(t, "reader", { task: { type: "tool", toolId: "action:weather.forecast", arguments: { city: "Oslo" } } });
		expect(action.body.result.content).toEqual({ city: "Oslo", sky: "clear" });
	});

	it("refuses a tool whose capability the agent lacks, and audits it", async () => {
		const { status, body } = await task(t, "blind", { task: { type: "tool", toolId: "builtin:file_read", arguments: { path: "notes.txt" } } });
		// The refusal reaches the task's caller as it is, not as the agent's failure.
		expect(status).toBe(403);
		expect(body.error).toMatchObject({ type: "PERMISSION_DENIED", data: { agentId: "blind", capability: "fs.read" } });
		await t.node.audit.flush();
		const { items } = await t.json<{ items: { action: string; outcome: string }[] }>("/api/v1/audit?agentId=blind&action=tools.*");
		expect(items.some(i => i.outcome === "failed" || i.outcome === "denied")).toBe(true);
	});

	it("answers bad arguments with 422 naming the field", async () => {
		const res = await post<ErrorBody>(t, "/api/v1/agents/reader/tools/action:weather.forecast/invoke", { arguments: { days: 9 } });
		expect(res.status).toBe(422);
		expect(res.body.error.type).toBe("TOOL_ARGUMENTS_INVALID");
		expect(res.body.error.message).toContain("arguments.city");
		expect(res.body.error.message).toContain("arguments.days");
		const missing = await post<ErrorBody>(t, "/api/v1/agents/reader/tools/builtin:nope/invoke", { arguments: {} });
		expect(missing.status).toBe(404);
	});

	it("fetches an allowlisted site, and refuses one that is not", async () => {
		const ok = await post<{ content: { status: number; body: string } }>(t, "/api/v1/agents/reader/tools/builtin:http_fetch/invoke", { arguments: { url: `http://127.0.0.1:${sitePort}/page` } });
		expect(ok.body.content).toMatchObject({ status: 200, body: "hello from /page" });
		const refused = await post<ErrorBody>(t, "/api/v1/agents/reader/tools/builtin:http_fetch/invoke", { arguments: { url: "http://169.254.169.254/latest/meta-data" } });
		expect(refused.status).toBe(403);
		expect(refused.body.error.type).toBe("TOOL_REFUSED");
		// The refusal is on the record, with why.
		await t.node.audit.flush();
		const { items } = await t.json<{ items: { action: string; outcome: string; data: { reason?: string } }[] }>("/api/v1/audit?action=tools.invoke&outcome=denied");
		expect(items.some(i => i.data.reason === "TOOL_REFUSED")).toBe(true);
	});

	it("runs allowlisted commands only, without a shell", async () => {
		const ok = await post<{ content: { stdout: string; exitCode: number } }>(t, "/api/v1/agents/reader/tools/builtin:shell_exec/invoke", { arguments: { command: "echo", args: ["a; rm -rf /"] } });
		expect(ok.body.content).toMatchObject({ stdout: "a; rm -rf /\n", exitCode: 0 });
		const refused = await post<ErrorBody>(t, "/api/v1/agents/reader/tools/builtin:shell_exec/invoke", { arguments: { command: "rm", args: ["-rf", workspace] } });
		expect(refused.status).toBe(403);
		expect(fs.existsSync(workspace)).toBe(true);
	});

	describe("a person invoking a tool for an agent", () => {
		const invoke = (agentId: string, toolId: string, args: Record<string, unknown>, token?: string) =>
			t.request(`/api/v1/agents/${agentId}/tools/${toolId}/invoke`, {
				method: "POST",
				headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
				body: JSON.stringify({ arguments: args })
			});

		it("needs the admin scope: a token that may spawn agents and send them tasks may not act as one", async () => {
			const { body } = await post<{ token: string }>(t, "/api/v1/tokens", { name: "operator", scopes: ["agents:write", "agents:read", "tasks"] });
			const res = await invoke("reader", "builtin:file_read", { path: "notes.txt" }, body.token);
			expect(res.status).toBe(403);
			const { error } = (await res.json()) as ErrorBody;
			expect(error).toMatchObject({ type: "FORBIDDEN_SCOPE", data: { scope: "admin" } });
			expect(error.message).toContain('"admin"');
		});

		it("holds an admin to the agent's grants: no tools.execute, or no grant of the tool's capability, is the agent's 403", async () => {
			const noTools = await invoke("handsonly", "builtin:file_read", { path: "notes.txt" });
			expect(noTools.status).toBe(403);
			expect(((await noTools.json()) as ErrorBody).error).toMatchObject({ type: "PERMISSION_DENIED", data: { agentId: "handsonly", capability: "tools.execute" } });
			const noCapability = await invoke("blind", "builtin:file_read", { path: "notes.txt" });
			expect(noCapability.status).toBe(403);
			expect(((await noCapability.json()) as ErrorBody).error).toMatchObject({ type: "PERMISSION_DENIED", data: { agentId: "blind", capability: "fs.read" } });
			// On the record: the agent's refusal, and the person who asked.
			await t.node.audit.flush();
			const { items } = await t.json<{ items: { actor: { kind: string; id: string }; outcome: string; data: { capability?: string } }[] }>(
				"/api/v1/audit?agentId=handsonly&action=tools.invoke"
			);
			expect(items).toEqual(
				expect.arrayContaining([
					expect.objectContaining({
						actor: { kind: "agent", id: "handsonly" },
						principal: { kind: "user", id: "admin" },
						outcome: "denied",
						data: expect.objectContaining({ capability: "tools.execute" })
					}),
					expect.objectContaining({ actor: { kind: "user", id: "admin" }, outcome: "failed", data: expect.objectContaining({ error: "PERMISSION_DENIED" }) })
				])
			);
		});

		it("makes the admin's call for a supervised agent wait for an approval, as the agent's own call does", async () => {
			const target = path.join(workspace, "by-admin.txt");
			const call = invoke("writer", "builtin:file_write", { path: "by-admin.txt", content: "asked by a person" });
			let waiting: { id: string; action: string; agentId: string; reason: string }[] = [];
			await eventually("the approval", async () => (waiting = (await t.json<{ items: typeof waiting }>("/api/v1/approvals?status=pending")).items).length === 1);
			expect(waiting[0]).toMatchObject({ action: "builtin:file_write", agentId: "writer", reason: "admin, as supervised agent writer, asks to run builtin:file_write" });
			expect(fs.existsSync(target)).toBe(false);
			await post(t, `/api/v1/approvals/${waiting[0].id}/approve`, {});
			expect((await call).status).toBe(200);
			expect(fs.readFileSync(target, "utf8")).toBe("asked by a person");
		});
	});

	it("runs the tool-calling loop for a code agent (ctx.llm.run), offline: tool call → result → answer", async () => {
		await spawnAgent(t, echoManifest("looper", { permissions: ["llm.execute", "tools.execute", "network.fetch"], trustLevel: "autonomous" }));
		const { status, body } = await task<{
			answer: string | null;
			stopReason: string;
			steps: { toolCalls: { toolId: string; ok: boolean; arguments: Record<string, unknown> }[] }[];
			provider: string;
		}>(t, "looper", { task: { type: "run", message: `Fetch http://127.0.0.1:${sitePort}/report please`, tools: ["builtin:http_fetch"] } });
		expect(status).toBe(200);
		expect(body.result).toMatchObject({ stopReason: "answer", provider: "offline" });
		expect(body.result.steps[0].toolCalls[0]).toMatchObject({ toolId: "builtin:http_fetch", ok: true, arguments: { url: `http://127.0.0.1:${sitePort}/report` } });
		expect(body.result.answer).toContain("hello from /report");
	});

	it("makes a supervised agent wait for a person before writing a file", async () => {
		const pending = task(t, "writer", { task: { type: "tool", toolId: "builtin:file_write", arguments: { path: "out.txt", content: "approved words" } } });
		let waiting: { id: string; action: string }[] = [];
		await eventually("the approval", async () => (waiting = (await t.json<{ items: { id: string; action: string }[] }>("/api/v1/approvals?status=pending")).items).length === 1);
		expect(waiting[0].action).toBe("builtin:file_write");
		expect(fs.existsSync(path.join(workspace, "out.txt"))).toBe(false);
		await post(t, `/api/v1/approvals/${waiting[0].id}/approve`, {});
		expect((await pending).status).toBe(200);
		expect(fs.readFileSync(path.join(workspace, "out.txt"), "utf8")).toBe("approved words");
	});
});
