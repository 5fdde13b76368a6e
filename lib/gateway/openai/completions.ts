import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { Errors, type Context } from "moleculer";
import { jsonLines } from "../../kernel/json-lines";
import type { ChatResult, StreamLine } from "../../mal/results";
import type { Usage } from "../../mal/types";
import { agentMessage, modelRequest, type CompletionRequest } from "./request";
import { answerOfAgent, answerOfModel, chunkObject, completionObject, newCompletion, openAIToolCall } from "./shapes";
import type { ChunkWriter } from "./sse";

/** A line of chat.stream (chat.service.ts). */
type AgentLine = { type: "token"; text: string } | { type: "end"; result: Record<string, unknown> } | { type: "error"; error: { type: string; message: string; code?: number; data?: unknown } } | { type: string };

/** An error line of a stream, thrown again as the error it reports (its status and type kept). */
function refusal(error: { type: string; message: string; code?: number; data?: unknown }): Errors.MoleculerError {
	return new Errors.MoleculerError(error.message, error.code ?? 500, error.type, error.data);
}

function sendJson(res: ServerResponse, body: object): void {
	res.writeHead(200, { "Content-Type": "application/json; charset=utf-8" });
	res.end(JSON.stringify(body));
}

/** A chat with an agent: the `chat` task of chat.send / chat.stream, as for `POST /api/v1/agents/:id/chat`. */
export async function agentCompletion(ctx: Context, agentId: string, request: CompletionRequest, sessionId: string | undefined, res: ServerResponse, writer: ChunkWriter): Promise<void> {
	const params = { id: agentId, message: agentMessage(request), ...(sessionId ? { sessionId } : {}) };
	const c = newCompletion(request.model);
	if (!request.stream) {
		const result = await ctx.call<Record<string, unknown>, object>("chat.send", params);
		return sendJson(res, completionObject(c, answerOfAgent(result)));
	}
	const lines = jsonLines<AgentLine>(await ctx.call<Readable, object>("chat.stream", params));
	// Nothing is sent before the first event, so a refusal (unknown or quarantined agent) keeps its status.
	let next = await lines.next();
	if (!next.done && next.value.type === "error" && "error" in next.value) throw refusal(next.value.error);
	writer.open();
	writer.write(chunkObject(c, { role: "assistant", content: "" }));
	let streamedText = false;
	for (; !next.done; next = await lines.next()) {
		const line = next.value;
		if (line.type === "token" && "text" in line) writer.write(chunkObject(c, { content: line.text }));
		else if (line.type === "error" && "error" in line) throw refusal(line.error);
		else if (line.type === "end" && "result" in line) {
			const answer = answerOfAgent(line.result);
			// An agent that streamed no tokens (a code agent) sends its whole answer at the end.
			if (!streamedText && answer.content) writer.write(chunkObject(c, { content: answer.content }));
			finish(writer, c, answer.finishReason, answer.usage, request.includeUsage);
		}
		if (line.type === "token") streamedText = true;
	}
	writer.done();
}

/** Straight through the model layer: mal.chat / mal.stream, metered and budgeted as `POST /api/v1/llm/chat`. */
export async function modelCompletion(ctx: Context, request: CompletionRequest, res: ServerResponse, writer: ChunkWriter): Promise<void> {
	const c = newCompletion(request.model);
	if (!request.stream) {
		const result = await ctx.call<ChatResult, object>("mal.chat", modelRequest(request));
		return sendJson(res, completionObject({ ...c, model: result.model }, answerOfModel(result)));
	}
	const source = await ctx.call<Readable, object>("mal.stream", modelRequest(request));
	writer.open();
	writer.write(chunkObject(c, { role: "assistant", content: "" }));
	let calls = 0;
	for await (const line of jsonLines<StreamLine>(source)) {
		if (line.type === "text") writer.write(chunkObject(c, { content: line.text }));
		else if (line.type === "tool_call") writer.write(chunkObject(c, { tool_calls: [{ index: calls++, ...openAIToolCall(line.call) }] }));
		else if (line.type === "error") throw refusal(line.error);
		else finish(writer, c, line.result.finishReason, line.result.usage, request.includeUsage);
	}
	writer.done();
}

/** The last chunk with the finish reason, then (when asked) one with the usage and no choices, as OpenAI sends them. */
function finish(writer: ChunkWriter, c: ReturnType<typeof newCompletion>, reason: Parameters<typeof chunkObject>[2], usage: Usage, includeUsage: boolean): void {
	writer.write(chunkObject(c, {}, reason));
	if (includeUsage) writer.write(chunkObject(c, null, null, usage));
}
