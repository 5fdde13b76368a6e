import { spawn } from "node:child_process";
import { connect } from "node:net";
import { freePort } from "./free-port";
import { ensureServerBinaries, findExecutable } from "./server-binaries";

export interface NatsServer {
	/** nats://127.0.0.1:PORT */
	url: string;
	port: number;
	/** Kill the server and wait for it to exit. Idempotent. */
	stop(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;

/** Resolves true once the server accepts a client and sends its INFO line (it is then ready). */
function sendsInfo(port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const sock = connect({ host: "127.0.0.1", port });
		const done = (ok: boolean): void => {
			sock.destroy();
			resolve(ok);
		};
		sock.setTimeout(1000, () => done(false));
		sock.once("error", () => done(false));
		sock.once("data", (buf) => done(buf.toString().startsWith("INFO ")));
	});
}

async function launch(port: number): Promise<NatsServer> {
	const bin = findExecutable("nats-server") ?? "nats-server";
	// Plain child process (no daemon mode) so stop() and the exit hook can kill it.
	const child = spawn(bin, ["-a", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
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
			throw new Error(`nats-server exited during startup on port ${port}:\n${output.trim()}`);
		}
		if (await sendsInfo(port)) break;
		if (Date.now() > deadline) {
			await stop();
			throw new Error(`nats-server did not accept a client on port ${port} within ${START_TIMEOUT_MS}ms:\n${output.trim()}`);
		}
		await new Promise((r) => setTimeout(r, 25));
	}
	return { url: `nats://127.0.0.1:${port}`, port, stop };
}

/** Start a throwaway nats-server on a free loopback port. */
export async function startNats(): Promise<NatsServer> {
	ensureServerBinaries();
	// Another process may grab the free port before nats binds it: retry with a new one.
	for (let attempt = 1; ; attempt++) {
		try {
			return await launch(await freePort());
		} catch (err) {
			if (attempt >= 3 || !/in use/i.test(String(err))) throw err;
		}
	}
}
