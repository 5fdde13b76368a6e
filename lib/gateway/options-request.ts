import type { IncomingMessage, ServerResponse } from "node:http";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/**
 * Answers an OPTIONS request by itself: 204 with the `Allow` header of the path, or 404.
 * The gateway's router would otherwise take OPTIONS for the method a CORS preflight names
 * (or GET without one) and run that action. The API sends no CORS headers: browsers reach
 * it from its own origin only.
 */
export function answerOptions(req: IncomingMessage, res: ServerResponse, routes: (path: string, method: string) => boolean): void {
	const raw = (req.url ?? "/").split("?")[0];
	const path = raw.length > 1 && raw.endsWith("/") ? raw.slice(0, -1) : raw;
	const allowed = METHODS.filter(method => routes(path, method));
	if (allowed.length === 0) {
		const body = JSON.stringify({ error: { type: "NOT_FOUND", message: `Nothing is served at ${path}` } });
		res.writeHead(404, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(body) });
		res.end(body);
		return;
	}
	res.writeHead(204, { Allow: [...allowed, "OPTIONS"].join(", ") });
	res.end();
}
