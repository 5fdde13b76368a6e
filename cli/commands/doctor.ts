import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { loadConfig, type Config } from "../../lib/kernel/config";
import { ConfigError } from "../../lib/kernel/errors";
import { projectRoot } from "../../lib/kernel/paths";
import { loadMalConfig, type MalConfig } from "../../lib/mal/mal-config";
import { ModelRouter } from "../../lib/mal/router";
import { expectPositionals, parseArgs } from "../args";
import { EXIT, printJson } from "./common";
import { runLocalCommand } from "./init";

export const DOCTOR_USAGE = `Usage: agent-os doctor [--infra] [--json]
       checks Node, the configuration (.env here and the environment), models (a one-token
       chat and a one-word embedding with each provider), the data dir and the build;
       --infra also connects to the database, vector store, transporter, Redis and a
       running node (2 s each)`;

type Status = "ok" | "warn" | "fail";
export interface Check {
	check: string;
	status: Status;
	detail: string;
}

const TIMEOUT_MS = 2000;
const ok = (check: string, detail: string): Check => ({ check, status: "ok", detail });
const warn = (check: string, detail: string): Check => ({ check, status: "warn", detail });
const fail = (check: string, detail: string): Check => ({ check, status: "fail", detail });

/** `agent-os doctor`: what stands between this machine and a running node, each with its fix. */
export function doctorCommand(argv: readonly string[]): Promise<number> {
	return runLocalCommand(DOCTOR_USAGE, argv, async () => {
		const args = parseArgs(argv, { booleans: ["infra", "json"] });
		expectPositionals(args, []);
		const hasEnvFile = fs.existsSync(".env");
		// Guarded so an old Node gets its verdict below rather than a TypeError here.
		if (hasEnvFile && typeof process.loadEnvFile === "function") process.loadEnvFile(".env");

		const checks: Check[] = [nodeVersion()];
		let config: Config | undefined;
		try {
			config = loadConfig(process.env);
			const source = hasEnvFile ? "the environment and ./.env" : "the environment (no .env here; agent-os init writes one)";
			checks.push(ok("config", `loaded from ${source}, NODE_ENV=${config.NODE_ENV}`));
		} catch (err) {
			if (!(err instanceof ConfigError)) throw err;
			checks.push(fail("config", err.message));
		}
		// Everything else reads the configuration; a bad one is the only thing worth fixing first.
		if (config) {
			const [modelsCheck, mal] = models(config);
			checks.push(secrets(config), modelsCheck);
			if (mal) checks.push(...(await (await import("./doctor-models")).providerChecks(mal)));
			checks.push(dataDir(config), build());
			if (args.booleans.has("infra")) checks.push(...(await Promise.all(infraChecks(config).map(bounded))));
		} else {
			checks.push(build());
		}

		if (args.booleans.has("json")) printJson(checks);
		else {
			const width = Math.max(...checks.map(c => c.check.length)) + 2;
			for (const c of checks) console.log(`${c.status.padEnd(6)}${c.check.padEnd(width)}${c.detail}`);
		}
		return checks.some(c => c.status === "fail") ? EXIT.usage : EXIT.ok;
	});
}

function nodeVersion(): Check {
	const version = `v${process.versions.node}`;
	if (Number(process.versions.node.split(".")[0]) < 20) return fail("node", `${version}; AgentOS needs Node 20 or later (nodejs.org)`);
	// 20.0–20.11 lack process.loadEnvFile, which reads .env for start and the CLI.
	if (typeof process.loadEnvFile !== "function") return fail("node", `${version} cannot read .env files; update to Node 20.12 or later`);
	return ok("node", version);
}

function secrets(config: Config): Check {
	const unset = (["GATEWAY_AUTH_TOKEN", "MANIFEST_SIGNING_SECRET", "CLUSTER_SECRET"] as const).filter(k => !config[k]);
	if (!unset.length) return ok("secrets", "GATEWAY_AUTH_TOKEN, MANIFEST_SIGNING_SECRET and CLUSTER_SECRET are set");
	return warn("secrets", `${unset.join(", ")} unset (fine on a laptop: generated in the data dir, manifests unsigned); agent-os init writes them`);
}

/** The providers configured, and where embeddings go; the configuration to check them with when it is valid. */
function models(config: Config): [Check, MalConfig | undefined] {
	try {
		const mal = loadMalConfig(config);
		const names = mal.providers.map(p => p.name);
		const embed = new ModelRouter(mal).resolve(undefined, "embed");
		const embeddings = `; memories are embedded by ${embed.provider.name}/${embed.model}`;
		if (names.length === 1) return [warn("models", `only the offline model, which is not a language model; set OPENAI_API_KEY, ANTHROPIC_API_KEY or LLM_PROVIDERS${embeddings}`), mal];
		return [ok("models", `${names.join(", ")}${embeddings}`), mal];
	} catch (err) {
		if (err instanceof ConfigError) return [fail("models", err.message), undefined];
		// LLM_EMBEDDING_MODEL naming a model no provider serves.
		if ((err as { type?: string }).type === "UNKNOWN_MODEL") return [fail("models", `LLM_EMBEDDING_MODEL: ${(err as Error).message}`), undefined];
		throw err;
	}
}

/** Writes a probe file: access(2) says yes on a read-only mount. A missing dir must be creatable. */
function dataDir(config: Config): Check {
	const dir = path.resolve(config.AGENTOS_DATA_DIR);
	let existing = dir;
	while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
	const probe = path.join(existing, `.agent-os-doctor-${process.pid}`);
	try {
		fs.writeFileSync(probe, "");
		fs.rmSync(probe);
	} catch (err) {
		return fail("data dir", `${dir} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fix its permissions or set AGENTOS_DATA_DIR`);
	}
	return ok("data dir", existing === dir ? `${dir} is writable` : `${dir} will be created (in ${existing}, which is writable)`);
}

function build(): Check {
	// The worker entry is the last thing agents need from dist/; worker-factory names the same file.
	const entry = path.join(projectRoot(), "dist", "actors", "workers", "process-entry.js");
	return fs.existsSync(entry) ? ok("build", `${path.dirname(path.dirname(path.dirname(entry)))} is built`) : fail("build", `${entry} is missing; run npm run build`);
}

interface InfraCheck {
	name: string;
	/** What to look at when the check fails or times out. */
	fix: string;
	run: () => Promise<Check>;
}

function infraChecks(config: Config): InfraCheck[] {
	const { DATABASE_URL: db, QDRANT_URL: qdrant, TRANSPORTER: transporter, REDIS_URL: redis } = config;
	const nodeUrl = (process.env.AGENTOS_URL || `http://127.0.0.1:${config.PORT}`).replace(/\/+$/, "");
	const dbFix = db ? `is PostgreSQL running at ${where(db)}? Check DATABASE_URL` : "";
	return [
		{
			name: "database",
			fix: dbFix,
			// server_version may carry the distribution's build ("15.18 (Debian …)"); the number is what matters.
			run: async () => (db ? ok("database", `PostgreSQL ${(await postgres(db, "SHOW server_version")).split(" ")[0]} at ${where(db)}`) : embedded(config))
		},
		{
			name: "vector store",
			fix: qdrant ? `is Qdrant running at ${where(qdrant)}? Check QDRANT_URL` : dbFix,
			run: async () => {
				if (qdrant) return ok("vector store", await qdrantCollections(qdrant, config.QDRANT_API_KEY));
				if (!db) return ok("vector store", "pgvector in the embedded PGlite");
				const has = await postgres(db, "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'");
				if (has !== "0") return ok("vector store", `pgvector available at ${where(db)}`);
				return fail("vector store", `the server at ${where(db)} has no pgvector extension; install it (e.g. the pgvector/pgvector image) or set QDRANT_URL`);
			}
		},
		{
			name: "transporter",
			fix: transporter ? `is the ${transporter.startsWith("nats:") ? "NATS" : "Redis"} server running at ${where(transporter)}? Check TRANSPORTER` : "",
			run: async () => ok("transporter", !transporter ? "none (a single node)" : transporter.startsWith("nats:") ? await natsInfo(transporter) : await redisPing(transporter))
		},
		{
			name: "redis",
			fix: redis ? `is Redis running at ${where(redis)}? Check REDIS_URL` : "",
			run: async () => ok("redis", redis ? await redisPing(redis) : "none (cache, locks and rate limits in memory)")
		},
		{ name: "running node", fix: `check ${nodeUrl}/health`, run: () => runningNode(nodeUrl) }
	];
}

/** Each infrastructure check answers within TIMEOUT_MS, whatever the server does. */
async function bounded({ name, fix, run }: InfraCheck): Promise<Check> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<string>(resolve => (timer = setTimeout(() => resolve(`no answer within ${TIMEOUT_MS / 1000} s`), TIMEOUT_MS)));
	const failed = (why: string) => fail(name, fix ? `${why}; ${fix}` : why);
	try {
		return await Promise.race([run().catch((err: unknown) => failed(reason(err))), timeout.then(failed)]);
	} finally {
		clearTimeout(timer);
	}
}

const DEFAULT_PORTS: Record<string, number> = { "postgres:": 5432, "postgresql:": 5432, "redis:": 6379, "rediss:": 6379, "nats:": 4222, "http:": 80, "https:": 443 };

/** Host, port and database only: a URL may carry a password. */
function where(url: string): string {
	const u = new URL(url);
	const database = u.protocol.startsWith("postgres") && u.pathname.length > 1 ? u.pathname : "";
	return `${u.hostname}:${u.port || DEFAULT_PORTS[u.protocol] || "?"}${database}`;
}

function reason(error: unknown): string {
	const err = error as Error & { code?: string; errors?: Error[]; cause?: { code?: string; message?: string } };
	// fetch says only "fetch failed" (the cause has the code); net's happy-eyeballs failures are an AggregateError with no message.
	if (err.cause?.code || err.cause?.message) return `${err.message} (${err.cause.code ?? err.cause.message})`;
	return err.message || err.code || err.errors?.map(e => e.message).join("; ") || String(err);
}

/** The PGlite lock may belong to a running node, so the database itself is not opened. */
function embedded(config: Config): Check {
	const dir = path.resolve(config.AGENTOS_DATA_DIR);
	const lock = path.join(dir, "pgdata.lock");
	const holder = fs.existsSync(lock) ? fs.readFileSync(lock, "utf8").trim() : "";
	return ok("database", `embedded PGlite in ${path.join(dir, "pgdata")}${holder ? ` (open in process ${holder})` : ""}`);
}

async function postgres(url: string, sql: string): Promise<string> {
	const { Client } = await import("pg");
	const client = new Client({ connectionString: url, connectionTimeoutMillis: TIMEOUT_MS, query_timeout: TIMEOUT_MS });
	client.on("error", () => undefined); // a late socket error after the verdict is not news
	try {
		await client.connect();
		const { rows } = await client.query<Record<string, unknown>>(sql);
		return String(Object.values(rows[0] ?? {})[0]);
	} finally {
		void client.end().catch(() => undefined);
	}
}

async function qdrantCollections(url: string, apiKey: string | undefined): Promise<string> {
	const res = await fetch(`${url.replace(/\/+$/, "")}/collections`, { headers: apiKey ? { "api-key": apiKey } : {}, signal: AbortSignal.timeout(TIMEOUT_MS) });
	if (!res.ok) throw new Error(`Qdrant at ${where(url)} answered ${res.status}${res.status === 401 || res.status === 403 ? "; check QDRANT_API_KEY" : ""}`);
	const body = (await res.json()) as { result?: { collections?: unknown[] } };
	return `Qdrant at ${where(url)} (${body.result?.collections?.length ?? 0} collections)`;
}

/** A NATS server speaks first: its INFO line says it is one, and which version. */
function natsInfo(url: string): Promise<string> {
	const u = new URL(url);
	return new Promise((resolve, reject) => {
		const socket = net.connect({ host: u.hostname, port: Number(u.port) || 4222 });
		let data = "";
		socket.setTimeout(TIMEOUT_MS, () => socket.destroy(new Error("no INFO line from the server")));
		socket.on("error", reject);
		socket.on("data", chunk => {
			data += chunk.toString("utf8");
			const end = data.indexOf("\r\n");
			if (end === -1) return;
			socket.destroy();
			const line = data.slice(0, end);
			if (!line.startsWith("INFO ")) return reject(new Error(`${where(url)} is not a NATS server (it said "${line.slice(0, 40)}")`));
			let version = "";
			try {
				version = (JSON.parse(line.slice(5)) as { version?: string }).version ?? "";
			} catch {
				// An INFO line is enough to know it is NATS.
			}
			resolve(`NATS${version ? ` ${version}` : ""} at ${where(url)}`);
		});
	});
}

async function redisPing(url: string): Promise<string> {
	const { default: Redis } = await import("ioredis");
	const redis = new Redis(url, { lazyConnect: true, connectTimeout: TIMEOUT_MS, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
	// A failed connect rejects with "Connection is closed."; the error event says why.
	let cause: Error | undefined;
	redis.on("error", (err: Error) => (cause ??= err));
	try {
		await redis.connect();
		const pong = await redis.ping();
		return `Redis at ${where(url)} answered ${pong}`;
	} catch (err) {
		throw cause ?? err;
	} finally {
		redis.disconnect();
	}
}

/** No node is fine (doctor runs before the first start); a sick one is not. */
async function runningNode(url: string): Promise<Check> {
	let res: Response;
	try {
		res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
	} catch {
		return warn("running node", `none answers at ${url} (npm start boots one; AGENTOS_URL points elsewhere)`);
	}
	const health = (await res.json().catch(() => ({}))) as { status?: string; node?: string; version?: string };
	const node = `${health.node} (AgentOS ${health.version}) at ${url}`;
	if (health.status === "ok") return ok("running node", node);
	if (health.status === "degraded") return warn("running node", `${node} is degraded; see which subsystem: curl ${url}/health`);
	return fail("running node", `${url}/health answered ${res.status}${health.status ? ` (${health.status})` : ""}; see its subsystems: curl ${url}/health`);
}
