import fs from "node:fs";
import type { BrokerOptions } from "moleculer";
import { loadConfig } from "../../lib/kernel/config";
import { startNode, type AgentOSNode } from "../../app/node";
import { seedPgdata } from "./pgdata-template";
import { testTempDir } from "./test-tmp";

export interface TestNode {
	node: AgentOSNode;
	url: string;
	token: string;
	dataDir: string;
	/** fetch against the node, with the admin token unless `auth: false`. */
	request(route: string, init?: RequestInit & { auth?: boolean }): Promise<Response>;
	/** GET `route` and parse the JSON body as `T` (health routes need no token, but it does no harm). */
	json<T>(route: string, init?: RequestInit & { auth?: boolean }): Promise<T>;
	stop(): Promise<void>;
}

export function tempDataDir(): string {
	return testTempDir();
}

/** A real node on a free port with its own data dir (unless given; its own is removed when it stops), quiet logs. */
export async function startTestNode(env: Record<string, string> = {}, brokerOverrides: Partial<BrokerOptions> = {}): Promise<TestNode> {
	const dataDir = env.AGENTOS_DATA_DIR ?? tempDataDir();
	// Tests poll the API far faster than people do: no rate limit unless a test sets one.
	// The default agents only where a test asks for them, so agent counts stay the test's own.
	const defaults = { PORT: "0", LOG_LEVEL: "error", LOG_FORMAT: "json", GATEWAY_MESSAGE_RATE_LIMIT: "0", AGENTOS_BOOTSTRAP_AGENTS: "false" };
	const config = loadConfig({ ...defaults, ...env, AGENTOS_DATA_DIR: dataDir });
	if (!config.DATABASE_URL) await seedPgdata(dataDir);
	const node = await startNode(config, { logger: false, ...brokerOverrides });
	const url = node.url();
	if (!url) throw new Error("the gateway did not start listening");
	const request = (route: string, init: RequestInit & { auth?: boolean } = {}) => {
		const { auth = true, headers, ...rest } = init;
		return fetch(`${url}${route}`, {
			...rest,
			headers: { ...(auth ? { authorization: `Bearer ${node.adminToken.token}` } : {}), ...(headers as Record<string, string>) }
		});
	};
	return {
		node,
		url,
		token: node.adminToken.token,
		dataDir,
		request,
		json: async <T>(route: string, init?: RequestInit & { auth?: boolean }) => (await request(route, init)).json() as Promise<T>,
		stop: async () => {
			await node.stop();
			if (!env.AGENTOS_DATA_DIR) fs.rmSync(dataDir, { recursive: true, force: true });
		}
	};
}

/** Polls `check` until it returns true, failing after `timeoutMs` with `what` in the message. */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15000, everyMs = 100): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (await check()) return;
		if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
		await new Promise(r => setTimeout(r, everyMs));
	}
}
