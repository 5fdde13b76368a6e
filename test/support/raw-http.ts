import http from "node:http";

export interface RawAnswer {
	status: number;
	headers: http.IncomingHttpHeaders;
	text: string;
}

/**
 * One HTTP request as written — any method with a body (fetch refuses a GET with one),
 * raw JSON text with escapes of our choosing — answered, or "timeout" after `timeoutMs`
 * (a request the server never answers is counted, not waited for forever).
 */
export function rawRequest(
	url: string,
	init: { method: string; token?: string; body?: string; timeoutMs?: number; headers?: Record<string, string> }
): Promise<RawAnswer | "timeout"> {
	const { method, token, body, timeoutMs = 15_000 } = init;
	return new Promise((resolve, reject) => {
		const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers };
		if (body !== undefined) Object.assign(headers, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) });
		const req = http.request(url, { method, headers, agent: false }, res => {
			const chunks: Buffer[] = [];
			res.on("data", (c: Buffer) => chunks.push(c));
			res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }));
			res.on("error", reject);
		});
		req.setTimeout(timeoutMs, () => {
			req.destroy();
			resolve("timeout");
		});
		req.on("error", err => (req.destroyed ? undefined : reject(err)));
		req.end(body);
	});
}
