import fs from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import zlib from "node:zlib";

/**
 * The web console's files, served by the gateway at `/` on the API's own origin. Only the
 * files the build wrote are served, from a map made once at start (exact paths, nothing
 * decoded or joined from the request), so no request can reach another file. index.html is
 * revalidated on each load (no-cache); the hashed assets never change, so they are cached
 * for a year. Every answer carries a strict Content-Security-Policy.
 */
export interface ConsoleAssets {
	/** Answers `req` when it asks for a console file and returns true; false leaves it to the API. */
	serve(req: IncomingMessage, res: ServerResponse): boolean;
	/** The request paths served (index first), for tests and the benchmark. */
	readonly paths: string[];
}

interface Asset {
	body: Buffer;
	gzip: Buffer;
	type: string;
	cache: string;
}

const TYPES: Record<string, string> = {
	".html": "text/html; charset=utf-8",
	".js": "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".map": "application/json; charset=utf-8",
	".svg": "image/svg+xml",
	".png": "image/png",
	".woff2": "font/woff2"
};

const NO_CACHE = "no-cache";
const IMMUTABLE = "public, max-age=31536000, immutable";
/** What an asset file name may look like (the build's `[name]-[hash].ext`). */
const ASSET_NAME = /^[A-Za-z0-9_-]+\.[A-Za-z0-9.]+$/;

/**
 * `connect-src` names the page's own origin for the WebSocket too ('self' covers ws: only
 * in newer browsers); a Host header that is not a plain host[:port] gets 'self' alone.
 */
export function contentSecurityPolicy(host: string | undefined): string {
	const origin = host && /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(host) ? ` ws://${host} wss://${host}` : "";
	return [
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		`connect-src 'self'${origin}`,
		"img-src 'self' data:",
		"font-src 'self'",
		"object-src 'none'",
		"frame-ancestors 'none'",
		"base-uri 'none'",
		"form-action 'none'"
	].join("; ");
}

function asset(file: string, cache: string): Asset {
	const body = fs.readFileSync(file);
	return { body, gzip: zlib.gzipSync(body, { level: 9 }), type: TYPES[path.extname(file)] ?? "application/octet-stream", cache };
}

/** Reads the built console in `dir` (index.html and assets/); an unbuilt console answers 404 at `/` saying how to build it. */
export function loadConsoleAssets(dir: string): ConsoleAssets {
	const files = new Map<string, Asset>();
	const index = path.join(dir, "index.html");
	if (fs.existsSync(index)) {
		const page = asset(index, NO_CACHE);
		files.set("/", page);
		files.set("/index.html", page);
		const assets = path.join(dir, "assets");
		for (const entry of fs.existsSync(assets) ? fs.readdirSync(assets, { withFileTypes: true }) : []) {
			if (entry.isFile() && ASSET_NAME.test(entry.name)) files.set(`/assets/${entry.name}`, asset(path.join(assets, entry.name), IMMUTABLE));
		}
	}

	return {
		paths: [...files.keys()],
		serve(req, res) {
			if (req.method !== "GET" && req.method !== "HEAD") return false;
			const pathname = (req.url ?? "").split("?")[0];
			const found = files.get(pathname);
			if (!found && pathname !== "/") return false;
			res.setHeader("Content-Security-Policy", contentSecurityPolicy(req.headers.host));
			res.setHeader("X-Content-Type-Options", "nosniff");
			res.setHeader("X-Frame-Options", "DENY");
			res.setHeader("Referrer-Policy", "no-referrer");
			if (!found) {
				res.writeHead(404, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": NO_CACHE });
				res.end(JSON.stringify({ error: { type: "CONSOLE_NOT_BUILT", message: `The web console is not built (no ${index}): run npm run build` } }));
				return true;
			}
			const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
			const body = gzip ? found.gzip : found.body;
			res.writeHead(200, {
				"Content-Type": found.type,
				"Cache-Control": found.cache,
				"Content-Length": body.length,
				Vary: "Accept-Encoding",
				...(gzip ? { "Content-Encoding": "gzip" } : {})
			});
			res.end(req.method === "HEAD" ? undefined : body);
			return true;
		}
	};
}
