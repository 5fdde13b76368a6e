import crypto from "node:crypto";
import { PassThrough, Readable } from "node:stream";
import type { Context, Logger, ServiceSchema } from "moleculer";
import { errorAnswer } from "../lib/gateway/error-response";
import { jsonLines, sseFrame } from "../lib/kernel/json-lines";
import { TIMEOUT_MS_PARAM } from "../lib/schema/number-bounds";
import { defineService } from "../lib/kernel/define-service";

interface ChatParams {
	id: string;
	message: string;
	sessionId?: string;
	stream?: boolean;
	timeoutMs?: number;
}

type Meta = { $responseType?: string; $responseHeaders?: Record<string, string> };

const PARAMS = {
	id: { type: "string", min: 1, max: 100 },
	message: { type: "string", min: 1, max: 100_000 },
	sessionId: { type: "string", min: 1, max: 200, optional: true },
	timeoutMs: { ...TIMEOUT_MS_PARAM, convert: true }
} as const;

/** Server-sent events, one `event: <type>` per JSON line. */
function asServerSentEvents(lines: Readable): Readable {
	return Readable.from(
		(async function* () {
			for await (const event of jsonLines<{ type: string }>(lines)) yield sseFrame(event);
		})()
	);
}

/**
 * Chatting with an agent: `POST /api/v1/agents/:id/chat {message, sessionId?, stream?}`
 * is a `chat` task delivered like any task (mailbox, supervision, audit). With `stream`,
 * the answer comes as events — `token` (text as the model writes it), `model`,
 * `tool_call`, `tool_result`, `answer`, then `end` with the whole result — relayed from
 * whichever node runs the agent to the node holding the client's connection.
 */
export default function createChatService(): ServiceSchema {
	const streams = new Map<string, PassThrough>();
	const write = (out: PassThrough, line: object) => out.write(`${JSON.stringify(line)}\n`);

	/** An error mid-stream, shown as REST and the WebSocket show errors: an internal one's text stays in the log (error-response.ts). */
	function streamError(ctx: Context<ChatParams>, logger: Logger, err: unknown): object {
		const what = `Chat stream with agent ${ctx.params.id}`;
		const { status, error } = errorAnswer(err, { requestId: ctx.requestID ?? undefined, what, circuitHalfOpenMs: ctx.broker.options.circuitBreaker?.halfOpenTime ?? 10_000, logger });
		return { type: "error", error: { ...error, code: status } };
	}

	function open(ctx: Context<ChatParams>, logger: Logger): Readable {
		const streamId = crypto.randomUUID();
		const out = new PassThrough();
		streams.set(streamId, out);
		const { id, message, sessionId, timeoutMs } = ctx.params;
		ctx
			.call<{ taskId: string; result: object }, object>("agents.submitTask", { id, task: { type: "chat", message, sessionId, stream: { nodeID: ctx.nodeID, streamId } }, timeoutMs })
			.then(
				r => write(out, { type: "end", result: { taskId: r.taskId, ...r.result } }),
				(err: unknown) => write(out, streamError(ctx, logger, err))
			)
			.finally(() => {
				streams.delete(streamId);
				out.end();
			});
		return out;
	}

	return defineService({
		name: "chat",
		settings: { rest: "/" },

		actions: {
			send: {
				rest: "POST /agents/:id/chat",
				description: "Chats with a declarative agent in a session: the reply with its tool steps and cost, or a stream of events.",
				scope: "tasks",
				retryPolicy: { enabled: false },
				params: { ...PARAMS, stream: { type: "boolean", optional: true, convert: true } },
				async handler(ctx: Context<ChatParams, Meta>): Promise<unknown> {
					if (ctx.params.stream) {
						ctx.meta.$responseType = "text/event-stream; charset=utf-8";
						ctx.meta.$responseHeaders = { "Cache-Control": "no-cache", "X-Accel-Buffering": "no" };
						return asServerSentEvents(open(ctx, this.logger));
					}
					const { id, message, sessionId, timeoutMs } = ctx.params;
					const r = await ctx.call<{ taskId: string; result: object }, object>("agents.submitTask", { id, task: { type: "chat", message, sessionId }, timeoutMs });
					return { taskId: r.taskId, ...r.result };
				}
			},

			/** The events of a chat as JSON lines (for the WebSocket gateway and broker clients). */
			stream: {
				scope: "tasks",
				retryPolicy: { enabled: false },
				params: PARAMS,
				handler(ctx: Context<ChatParams>): Readable {
					return open(ctx, this.logger);
				}
			},

			/** An event of a streamed chat, from the node that runs the agent. */
			event: {
				params: { streamId: "string", event: "object" },
				handler(ctx: Context<{ streamId: string; event: object }>): boolean {
					const out = streams.get(ctx.params.streamId);
					if (out) write(out, ctx.params.event);
					return out !== undefined;
				}
			}
		}
	});
}
