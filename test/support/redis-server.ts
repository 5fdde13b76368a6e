import { spawn } from "node:child_process";
import { connect } from "node:net";
import { freePort } from "./free-port";
import { ensureServerBinaries, findExecutable } from "./server-binaries";

export interface RedisServer {
	/** redis://127.0.0.1:PORT */
	url: string;
	port: number;
	/** Kill the server and wait for it to exit. Idempotent. */
	stop(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;

/** Resolves true once the server answers PING with +PONG on a raw socket. */
function ping(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const sock = connect({ host: "127.0.0.1", port });
		const done = (ok: boolean): void => {
			sock.destroy();
			resolve(ok);
		};
		sock.setTimeout(1000, () => done(false));
		sock.once("error", () => done(false));
		sock.once("connect", () => sock.write("PING\r\n"));
		sock.once("data", (buf) => done(buf.toString().startsWith("+PONG")));
	});
}

async function launch(port: number): Promise<RedisServer> {
	const bin = findExecutable("redis-server") ?? "redis-server";
	// Not daemonized: it stays our child so stop() and the exit hook can kill it.
	const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
	const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
	let output = "";
	const collect = (chunk: Buffer): void => {
		output = (output + chunk.toString()).slice(-4000); // keep a tail for error messages
	};
	child.stdout.on("data", collect);
	child.stderr.on("data", collect);
	let exited = false;
	const exitPromise = new Promise<void>((resolve) => {
		child.once("exit", () => resolve());
		child.once("error", (err) => {
			output += `\n${err.message}`;
			resolve();
		});
	}).then(() => {
		exited = true;
	});

	const onExit = (): void => {
		child.kill("SIGKILL");
	};
	process.on("exit", onExit);

	let stopping: Promise<void> | undefined;
	const stop = (): Promise<void> =>
		(stopping ??= (async () => {
			if (!exited) {
				child.kill("SIGTERM");
				const force = setTimeout(() => child.kill("SIGKILL"), 5000);
				await exitPromise;
				clearTimeout(force);
			}
			process.off("exit", onExit);
		})());

	const deadline = Date.now() + START_TIMEOUT_MS;
	for (;;) {
		if (exited) {
			await stop();
			throw new Error(`redis-server exited during startup on port ${port}:\n${output.trim()}`);
		}
		if (await ping(port)) break;
		if (Date.now() > deadline) {
			await stop();
			throw new Error(`redis-server did not answer PING on port ${port} within ${START_TIMEOUT_MS}ms:\n${output.trim()}`);
		}
		await new Promise((r) => setTimeout(r, 25));
	}
	return { url: `redis://127.0.0.1:${port}`, port, stop };
}

/** Start a throwaway redis-server (no persistence) on a free loopback port. */
export async function startRedis(): Promise<RedisServer> {
	ensureServerBinaries();
	// Another process may grab the free port before redis binds it: retry with a new one.
	for (let attempt = 1; ; attempt++) {
		try {
			return await launch(await freePort());
		} catch (err) {
			if (attempt >= 3 || !/in use/i.test(String(err))) throw err;
		}
	}
}
