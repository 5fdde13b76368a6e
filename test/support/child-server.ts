import { spawn } from "node:child_process";
import { connect } from "node:net";
import { freePort } from "./free-port";
import { ensureServerBinaries, findExecutable } from "./server-binaries";

export interface ChildServer {
	url: string;
	port: number;
	/** Kill the server and wait for it to exit. Idempotent. */
	stop(): Promise<void>;
}

export interface ServerSpec {
	/** The executable, found on PATH or in the sbin folders. */
	binary: string;
	args(port: number): string[];
	url(port: number): string;
	/** What the server must send first on a new connection to count as ready. */
	greeting: { send?: string; expect: string };
}

const START_TIMEOUT_MS = 20_000;

/** Resolves true once the server accepts a client and answers with the expected greeting. */
function answers(port: number, greeting: ServerSpec["greeting"]): Promise<boolean> {
	return new Promise(resolve => {
		const sock = connect({ host: "127.0.0.1", port });
		const done = (ok: boolean): void => {
			sock.destroy();
			resolve(ok);
		};
		sock.setTimeout(1000, () => done(false));
		sock.once("error", () => done(false));
		if (greeting.send) sock.once("connect", () => sock.write(greeting.send!));
		sock.once("data", buf => done(buf.toString().startsWith(greeting.expect)));
	});
}

async function launch(spec: ServerSpec, port: number): Promise<ChildServer> {
	const bin = findExecutable(spec.binary) ?? spec.binary;
	// A plain child (not daemonized), so stop() and the exit hook can kill it.
	const child = spawn(bin, spec.args(port), { stdio: ["ignore", "pipe", "pipe"] });
	let output = "";
	const collect = (chunk: Buffer): void => {
		output = (output + chunk.toString()).slice(-4000); // a tail for error messages
	};
	child.stdout.on("data", collect);
	child.stderr.on("data", collect);
	let exited = false;
	const exitPromise = new Promise<void>(resolve => {
		child.once("exit", () => resolve());
		child.once("error", err => {
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
			throw new Error(`${spec.binary} exited during startup on port ${port}:\n${output.trim()}`);
		}
		if (await answers(port, spec.greeting)) break;
		if (Date.now() > deadline) {
			await stop();
			throw new Error(`${spec.binary} did not answer on port ${port} within ${START_TIMEOUT_MS}ms:\n${output.trim()}`);
		}
		await new Promise(r => setTimeout(r, 25));
	}
	return { url: spec.url(port), port, stop };
}

/** Starts a throwaway server on a free loopback port. */
export async function startChildServer(spec: ServerSpec): Promise<ChildServer> {
	ensureServerBinaries();
	// Another process may grab the free port before the server binds it: retry with a new one.
	for (let attempt = 1; ; attempt++) {
		try {
			return await launch(spec, await freePort());
		} catch (err) {
			if (attempt >= 3 || !/in use/i.test(String(err))) throw err;
		}
	}
}
