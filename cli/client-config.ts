import fs from "node:fs";
import path from "node:path";

/** The CLI cannot tell which node to talk to, or with what token; exit 1. */
export class ClientConfigError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "ClientConfigError";
	}
}

export interface ClientConfig {
	url: string;
	token: string;
}

/** The flags every client command accepts. */
export const CONNECTION_FLAGS = ["url", "token"] as const;

/**
 * Where the node is and how to authenticate, first found wins:
 * - URL: `--url`, `AGENTOS_URL`, else this machine's node on `PORT` (default 3000);
 * - token: `--token`, `AGENTOS_TOKEN`, `GATEWAY_AUTH_TOKEN`, else the admin token the
 *   node keeps in its data dir, so the CLI works on the node's machine with no setup.
 */
export function resolveClientConfig(flags: { url?: string; token?: string }, env: NodeJS.ProcessEnv = loadEnv()): ClientConfig {
	const url = flags.url || env.AGENTOS_URL || `http://127.0.0.1:${env.PORT || 3000}`;
	if (!/^https?:\/\/[^/]/.test(url)) throw new ClientConfigError(`The node URL must start with http:// or https:// (got "${url}"); set --url or AGENTOS_URL`);
	const token = flags.token || env.AGENTOS_TOKEN || env.GATEWAY_AUTH_TOKEN || readTokenFile(env);
	return { url: url.replace(/\/+$/, ""), token };
}

/** A .env in the working directory fills in what the real environment leaves unset, as for `agent-os start`. */
function loadEnv(): NodeJS.ProcessEnv {
	if (fs.existsSync(".env")) process.loadEnvFile(".env");
	return process.env;
}

function readTokenFile(env: NodeJS.ProcessEnv): string {
	const file = path.resolve(env.AGENTOS_DATA_DIR || "./data", "admin-token");
	let token = "";
	try {
		token = fs.readFileSync(file, "utf8").trim();
	} catch (err) {
		const code = (err as NodeJS.ErrnoException).code;
		// Missing is the usual case off the node's machine; anything else is worth saying.
		if (code !== "ENOENT") throw new ClientConfigError(`Cannot read the admin token in ${file}: ${(err as Error).message}`);
	}
	if (token) return token;
	throw new ClientConfigError(
		`No API token: pass --token, or set AGENTOS_TOKEN or GATEWAY_AUTH_TOKEN, or point AGENTOS_DATA_DIR at the node's data dir (looked for ${file})`
	);
}
