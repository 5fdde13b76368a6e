import type { ChatMessage, ToolCall, ToolSpec } from "../../lib/mal/types";
import type { ChatResult } from "../../lib/mal/results";
import { confirmingTools } from "../../lib/framework/tool-confirmation";
import { runToolLoop, safeToolNames, type LoopDeps, type LoopEvent } from "../../lib/framework/tool-loop";

type Request = { model?: string; messages: ChatMessage[]; tools?: ToolSpec[] };

function reply(content: string | null, toolCalls: ToolCall[] = [], tokens = 10, costUsd = 0.01): ChatResult {
	return {
		message: { role: "assistant", content, toolCalls },
		finishReason: toolCalls.length ? "tool_calls" : "stop",
		usage: { promptTokens: tokens - 2, completionTokens: 2, totalTokens: tokens },
		costUsd,
		priced: true,
		provider: "fake",
		model: "fake-1",
		requestId: "r",
		retries: 0,
		failovers: [],
		latencyMs: 1
	};
}

/** A scripted model: answers in order, records every request (messages copied, as the loop mutates its own list). */
function scriptedModel(script: ChatResult[] | ((n: number) => ChatResult)) {
	const requests: Request[] = [];
	const chat = async (req: Request): Promise<ChatResult> => {
		requests.push({ ...req, messages: [...req.messages] });
		const next = typeof script === "function" ? script(requests.length) : script[requests.length - 1];
		if (!next) throw new Error("script exhausted");
		return next;
	};
	return { chat, requests };
}

const call = (id: string, name: string, args: Record<string, unknown> = {}): ToolCall => ({ id, name, arguments: args });
const tool = (id: string) => ({ id, description: `tool ${id}`, parameters: { type: "object" } });

function deps(chat: LoopDeps["chat"], tools: Record<string, (args: Record<string, unknown>) => Promise<unknown>>) {
	const invoked: Array<{ toolId: string; args: Record<string, unknown> }> = [];
	const invokeTool = async (toolId: string, args: Record<string, unknown>) => {
		invoked.push({ toolId, args });
		const fn = tools[toolId];
		if (!fn) throw new Error(`no fake for ${toolId}`);
		return fn(args);
	};
	return { deps: { chat, invokeTool }, invoked };
}

describe("safeToolNames", () => {
	it("maps ids to provider-safe names and back", () => {
		const ids = ["builtin:http_fetch", "mcp:fs:read_file", "action:weather.forecast"];
		const names = safeToolNames(ids);
		expect([...names.keys()]).toEqual(["builtin_http_fetch", "mcp_fs_read_file", "action_weather_forecast"]);
		expect([...names.values()]).toEqual(ids);
		for (const name of names.keys()) expect(name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
	});

	it("gives colliding and over-long ids distinct valid names", () => {
		const long = "mcp:" + "x".repeat(80);
		const names = safeToolNames(["a:b", "a.b", "a_b", long, long + "y"]);
		expect(names.size).toBe(5);
		for (const name of names.keys()) expect(name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
		expect(names.get("a_b")).toBe("a:b");
		expect(names.get("a_b_2")).toBe("a.b");
		expect(names.get("a_b_3")).toBe("a_b");
	});
});

describe("runToolLoop", () => {
	it("runs a tool call, sends the result back, and returns the answer", async () => {
		const model = scriptedModel([reply(null, [call("c1", "mcp_fs_read_file", { path: "/a" })]), reply("the file says hi")]);
		const { deps: d, invoked } = deps(model.chat, { "mcp:fs:read_file": async () => ({ content: "hi" }) });
		const result = await runToolLoop("read /a", d, { tools: [tool("mcp:fs:read_file")], maxSteps: 5 });

		expect(result.answer).toBe("the file says hi");
		expect(result.stopReason).toBe("answer");
		expect(invoked).toEqual([{ toolId: "mcp:fs:read_file", args: { path: "/a" } }]);
		expect(model.requests[0].tools).toEqual([{ name: "mcp_fs_read_file", description: "tool mcp:fs:read_file", parameters: { type: "object" } }]);
		expect(model.requests[1].messages).toEqual([
			{ role: "user", content: "read /a" },
			{ role: "assistant", content: null, toolCalls: [call("c1", "mcp_fs_read_file", { path: "/a" })] },
			{ role: "tool", content: JSON.stringify({ content: "hi" }), toolCallId: "c1", name: "mcp_fs_read_file" }
		]);
		expect(result.steps).toEqual([{ step: 1, toolCalls: [{ id: "c1", toolId: "mcp:fs:read_file", arguments: { path: "/a" }, ok: true, result: '{"content":"hi"}' }] }]);
		expect(result.messages.at(-1)).toEqual({ role: "assistant", content: "the file says hi" });
	});

	it("runs the calls of one step in parallel and sends both results back", async () => {
		let releaseA!: () => void;
		const aStarted = new Promise<void>(r => (releaseA = r));
		const model = scriptedModel([reply(null, [call("a", "builtin_a"), call("b", "builtin_b")]), reply("done")]);
		const { deps: d } = deps(model.chat, {
			// a only finishes once b has started: sequential execution would deadlock (and time out).
			"builtin:a": async () => {
				await aStarted;
				return "A";
			},
			"builtin:b": async () => {
				releaseA();
				return "B";
			}
		});
		const result = await runToolLoop("go", d, { tools: [tool("builtin:a"), tool("builtin:b")], maxSteps: 3 });
		expect(result.answer).toBe("done");
		const toolMsgs = model.requests[1].messages.filter(m => m.role === "tool");
		expect(toolMsgs.map(m => [m.toolCallId, m.content])).toEqual([
			["a", '"A"'],
			["b", '"B"']
		]);
	});

	it("turns a throwing tool into an error result and keeps going", async () => {
		const model = scriptedModel([reply(null, [call("c1", "builtin_x")]), reply("sorry, it failed")]);
		const err = Object.assign(new Error("path outside allowed roots"), { type: "TOOL_REFUSED" });
		const { deps: d } = deps(model.chat, { "builtin:x": () => Promise.reject(err) });
		const result = await runToolLoop("x", d, { tools: [tool("builtin:x")], maxSteps: 3 });
		expect(result.stopReason).toBe("answer");
		expect(result.answer).toBe("sorry, it failed");
		const toolMsg = model.requests[1].messages.at(-1);
		expect(toolMsg?.content).toBe(JSON.stringify({ error: "TOOL_REFUSED: path outside allowed roots" }));
		expect(result.steps[0].toolCalls[0].ok).toBe(false);
	});

	it("answers an unknown tool name with an error result instead of throwing", async () => {
		const model = scriptedModel([reply(null, [call("c1", "no_such_tool")]), reply("ok")]);
		const { deps: d, invoked } = deps(model.chat, {});
		const result = await runToolLoop("x", d, { tools: [tool("builtin:x")], maxSteps: 3 });
		expect(invoked).toEqual([]);
		expect(model.requests[1].messages.at(-1)?.content).toBe(JSON.stringify({ error: "Error: unknown tool no_such_tool" }));
		expect(result.steps[0].toolCalls[0]).toMatchObject({ ok: false, toolId: "no_such_tool" });
		expect(result.answer).toBe("ok");
	});

	it("stops at maxSteps when the model keeps calling tools", async () => {
		const model = scriptedModel(n => reply(null, [call(`c${n}`, "builtin_x")]));
		const { deps: d, invoked } = deps(model.chat, { "builtin:x": async () => 1 });
		const result = await runToolLoop("loop", d, { tools: [tool("builtin:x")], maxSteps: 3 });
		expect(result.stopReason).toBe("max_steps");
		expect(result.answer).toBeNull();
		expect(model.requests).toHaveLength(3);
		// The last step's calls are not run: the model would never see their results.
		expect(invoked).toHaveLength(2);
		// The kept conversation ends on a tool result, never on an unanswered tool-call turn.
		expect(result.messages.at(-1)?.role).toBe("tool");
	});

	it("stops on the token budget before running more tools", async () => {
		const model = scriptedModel(n => reply(null, [call(`c${n}`, "builtin_x")], 40, 0));
		const { deps: d, invoked } = deps(model.chat, { "builtin:x": async () => 1 });
		const result = await runToolLoop("x", d, { tools: [tool("builtin:x")], maxSteps: 10, maxTokens: 100 });
		expect(result.stopReason).toBe("budget_tokens");
		expect(result.answer).toBeNull();
		expect(model.requests).toHaveLength(3);
		expect(invoked).toHaveLength(2);
		expect(result.usage.totalTokens).toBe(120);
	});

	it("stops on the USD budget", async () => {
		const model = scriptedModel(n => reply(null, [call(`c${n}`, "builtin_x")], 5, 0.3));
		const { deps: d, invoked } = deps(model.chat, { "builtin:x": async () => 1 });
		const result = await runToolLoop("x", d, { tools: [tool("builtin:x")], maxSteps: 10, maxUsd: 0.5 });
		expect(result.stopReason).toBe("budget_usd");
		expect(model.requests).toHaveLength(2);
		expect(invoked).toHaveLength(1);
		expect(result.costUsd).toBeCloseTo(0.6);
	});

	it("places instructions then history before the user message", async () => {
		const model = scriptedModel([reply("hello again")]);
		const history: ChatMessage[] = [
			{ role: "user", content: "hi" },
			{ role: "assistant", content: "hello" }
		];
		const { deps: d } = deps(model.chat, {});
		const result = await runToolLoop("again", d, { instructions: "be brief", history, model: "smart", maxSteps: 2 });
		expect(model.requests[0].model).toBe("smart");
		expect(model.requests[0].tools).toBeUndefined();
		expect(model.requests[0].messages).toEqual([{ role: "system", content: "be brief" }, ...history, { role: "user", content: "again" }]);
		expect(result.messages).toEqual([...history, { role: "user", content: "again" }, { role: "assistant", content: "hello again" }]);
	});

	it("emits events in order and sums usage and cost across steps", async () => {
		const model = scriptedModel([reply(null, [call("a", "builtin_a"), call("b", "builtin_b")], 10, 0.01), reply("fin", [], 20, 0.02)]);
		const { deps: d } = deps(model.chat, { "builtin:a": async () => "A", "builtin:b": () => Promise.reject(new TypeError("bad")) });
		const events: LoopEvent[] = [];
		const result = await runToolLoop("x", d, { tools: [tool("builtin:a"), tool("builtin:b")], maxSteps: 5, onEvent: e => events.push(e) });
		expect(events.map(e => (e.type === "tool_call" ? `call:${e.call.name}` : e.type === "tool_result" ? `result:${e.callId}:${e.ok}` : e.type))).toEqual([
			"model",
			"call:builtin:a",
			"call:builtin:b",
			"result:a:true",
			"result:b:false",
			"model",
			"answer"
		]);
		expect(result.usage).toEqual({ promptTokens: 26, completionTokens: 4, totalTokens: 30 });
		expect(result.costUsd).toBeCloseTo(0.03);
		expect(result.provider).toBe("fake");
		expect(result.model).toBe("fake-1");
	});

	it("cuts long tool results to 500 chars in the record but sends the full result to the model", async () => {
		const big = "x".repeat(2000);
		const model = scriptedModel([reply(null, [call("c", "builtin_x")]), reply("ok")]);
		const { deps: d } = deps(model.chat, { "builtin:x": async () => big });
		const result = await runToolLoop("x", d, { tools: [tool("builtin:x")], maxSteps: 3 });
		expect(result.steps[0].toolCalls[0].result).toHaveLength(500);
		expect(model.requests[1].messages.at(-1)?.content).toBe(JSON.stringify(big));
	});
});

describe("the loop's tools marked requiresConfirmation (confirmingTools)", () => {
	const asked = (answers: Record<string, unknown>[] | Error) => {
		const calls: { action: string; params: unknown }[] = [];
		const ctxCall = async (action: string, params: unknown) => {
			calls.push({ action, params });
			if (answers instanceof Error) throw answers;
			return answers.shift();
		};
		return { ctxCall, calls };
	};
	const pending = Object.assign(new Error("waits for a person"), { type: "APPROVAL_PENDING", data: { approvalId: "a1" } });

	it("asks a person through approvals.waitFor before a marked tool, naming it and its arguments, and runs it once approved", async () => {
		const { ctxCall, calls } = asked([{ approved: true, note: null, approvalId: "a1" }]);
		const model = scriptedModel([reply(null, [call("1", "builtin_shell_exec", { command: "ls" }), call("2", "builtin_http_fetch", { url: "u" })]), reply("done")]);
		const { deps: d, invoked } = deps(model.chat, { "builtin:shell_exec": async () => "listing", "builtin:http_fetch": async () => "page" });
		const result = await runToolLoop("go", { ...d, ...confirmingTools(ctxCall, ["builtin:shell_exec"], d.invokeTool) }, { tools: [tool("builtin:shell_exec"), tool("builtin:http_fetch")], maxSteps: 3 });
		expect(calls).toEqual([{ action: "approvals.waitFor", params: { reason: 'Run the tool builtin:shell_exec with {"command":"ls"}', data: { toolId: "builtin:shell_exec", arguments: { command: "ls" } } } }]);
		expect(invoked.map(i => i.toolId).sort()).toEqual(["builtin:http_fetch", "builtin:shell_exec"]);
		expect(result.answer).toBe("done");
	});

	it("gives the model a person's denial, with the note, instead of running the tool", async () => {
		const { ctxCall } = asked([{ approved: false, note: "not on prod", approvalId: "a1" }]);
		const model = scriptedModel([reply(null, [call("1", "builtin_shell_exec", { command: "rm" })]), reply("ok, I won't")]);
		const { deps: d, invoked } = deps(model.chat, { "builtin:shell_exec": async () => "gone" });
		const result = await runToolLoop("go", { ...d, ...confirmingTools(ctxCall, ["builtin:shell_exec"], d.invokeTool) }, { tools: [tool("builtin:shell_exec")], maxSteps: 3 });
		expect(invoked).toEqual([]);
		expect(result.steps[0].toolCalls[0]).toMatchObject({ ok: false, result: expect.stringContaining("APPROVAL_DENIED: A person denied builtin:shell_exec: not on prod") });
		expect(model.requests[1].messages.at(-1)).toMatchObject({ role: "tool", content: expect.stringContaining("not on prod") });
	});

	it("ends the loop with APPROVAL_PENDING (a durable run suspends) instead of showing it to the model", async () => {
		const { ctxCall } = asked(pending);
		const model = scriptedModel([reply(null, [call("1", "builtin_shell_exec", { command: "ls" })]), reply("never")]);
		const { deps: d, invoked } = deps(model.chat, { "builtin:shell_exec": async () => "listing" });
		await expect(runToolLoop("go", { ...d, ...confirmingTools(ctxCall, ["builtin:shell_exec"], d.invokeTool) }, { tools: [tool("builtin:shell_exec")], maxSteps: 3 })).rejects.toBe(pending);
		expect(invoked).toEqual([]);
		expect(model.requests).toHaveLength(1);
	});

	it.each([
		["APPROVAL_PENDING", pending],
		["TASK_SUSPENDED", Object.assign(new Error("the run waits"), { type: "TASK_SUSPENDED" })]
	])("lets a tool's own %s end the loop too, marked or not", async (_type, err) => {
		const model = scriptedModel([reply(null, [call("1", "builtin_file_write", { path: "a" })]), reply("never")]);
		const { deps: d } = deps(model.chat, { "builtin:file_write": () => Promise.reject(err) });
		await expect(runToolLoop("go", { ...d, ...confirmingTools(asked([]).ctxCall, [], d.invokeTool) }, { tools: [tool("builtin:file_write")], maxSteps: 3 })).rejects.toBe(err);
		expect(model.requests).toHaveLength(1);
	});
});
