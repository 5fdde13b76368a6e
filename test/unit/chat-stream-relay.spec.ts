import { Readable } from "node:stream";
import { streamedChat } from "../../lib/framework/chat-stream-relay";

/** mal.stream as the loop reads it: JSON lines of text, then the result or an error. */
const answering = (lines: object[]) => async () => Readable.from(lines.map(l => `${JSON.stringify(l)}\n`));

describe("a streamed model turn (ctx.llm.run with stream)", () => {
	it("hands each piece of text on and resolves with the turn's result", async () => {
		const pieces: string[] = [];
		const result = await streamedChat(answering([{ type: "text", text: "Hel" }, { type: "text", text: "lo" }, { type: "end", result: { model: "m" } }]), {}, t => pieces.push(t));
		expect(pieces).toEqual(["Hel", "lo"]);
		expect(result).toEqual({ model: "m" });
	});

	it("fails with 502 MODEL_STREAM_FAILED keeping the failure's type when the stream breaks after it began", async () => {
		const failing = answering([{ type: "text", text: "Hel" }, { type: "error", error: { type: "PROVIDER_ERROR", message: "upstream reset" } }]);
		await expect(streamedChat(failing, {}, () => undefined)).rejects.toMatchObject({
			type: "MODEL_STREAM_FAILED",
			code: 502,
			message: expect.stringContaining("PROVIDER_ERROR: upstream reset"),
			data: { failure: { type: "PROVIDER_ERROR", message: "upstream reset" } }
		});
	});

	it("fails with MODEL_STREAM_INCOMPLETE when the stream ends without a result", async () => {
		await expect(streamedChat(answering([{ type: "text", text: "Hel" }]), {}, () => undefined)).rejects.toMatchObject({ type: "MODEL_STREAM_INCOMPLETE", retryable: true });
	});
});
