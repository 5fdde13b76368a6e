import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client } from "pg";
import { freePort } from "./free-port";
import { ensureServerBinaries, findExecutable, postgresBinDir } from "./server-binaries";

const execFileAsync = promisify(execFile);

export interface PostgresServer {
	/** postgres://postgres@127.0.0.1:PORT/postgres (trust auth, no password). */
	url: string;
	port: number;
	dataDir: string;
	/** Fast shutdown, keeping the data dir (to test behaviour while the DB is down). Idempotent. */
	stop(): Promise<void>;
	/** Start again on the same port with the same data. Idempotent. */
	start(): Promise<void>;
	/** Stop (if running) and delete the data dir. Idempotent. */
	destroy(): Promise<void>;
}

// initdb and postgres refuse to run as root, so as root we run them as the postgres OS user.
const isRoot = process.getuid?.() === 0;

function shellQuote(s: string): string {
	return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Run a PostgreSQL tool from the server bin dir (as the postgres user when we are root). */
async function runPgTool(tool: string, args: string[], cwd: string): Promise<void> {
	const file = join(postgresBinDir(), tool);
	let cmd = file;
	let cmdArgs = args;
	if (isRoot) {
		const runuser = findExecutable("runuser");
		if (runuser !== undefined) {
			cmd = runuser;
			cmdArgs = ["-u", "postgres", "--", file, ...args];
		} else {
			cmd = "su";
			cmdArgs = ["postgres", "-s", "/bin/sh", "-c", [file, ...args].map(shellQuote).join(" ")];
		}
	}
	// cwd is the data dir: the postgres user may not be allowed into the caller's cwd.
	await execFileAsync(cmd, cmdArgs, { cwd, timeout: 120_000 });
}

/** "Command failed: <cmd>" plus the tool's stdout/stderr (the message already repeats stderr). */
function describe(err: unknown): string {
	const e = err as { message?: string; stderr?: string; stdout?: string };
	const head = (e.message ?? String(err)).split("\n")[0];
	return [head, e.stdout, e.stderr].filter((s) => s && s.trim()).join("\n").trim();
}

function logTail(dataDir: string, lines = 30): string {
	try {
		return readFileSync(join(dataDir, "log"), "utf8").trimEnd().split("\n").slice(-lines).join("\n");
	} catch {
		return "(no server log)";
	}
}

/** Best-effort synchronous kill (SIGQUIT = immediate shutdown) of the postmaster, for exit handlers. */
function killPostmaster(dataDir: string): void {
	try {
		const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
		// Guard against a stale pid file whose pid now belongs to some other process.
		const comm = existsSync("/proc") ? readFileSync(`/proc/${pid}/comm`, "utf8").trim() : "postgres";
		if (pid > 0 && comm === "postgres") process.kill(pid, "SIGQUIT");
	} catch {
		// not running / already gone
	}
}

async function pgCtlStart(dataDir: string, port: number): Promise<void> {
	// Socket dir inside the data dir so parallel servers never collide in /var/run/postgresql.
	const opts = `-h 127.0.0.1 -p ${port} -k ${shellQuote(dataDir)} -c fsync=off -c max_connections=200`;
	const args = ["-D", dataDir, "-w", "-t", "60", "-l", join(dataDir, "log"), "-o", opts, "start"];
	try {
		await runPgTool("pg_ctl", args, dataDir);
	} catch (err) {
		throw new Error(
			`PostgreSQL failed to start on 127.0.0.1:${port}: ${describe(err)}\n--- server log (tail) ---\n${logTail(dataDir)}`,
			{ cause: err },
		);
	}
}

async function pgCtlStop(dataDir: string): Promise<void> {
	try {
		await runPgTool("pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "-t", "60", "stop"], dataDir);
	} catch {
		// pg_ctl could not stop it cleanly (or it was already dead): make sure it is gone.
		killPostmaster(dataDir);
	}
}

/** initdb a fresh temp cluster and start it on a free loopback port. */
export async function startPostgres(): Promise<PostgresServer> {
	ensureServerBinaries();
	const dataDir = mkdtempSync(join(tmpdir(), "agentos-pg-"));
	const onExit = (): void => {
		killPostmaster(dataDir);
		rmSync(dataDir, { recursive: true, force: true });
	};
	process.on("exit", onExit);

	let port = 0;
	try {
		if (isRoot) {
			const uid = Number(execFileSync("id", ["-u", "postgres"]).toString());
			const gid = Number(execFileSync("id", ["-g", "postgres"]).toString());
			chownSync(dataDir, uid, gid);
		}
		// --no-sync and C locale: much faster initdb, and independent of the host's locale setup.
		const initArgs = ["-D", dataDir, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"];
		try {
			await runPgTool("initdb", initArgs, dataDir);
		} catch (err) {
			throw new Error(`initdb failed: ${describe(err)}`, { cause: err });
		}
		// Another process may grab the free port before postgres binds it: retry with a new one.
		for (let attempt = 1; ; attempt++) {
			port = await freePort();
			try {
				await pgCtlStart(dataDir, port);
				break;
			} catch (err) {
				if (attempt >= 3 || !/already in use|could not bind/i.test(logTail(dataDir))) throw err;
			}
		}
	} catch (err) {
		onExit();
		process.off("exit", onExit);
		throw err;
	}

	let running = true;
	let destroyed = false;
	// Serialise start/stop/destroy so concurrent calls cannot interleave pg_ctl runs.
	let queue: Promise<unknown> = Promise.resolve();
	const serial = (fn: () => Promise<void>): Promise<void> => {
		const p = queue.then(fn);
		queue = p.catch(() => undefined);
		return p;
	};
	const doStop = async (): Promise<void> => {
		if (!running) return;
		await pgCtlStop(dataDir);
		running = false;
	};

	return {
		url: `postgres://postgres@127.0.0.1:${port}/postgres`,
		port,
		dataDir,
		stop: () => serial(doStop),
		start: () =>
			serial(async () => {
				if (destroyed) throw new Error("PostgresServer.start(): server was destroyed");
				if (running) return;
				await pgCtlStart(dataDir, port);
				running = true;
			}),
		destroy: () =>
			serial(async () => {
				if (destroyed) return;
				await doStop();
				rmSync(dataDir, { recursive: true, force: true });
				destroyed = true;
				process.off("exit", onExit);
			}),
	};
}

/**
 * Create a fresh (dropped first if it exists) database on a shared server and
 * return its URL, so several specs can share one server without sharing data.
 */
export async function createDatabase(server: PostgresServer, name: string): Promise<string> {
	// Restrict to plain identifiers so the name needs no quoting rules beyond "".
	if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
		throw new Error(`createDatabase: invalid database name ${JSON.stringify(name)} (use [a-z_][a-z0-9_]*)`);
	}
	const client = new Client({ connectionString: server.url });
	await client.connect();
	try {
		await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
		await client.query(`CREATE DATABASE "${name}"`);
	} finally {
		await client.end();
	}
	return `postgres://postgres@127.0.0.1:${server.port}/${name}`;
}
