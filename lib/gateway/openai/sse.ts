import type { ServerResponse } from "node:http";
import type { OpenAIErrorBody } from "./errors";

/** OpenAI's stream: `data: <json>` events, no event names, ending in `data: [DONE]`. */
export class ChunkWriter {
	constructor(private readonly res: ServerResponse) {}

	open(): void {
		this.res.writeHead(200, { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", Connection: "keep-alive", "X-Accel-Buffering": "no" });
	}

	write(value: object): void {
		this.res.write(`data: ${JSON.stringify(value)}\n\n`);
	}

	done(): void {
		this.res.end("data: [DONE]\n\n");
	}

	/** An error after the stream began: OpenAI's SDKs raise an `error` event's body as an APIError. */
	fail(body: OpenAIErrorBody): void {
		this.write(body);
		this.res.end();
	}
}
