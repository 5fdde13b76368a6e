import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local web site that counts the requests each path gets and can hold a path's answer
 * until the test releases it: a tool call (http_fetch) whose runs a test can count, and
 * a moment in the middle of a run the test controls (it kills something while a call waits).
 */
export interface CountingSite {
	/** `http://127.0.0.1:<port>` */
	origin: string;
	/** `127.0.0.1:<port>`, for ALLOWED_DOMAINS. */
	host: string;
	/** Requests `path` got so far (answered or not). */
	hits(path: string): number;
	/** Requests to `path` from now on wait until `release(path)`. */
	hold(path: string): void;
	/** Whether a request to `path` waits now. */
	waiting(path: string): boolean;
	/** Answers the requests waiting on `path`, and the later ones at once. */
	release(path: string): void;
	stop(): Promise<void>;
}

export async function startCountingSite(): Promise<CountingSite> {
	const counts = new Map<string, number>();
	const held = new Set<string>();
	const parked = new Map<string, ServerResponse[]>();
	const answer = (path: string, res: ServerResponse) => {
		if (res.destroyed) return;
		res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
		res.end(`page ${path}`);
	};
	const server = createServer((req, res) => {
		const path = (req.url ?? "/").split("?")[0];
		counts.set(path, (counts.get(path) ?? 0) + 1);
		if (!held.has(path)) return answer(path, res);
		const queue = parked.get(path) ?? [];
		queue.push(res);
		parked.set(path, queue);
		res.once("close", () => parked.set(path, (parked.get(path) ?? []).filter(r => r !== res)));
	});
	await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as AddressInfo;
	return {
		origin: `http://127.0.0.1:${port}`,
		host: `127.0.0.1:${port}`,
		hits: path => counts.get(path) ?? 0,
		hold: path => void held.add(path),
		waiting: path => (parked.get(path) ?? []).some(res => !res.destroyed),
		release(path) {
			held.delete(path);
			for (const res of parked.get(path) ?? []) answer(path, res);
			parked.delete(path);
		},
		async stop() {
			server.closeAllConnections();
			await new Promise(resolve => server.close(resolve));
		}
	};
}
