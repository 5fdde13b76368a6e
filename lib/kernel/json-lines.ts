import readline from "node:readline";
import type { Readable } from "node:stream";

/** The JSON values of a stream of JSON lines (mal.stream, chat.stream), blank lines skipped. */
export async function* jsonLines<T>(source: Readable): AsyncGenerator<T> {
	for await (const line of readline.createInterface({ input: source, crlfDelay: Infinity })) {
		if (line.trim()) yield JSON.parse(line) as T;
	}
}

/** One server-sent event named after the value's `type`, its data the value as JSON. */
export function sseFrame(value: { type: string; [key: string]: unknown }): string {
	return `event: ${value.type}\ndata: ${JSON.stringify(value)}\n\n`;
}
