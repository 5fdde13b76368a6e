import type { ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { IncomingRequest } from "moleculer-web";
import { jsonLines, sseFrame } from "../kernel/json-lines";
import { requestBody, type GatewayThis } from "./gateway-this";

/**
 * POST /api/v1/llm/chat: JSON by default; with `"stream": true`, server-sent events —
 * one `event: text|tool_call|end|error` per line of mal.stream, so a browser's
 * EventSource or any SSE client reads tokens as they come.
 */
export async function chatRoute(this: GatewayThis, req: IncomingRequest, res: ServerResponse): Promise<void> {
	const ctx = req.$ctx;
	try {
		const { stream, ...params } = requestBody(req);
		if (!stream) {
			const result = await ctx.call("mal.chat", params);
			res.writeHead(200, { "Content-Type": "application/json; charset=utf-8" });
			res.end(JSON.stringify(result));
			return;
		}
		const source = await ctx.call<Readable, object>("mal.stream", params);
		res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", Connection: "keep-alive", "X-Accel-Buffering": "no" });
		for await (const event of jsonLines<{ type: string }>(source)) res.write(sseFrame(event));
		res.end();
	} catch (err) {
		if (res.headersSent) {
			res.write(sseFrame({ type: "error", error: { type: (err as { type?: string }).type ?? "ERROR", message: (err as Error).message } }));
			res.end();
		} else this.sendError(req, res, err as Error);
	}
}
