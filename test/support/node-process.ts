import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { freePort } from "./free-port";
import { seedPgdata } from "./pgdata-template";
import { tempDataDir } from "./test-node";

const ENTRY = path.resolve(__dirname, "../../dist/cli/agent-os.js");
const READY_TIMEOUT_MS = 30_000;

/** A real node in a process of its own (`agent-os start` from dist), for tests that kill it. */
export interface NodeProcess {
	id: string;
	url: string;
	child: ChildProcess;
	/** The tail of its output, for failure messages. */
	output(): string;
	request(route: string, init?: RequestInit): Promise<Response>;
	json<T>(route: string): Promise<T>;
	/** `kill -9`: no goodbye to the cluster, no lock released. */
	kill(): Promise<void>;
	/** SIGTERM and wait for the exit. Idempotent. */
	stop(): Promise<void>;
}

/** Starts `agent-os start` with `env` (plus a free port and a data dir) and waits for GET /ready. Needs `npm run build`. */
export async function startNodeProcess(id: string, env: Record<string, string>, token: string): Promise<NodeProcess> {
	if (!fs.existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run npm run build first`);
	const port = await freePort();
	const dataDir = tempDataDir();
	// A first boot on PGlite starts from an initialised cluster (a restart finds its own and keeps it).
	if (!env.DATABASE_URL) await seedPgdata(env.AGENTOS_DATA_DIR ?? dataDir);
	const child = spawn(process.execPath, [ENTRY, "start"], {
		env: { PATH: process.env.PATH, NODE_ID: id, PORT: String(port), AGENTOS_DATA_DIR: dataDir, GATEWAY_AUTH_TOKEN: token, LOG_LEVEL: "warn", LOG_FORMAT: "json", GATEWAY_MESSAGE_RATE_LIMIT: "0", AGENTOS_BOOTSTRAP_AGENTS: "false", ...env },
		stdio: ["ignore", "pipe", "pipe"]
	});
	let tail = "";
	const collect = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-6000));
	child.stdout!.on("data", collect);
	child.stderr!.on("data", collect);
	const exited = new Promise<void>(resolve => child.once("exit", () => resolve()));
	const onExit = () => child.kill("SIGKILL");
	process.on("exit", onExit);
	const url = `http://127.0.0.1:${port}`;
	const request = (route: string, init: RequestInit = {}) =>
		fetch(`${url}${route}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers as Record<string, string>) } });
	let stopping: Promise<void> | undefined;
	const node: NodeProcess = {
		id,
		url,
		child,
		output: () => tail,
		request,
		json: async <T>(route: string) => (await request(route)).json() as Promise<T>,
		kill: async () => {
			child.kill("SIGKILL");
			await exited;
		},
		stop: () =>
			(stopping ??= (async () => {
				if (child.exitCode === null && child.signalCode === null) {
					child.kill("SIGTERM");
					const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
					await exited;
					clearTimeout(force);
				}
				process.off("exit", onExit);
				fs.rmSync(dataDir, { recursive: true, force: true });
			})())
	};
	const deadline = Date.now() + READY_TIMEOUT_MS;
	for (;;) {
		if (child.exitCode !== null) throw new Error(`node ${id} exited with ${child.exitCode} before it was ready:\n${tail}`);
		const ok = await fetch(`${url}/ready`).then(r => r.ok, () => false);
		if (ok) return node;
		if (Date.now() > deadline) {
			await node.stop();
			throw new Error(`node ${id} not ready within ${READY_TIMEOUT_MS} ms:\n${tail}`);
		}
		await new Promise(r => setTimeout(r, 100));
	}
}
