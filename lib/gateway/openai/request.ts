import type { ChatMessage, ChatRequest, ToolCall, ToolChoice, ToolSpec } from "../../mal/types";
import { OpenAIBadRequestError } from "./errors";

/** A chat-completions request as the endpoint uses it, checked field by field. */
export interface CompletionRequest {
	/** `agent:<id>` for an agent, otherwise a model name, alias or `provider/model`. */
	model: string;
	messages: ChatMessage[];
	stream: boolean;
	/** Whether the last chunk of a stream carries `usage` (`stream_options.include_usage`). */
	includeUsage: boolean;
	user?: string;
	tools?: ToolSpec[];
	toolChoice?: ToolChoice;
	temperature?: number;
	maxTokens?: number;
	stop?: string[];
}

export const AGENT_PREFIX = "agent:";
const ROLES = new Set(["system", "developer", "user", "assistant", "tool"]);
const TOOL_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);
const bad = (param: string, message: string) => new OpenAIBadRequestError(param, message);

/** Message content: a string, null, or OpenAI's list of parts, of which text parts are read (images are not supported). */
function contentOf(value: unknown, param: string): string | null {
	if (value === undefined || value === null) return null;
	if (typeof value === "string") return value;
	if (!Array.isArray(value)) throw bad(param, "must be a string or a list of content parts");
	return value
		.map((part: unknown, i) => {
			if (!isObject(part) || part.type !== "text" || typeof part.text !== "string") throw bad(`${param}[${i}]`, 'only parts {type: "text", text} are supported');
			return part.text;
		})
		.join("");
}

function toolCallOf(value: unknown, param: string): ToolCall {
	const fn = isObject(value) ? value.function : undefined;
	if (!isObject(value) || typeof value.id !== "string" || !isObject(fn) || typeof fn.name !== "string") throw bad(param, "must be {id, type: \"function\", function: {name, arguments}}");
	let args: unknown = {};
	if (typeof fn.arguments === "string" && fn.arguments.trim()) {
		try {
			args = JSON.parse(fn.arguments);
		} catch {
			throw bad(`${param}.function.arguments`, "must be a JSON object in a string");
		}
	}
	if (!isObject(args)) throw bad(`${param}.function.arguments`, "must be a JSON object in a string");
	return { id: value.id, name: fn.name, arguments: args };
}

function messageOf(value: unknown, i: number): ChatMessage {
	const param = `messages[${i}]`;
	if (!isObject(value)) throw bad(param, "must be an object with a role and content");
	const role = value.role;
	if (typeof role !== "string" || !ROLES.has(role)) throw bad(`${param}.role`, "must be one of system, developer, user, assistant, tool");
	const content = contentOf(value.content, `${param}.content`);
	if (role === "tool") {
		if (typeof value.tool_call_id !== "string") throw bad(`${param}.tool_call_id`, "is required on a tool message");
		return { role: "tool", content, toolCallId: value.tool_call_id };
	}
	if (role === "assistant") {
		if (value.tool_calls !== undefined && !Array.isArray(value.tool_calls)) throw bad(`${param}.tool_calls`, "must be a list");
		const toolCalls = (value.tool_calls ?? []).map((c: unknown, j: number) => toolCallOf(c, `${param}.tool_calls[${j}]`));
		return toolCalls.length ? { role: "assistant", content, toolCalls } : { role: "assistant", content };
	}
	if (content === null) throw bad(`${param}.content`, "is required");
	return { role: role === "developer" ? "system" : (role as "system" | "user"), content };
}

function toolOf(value: unknown, i: number): ToolSpec {
	const fn = isObject(value) ? value.function : undefined;
	if (!isObject(value) || value.type !== "function" || !isObject(fn)) throw bad(`tools[${i}]`, 'must be {type: "function", function: {name, description?, parameters?}}');
	if (typeof fn.name !== "string" || !TOOL_NAME.test(fn.name)) throw bad(`tools[${i}].function.name`, "must be 1 to 64 letters, digits, _ . : or -");
	if (fn.parameters !== undefined && !isObject(fn.parameters)) throw bad(`tools[${i}].function.parameters`, "must be a JSON Schema object");
	const description = typeof fn.description === "string" ? fn.description : undefined;
	return { name: fn.name, ...(description ? { description } : {}), parameters: fn.parameters ?? { type: "object", properties: {} } };
}

function toolChoiceOf(value: unknown): ToolChoice | undefined {
	if (value === undefined || value === null) return undefined;
	if (value === "auto" || value === "none" || value === "required") return value;
	const fn = isObject(value) ? value.function : undefined;
	if (isObject(fn) && typeof fn.name === "string") return { name: fn.name };
	throw bad("tool_choice", 'must be "auto", "none", "required" or {type: "function", function: {name}}');
}

function numberOf(body: Json, key: string, min: number, max: number, integer = false): number | undefined {
	const value = body[key];
	if (value === undefined || value === null) return undefined;
	if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
		throw bad(key, `must be ${integer ? "an integer" : "a number"} from ${min} to ${max}`);
	}
	return value;
}

/** Reads a `POST /v1/chat/completions` body; a field it cannot use is a 400 that names it. */
export function parseCompletionRequest(body: Json): CompletionRequest {
	if (typeof body.model !== "string" || !body.model.trim() || body.model.length > 300) throw bad("model", "is required: agent:<id> or a model name (GET /v1/models)");
	if (!Array.isArray(body.messages) || body.messages.length === 0) throw bad("messages", "must be a non-empty list of messages");
	if (body.stream !== undefined && body.stream !== null && typeof body.stream !== "boolean") throw bad("stream", "must be true or false");
	if (body.user !== undefined && (typeof body.user !== "string" || body.user.length > 200)) throw bad("user", "must be a string of at most 200 characters");
	if (body.tools !== undefined && (!Array.isArray(body.tools) || body.tools.length > 128)) throw bad("tools", "must be a list of at most 128 tools");
	if (body.stop !== undefined && body.stop !== null && typeof body.stop !== "string" && !(Array.isArray(body.stop) && body.stop.length <= 4 && body.stop.every(s => typeof s === "string"))) {
		throw bad("stop", "must be a string or a list of up to 4 strings");
	}
	const options = body.stream_options;
	const tools = Array.isArray(body.tools) ? body.tools.map(toolOf) : undefined;
	const maxTokens = numberOf(body, "max_completion_tokens", 1, 2_147_483_647, true) ?? numberOf(body, "max_tokens", 1, 2_147_483_647, true);
	const temperature = numberOf(body, "temperature", 0, 2);
	const toolChoice = toolChoiceOf(body.tool_choice);
	const stop = typeof body.stop === "string" ? [body.stop] : Array.isArray(body.stop) ? (body.stop as string[]) : undefined;
	return {
		model: body.model.trim(),
		messages: body.messages.map(messageOf),
		stream: body.stream === true,
		includeUsage: isObject(options) && options.include_usage === true,
		...(typeof body.user === "string" && body.user ? { user: body.user } : {}),
		...(tools?.length ? { tools } : {}),
		...(toolChoice ? { toolChoice } : {}),
		...(temperature !== undefined ? { temperature } : {}),
		...(maxTokens !== undefined ? { maxTokens } : {}),
		...(stop?.length ? { stop } : {})
	};
}

/** The model layer's request for a completion on the model path. */
export function modelRequest(request: CompletionRequest): ChatRequest {
	const { model, messages, tools, toolChoice, temperature, maxTokens, stop } = request;
	return { model, messages, ...(tools ? { tools } : {}), ...(toolChoice ? { toolChoice } : {}), ...(temperature !== undefined ? { temperature } : {}), ...(maxTokens !== undefined ? { maxTokens } : {}), ...(stop ? { stop } : {}) };
}

/** What an agent is told: the last user message (the agent keeps the conversation in its session). */
export function agentMessage(request: CompletionRequest): string {
	const last = [...request.messages].reverse().find(m => m.role === "user");
	if (!last?.content) throw bad("messages", "an agent needs a user message with text");
	return last.content;
}
