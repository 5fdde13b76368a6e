import type { Readable } from "node:stream";
import type { ServiceBroker } from "moleculer";
import { jsonLines } from "../kernel/json-lines";
import { ModelStreamFailedError, ModelStreamIncompleteError } from "../mal/errors";
import type { ChatResult, StreamLine } from "../mal/results";

/** Where a streamed chat's events go: the `chat` service instance that holds the client's stream. */
export interface StreamTarget {
	nodeID: string;
	streamId: string;
}

export function isStreamTarget(value: unknown): value is StreamTarget {
	const v = value as Partial<StreamTarget> | null;
	return typeof v?.nodeID === "string" && typeof v.streamId === "string";
}

/**
 * Sends a loop's events, in order, to the node that streams them to the client (any node
 * of the cluster may run the agent). A lost event never fails the chat itself.
 */
export function relayTo(broker: ServiceBroker, target: StreamTarget) {
	let sent: Promise<unknown> = Promise.resolve();
	return {
		emit(event: unknown): void {
			sent = sent.then(() => broker.call("chat.event", { streamId: target.streamId, event }, { nodeID: target.nodeID }).catch(() => undefined));
		},
		/** Resolves when every event emitted so far has been delivered. */
		flushed: () => sent
	};
}

/**
 * One model turn through mal.stream: each piece of text is handed to `onText` as it
 * comes, and the turn's full result (as mal.chat would answer) is returned at the end.
 */
export async function streamedChat(call: (action: string, params: object) => Promise<unknown>, params: object, onText: (text: string) => void): Promise<ChatResult> {
	const source = (await call("mal.stream", params)) as Readable;
	for await (const chunk of jsonLines<StreamLine>(source)) {
		if (chunk.type === "text" && chunk.text) onText(chunk.text);
		else if (chunk.type === "end") return chunk.result;
		else if (chunk.type === "error") throw new ModelStreamFailedError(chunk.error ?? {});
	}
	throw new ModelStreamIncompleteError();
}
