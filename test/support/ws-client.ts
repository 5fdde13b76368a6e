import WebSocket from "ws";

export interface WsTestMessage {
	type: string;
	id?: string | number | null;
	payload?: Record<string, unknown>;
	error?: { type: string; message: string; data?: unknown };
}

export interface WsTestClient {
	ws: WebSocket;
	/** Everything the server said, in order. */
	all: WsTestMessage[];
	send(m: unknown): void;
	/** The next message not yet read (of `type`, if given), waiting for it when needed. */
	next(type?: string): Promise<WsTestMessage>;
	/** Sends a request and waits for the `result` or `error` that carries its id. */
	request(type: string, payload?: unknown): Promise<WsTestMessage>;
	close(): void;
}

let counter = 0;

/** A client that collects everything the server says. */
export async function connect(url: string, headers: Record<string, string> = {}): Promise<WsTestClient> {
	const ws = new WebSocket(url, { headers });
	const all: WsTestMessage[] = [];
	const waiting: Array<{ match(m: WsTestMessage): boolean; resolve(m: WsTestMessage): void }> = [];
	let read = 0;
	const take = (match: (m: WsTestMessage) => boolean): WsTestMessage | undefined => {
		const found = all.slice(read).find(match);
		if (found) read = all.indexOf(found) + 1;
		return found;
	};
	const answers: Array<{ id: string; resolve(m: WsTestMessage): void }> = [];
	ws.on("message", raw => {
		const message = JSON.parse(raw.toString()) as WsTestMessage;
		all.push(message);
		const answer = answers.find(a => a.id === message.id && (message.type === "result" || message.type === "error"));
		if (answer) {
			answers.splice(answers.indexOf(answer), 1);
			answer.resolve(message);
		}
		for (const w of [...waiting]) {
			const found = take(w.match);
			if (found) {
				waiting.splice(waiting.indexOf(w), 1);
				w.resolve(found);
			}
		}
	});
	await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
	const send = (m: unknown) => ws.send(typeof m === "string" ? m : JSON.stringify(m));
	return {
		ws,
		all,
		send,
		next: type =>
			new Promise(resolve => {
				const match = (m: WsTestMessage) => !type || m.type === type;
				const found = take(match);
				if (found) return resolve(found);
				waiting.push({ match, resolve });
			}),
		request: (type, payload) =>
			new Promise(resolve => {
				const id = `r${++counter}`;
				answers.push({ id, resolve });
				send({ type, id, payload });
			}),
		close: () => ws.close()
	};
}
