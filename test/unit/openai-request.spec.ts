import { openAIError } from "../../lib/gateway/openai/errors";
import { agentMessage, modelRequest, parseCompletionRequest } from "../../lib/gateway/openai/request";
import { answerOfAgent } from "../../lib/gateway/openai/shapes";

const user = (content: unknown) => ({ role: "user", content });
const parse = (body: Record<string, unknown>) => parseCompletionRequest({ model: "fast", messages: [user("hi")], ...body });
const paramOf = (body: Record<string, unknown>) => {
	try {
		parse(body);
	} catch (err) {
		return (err as { data?: { param?: string } }).data?.param;
	}
	return undefined;
};

describe("a chat-completions body, as OpenAI clients send it", () => {
	it("becomes the model layer's request: text parts joined, developer as system, tool turns and tool calls kept", () => {
		const request = parse({
			messages: [
				{ role: "developer", content: "Be terse." },
				user([{ type: "text", text: "Weather " }, { type: "text", text: "in Oslo?" }]),
				{ role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }] },
				{ role: "tool", tool_call_id: "c1", content: "sunny" }
			],
			tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }],
			tool_choice: { type: "function", function: { name: "get_weather" } },
			max_completion_tokens: 50,
			stop: "END",
			stream: true,
			stream_options: { include_usage: true }
		});
		expect(request).toMatchObject({ stream: true, includeUsage: true });
		expect(modelRequest(request)).toEqual({
			model: "fast",
			messages: [
				{ role: "system", content: "Be terse." },
				{ role: "user", content: "Weather in Oslo?" },
				{ role: "assistant", content: null, toolCalls: [{ id: "c1", name: "get_weather", arguments: { city: "Oslo" } }] },
				{ role: "tool", content: "sunny", toolCallId: "c1" }
			],
			tools: [{ name: "get_weather", parameters: { type: "object" } }],
			toolChoice: { name: "get_weather" },
			maxTokens: 50,
			stop: ["END"]
		});
	});

	it("tells an agent the last user message", () => {
		expect(agentMessage(parse({ messages: [user("first"), { role: "assistant", content: "ok" }, user("second")] }))).toBe("second");
		expect(() => agentMessage(parse({ messages: [{ role: "system", content: "x" }] }))).toThrow(/user message/);
	});

	it("names the field it cannot use", () => {
		expect(paramOf({ model: 42 })).toBe("model");
		expect(paramOf({ messages: "hi" })).toBe("messages");
		expect(paramOf({ messages: [{ role: "user" }] })).toBe("messages[0].content");
		expect(paramOf({ messages: [user([{ type: "image_url", image_url: { url: "x" } }])] })).toBe("messages[0].content[0]");
		expect(paramOf({ messages: [{ role: "tool", content: "x" }] })).toBe("messages[0].tool_call_id");
		expect(paramOf({ messages: [{ role: "assistant", content: null, tool_calls: [{ id: "c", function: { name: "f", arguments: "{oops" } }] }] })).toBe("messages[0].tool_calls[0].function.arguments");
		expect(paramOf({ tools: [{ type: "function", function: { name: "has space" } }] })).toBe("tools[0].function.name");
		expect(paramOf({ tool_choice: "sometimes" })).toBe("tool_choice");
		expect(paramOf({ max_tokens: 1.5 })).toBe("max_tokens");
		expect(paramOf({ stream: "yes" })).toBe("stream");
		expect(paramOf({ stop: ["a", "b", "c", "d", "e"] })).toBe("stop");
		expect(paramOf({ user: "u".repeat(201) })).toBe("user");
	});
});

describe("AgentOS errors in OpenAI's shape", () => {
	const of = (status: number, type: string, data?: unknown) => openAIError({ status, error: { type, message: "m", ...(data === undefined ? {} : { data }) } });

	it("maps what OpenAI clients look for to OpenAI's status, type and code", () => {
		expect(of(422, "UNKNOWN_MODEL")).toEqual({ status: 404, body: { error: { message: "m", type: "invalid_request_error", param: "model", code: "model_not_found" } } });
		expect(of(402, "BUDGET_EXCEEDED", { agentId: "a" })).toMatchObject({ status: 429, body: { error: { type: "insufficient_quota", code: "insufficient_quota" } } });
		expect(of(401, "NO_TOKEN")).toMatchObject({ status: 401, body: { error: { code: "invalid_api_key" } } });
		expect(of(429, "RATE_LIMITED")).toMatchObject({ status: 429, body: { error: { code: "rate_limit_exceeded" } } });
	});

	it("keeps any other refusal's status, its type as the code, and the field a validation error names", () => {
		expect(of(423, "AGENT_QUARANTINED")).toMatchObject({ status: 423, body: { error: { type: "invalid_request_error", code: "agent_quarantined", param: null } } });
		expect(of(403, "FORBIDDEN_SCOPE")).toMatchObject({ status: 403, body: { error: { type: "permission_error", code: "forbidden_scope" } } });
		expect(of(422, "VALIDATION_ERROR", [{ field: "sessionId", message: "too long" }])).toMatchObject({ status: 422, body: { error: { param: "sessionId" } } });
		expect(of(503, "SERVICE_NOT_AVAILABLE")).toMatchObject({ status: 503, body: { error: { type: "server_error" } } });
	});
});

describe("an agent's chat result as an answer", () => {
	it("reads a declarative agent's text and usage, and a code agent's result as JSON", () => {
		expect(answerOfAgent({ taskId: "t", answer: "hi", stopReason: "answer", usage: { promptTokens: 3, completionTokens: 1, totalTokens: 4 } })).toEqual({
			content: "hi",
			toolCalls: [],
			finishReason: "stop",
			usage: { promptTokens: 3, completionTokens: 1, totalTokens: 4 }
		});
		expect(answerOfAgent({ taskId: "t", unknown: "chat" })).toMatchObject({ content: '{"unknown":"chat"}', usage: { totalTokens: 0 } });
		expect(answerOfAgent({ answer: null, stopReason: "max_steps" })).toMatchObject({ content: "", finishReason: "length" });
		expect(answerOfAgent({ answer: null, stopReason: "budget_tokens" })).toMatchObject({ content: "", finishReason: "length" });
	});
});
