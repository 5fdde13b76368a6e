/**
 * The cluster's docker-compose.yml (and the Dockerfile's ENV), checked without a Docker
 * engine: `docker compose config` (or Debian's `docker-compose config`) validates and
 * resolves the file, and the resolved file must still match what a node reads
 * (CONFIG_SCHEMA) and accept.
 *
 * Needs `docker compose` (the plugin) or `docker-compose`. Neither present: as root with
 * apt-get, docker-compose is installed; otherwise the suite fails with the command to run.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { CONFIG_SCHEMA } from "../../lib/kernel/config-schema";
import { loadConfig } from "../../lib/kernel/config";
import { findExecutable } from "../support/server-binaries";
import { testTempDir } from "../support/test-tmp";

const ROOT = path.resolve(__dirname, "../..");
const COMPOSE_FILE = path.join(ROOT, "docker-compose.yml");
const DOCKERFILE = path.join(ROOT, "Dockerfile");
const AGENTOS_SERVICES = ["agentos-1", "agentos-2", "agentos-3"] as const;
const SERVERS = ["nats", "postgres", "redis", "qdrant"] as const;
const TOKEN = "compose-test-token-0123456789abcdef";
/** What the compose file refuses to start without. */
const REQUIRED_SECRETS = ["GATEWAY_AUTH_TOKEN", "MANIFEST_SIGNING_SECRET", "CLUSTER_SECRET"] as const;
const SECRETS: Record<string, string> = {
	GATEWAY_AUTH_TOKEN: TOKEN,
	MANIFEST_SIGNING_SECRET: "compose-test-signing-secret-0123456789",
	CLUSTER_SECRET: "compose-test-cluster-secret-0123456789"
};
const INSTALL_HINT = "apt-get install -y docker-compose";

interface ComposeCli {
	command: string;
	prefix: string[];
	label: string;
}

interface Run {
	status: number | null;
	stdout: string;
	stderr: string;
}

interface ComposeService {
	image?: string;
	build?: unknown;
	environment?: Record<string, string | null> | string[];
	healthcheck?: { test?: string[] | string };
	depends_on?: Record<string, { condition?: string }> | string[];
	ports?: unknown[];
	volumes?: unknown[];
	restart?: string;
}

function succeeds(command: string, args: string[]): boolean {
	return spawnSync(command, args, { stdio: "ignore" }).status === 0;
}

function aptGetInstall(apt: string): void {
	const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
	const install = () => spawnSync(apt, ["install", "-y", "-q", "docker-compose"], { env, encoding: "utf8" });
	let result = install();
	if (result.status !== 0) {
		// A fresh container often has no package lists yet: refresh once, then retry.
		spawnSync(apt, ["update", "-q"], { env, stdio: "ignore" });
		result = install();
	}
	if (result.status !== 0) {
		throw new Error(`Installing docker-compose failed (${INSTALL_HINT}): ${result.stderr.trim() || `exit ${result.status}`}`);
	}
}

/** `docker compose` if the plugin is there, else `docker-compose` (installed as root if need be). */
function findComposeCli(): ComposeCli {
	const docker = findExecutable("docker");
	if (docker && succeeds(docker, ["compose", "version"])) return { command: docker, prefix: ["compose"], label: "docker compose" };
	let dockerCompose = findExecutable("docker-compose");
	if (!dockerCompose) {
		const apt = process.getuid?.() === 0 ? findExecutable("apt-get") : undefined;
		if (!apt) {
			throw new Error(
				"Neither `docker compose` nor `docker-compose` is installed; this test validates docker-compose.yml with one of them. " +
					`Install it with: ${INSTALL_HINT}`
			);
		}
		process.stderr.write(`[docker-compose.spec] neither \`docker compose\` nor \`docker-compose\` found; running ${INSTALL_HINT}\n`);
		aptGetInstall(apt);
		dockerCompose = findExecutable("docker-compose");
		if (!dockerCompose) throw new Error(`docker-compose still not found after ${INSTALL_HINT}`);
	}
	return { command: dockerCompose, prefix: [], label: "docker-compose" };
}

describe("docker-compose.yml (cluster)", () => {
	let cli: ComposeCli;
	let emptyEnvFile: string;

	/** Runs `<compose> -f docker-compose.yml config …` with only the given variables set. */
	function composeConfig(vars: Record<string, string>, args: string[] = []): Run {
		const env: NodeJS.ProcessEnv = { ...process.env, ...vars };
		// The result must not depend on the caller's shell, or on a .env in the project dir.
		for (const secret of REQUIRED_SECRETS) if (!(secret in vars)) delete env[secret];
		delete env.POSTGRES_PASSWORD;
		for (const key of Object.keys(env)) if (key.startsWith("COMPOSE_")) delete env[key];
		const result = spawnSync(
			cli.command,
			[...cli.prefix, "--env-file", emptyEnvFile, "-f", COMPOSE_FILE, "--project-name", "agentos", "config", ...args],
			{ cwd: ROOT, env, encoding: "utf8", timeout: 60_000 }
		);
		if (result.error) throw result.error;
		return { status: result.status, stdout: result.stdout, stderr: result.stderr };
	}

	let valid: Run;
	let resolved: { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };
	let unset: Run;
	const unsetOne: Record<string, Run> = {};

	beforeAll(() => {
		cli = findComposeCli();
		emptyEnvFile = path.join(testTempDir("agentos-compose-"), "empty.env");
		fs.writeFileSync(emptyEnvFile, "");
		valid = composeConfig(SECRETS, ["-q"]);
		const full = composeConfig(SECRETS);
		if (full.status !== 0) throw new Error(`${cli.label} config failed: ${full.stderr}`);
		resolved = parse(full.stdout);
		unset = composeConfig({});
		for (const secret of REQUIRED_SECRETS) {
			const { [secret]: _, ...others } = SECRETS;
			unsetOne[secret] = composeConfig(others);
		}
	}, 300_000);

	afterAll(() => {
		if (emptyEnvFile) fs.rmSync(path.dirname(emptyEnvFile), { recursive: true, force: true });
	});

	function environmentOf(name: string): Record<string, string> {
		const raw = resolved.services[name]?.environment ?? {};
		const entries = Array.isArray(raw)
			? raw.map(line => [line.slice(0, line.indexOf("=") < 0 ? line.length : line.indexOf("=")), line.slice(line.indexOf("=") + 1)])
			: Object.entries(raw).map(([k, v]) => [k, v ?? ""]);
		return Object.fromEntries(entries);
	}

	it("is valid with the required secrets set", () => {
		expect({ status: valid.status, stderr: valid.stderr.trim() }).toEqual({ status: 0, stderr: "" });
	});

	it("defines the servers and three AgentOS nodes", () => {
		expect(Object.keys(resolved.services).sort()).toEqual([...AGENTOS_SERVICES, ...SERVERS].sort());
		expect(resolved.services.postgres.image).toMatch(/^pgvector\/pgvector:pg16$/);
		expect(resolved.services.nats.image).toMatch(/^nats:2\.10/);
		expect(resolved.services.redis.image).toMatch(/^redis:7/);
		expect(resolved.services.qdrant.image).toMatch(/^qdrant\/qdrant/);
		for (const name of SERVERS) expect(resolved.services[name].healthcheck?.test).toBeDefined();
	});

	it.each(AGENTOS_SERVICES)("%s reaches every server and has the admin token", name => {
		const env = environmentOf(name);
		expect(env.NODE_ID).toBe(name);
		expect(env.TRANSPORTER).toBe("nats://nats:4222");
		expect(env.DATABASE_URL).toMatch(/^postgres:\/\/agentos:[^@]+@postgres:5432\/agentos$/);
		expect(env.REDIS_URL).toBe("redis://redis:6379");
		expect(env.QDRANT_URL).toBe("http://qdrant:6333");
		expect(env.GATEWAY_AUTH_TOKEN).toBe(TOKEN);
		expect(env.MANIFEST_SIGNING_SECRET).toBe(SECRETS.MANIFEST_SIGNING_SECRET);
		expect(env.CLUSTER_SECRET).toBe(SECRETS.CLUSTER_SECRET);
	});

	it.each(AGENTOS_SERVICES)("%s is built here, checks /live, waits for healthy servers and keeps its own data", name => {
		const service = resolved.services[name];
		expect(service.build).toBeDefined();
		const test = service.healthcheck?.test;
		expect(Array.isArray(test) ? test.join(" ") : test).toContain("/live");
		expect(service.restart).toBe("unless-stopped");
		const dependsOn = service.depends_on as Record<string, { condition?: string }>;
		for (const server of SERVERS) expect(dependsOn?.[server]?.condition).toBe("service_healthy");
		expect(JSON.stringify(service.volumes)).toContain(`${name}-data`);
	});

	it("publishes the three gateways on 3000, 3001 and 3002", () => {
		const published = (name: string) => JSON.stringify(resolved.services[name].ports);
		expect(published("agentos-1")).toMatch(/3000/);
		expect(published("agentos-2")).toMatch(/3001/);
		expect(published("agentos-3")).toMatch(/3002/);
	});

	it("tags the third node, for placement constraints", () => {
		expect(environmentOf("agentos-3").NODE_TAGS).toBe("batch");
	});

	it("passes the nodes only variables that the node reads (CONFIG_SCHEMA)", () => {
		for (const name of AGENTOS_SERVICES) {
			const unknown = Object.keys(environmentOf(name)).filter(key => !(key in CONFIG_SCHEMA));
			expect({ service: name, unknown }).toEqual({ service: name, unknown: [] });
		}
	});

	it("sets only CONFIG_SCHEMA variables in the Dockerfile", () => {
		const text = fs.readFileSync(DOCKERFILE, "utf8").replace(/\\\r?\n/g, " ");
		const keys = text
			.split(/\r?\n/)
			.filter(line => /^\s*ENV\s/i.test(line))
			.flatMap(line => [...line.replace(/^\s*ENV\s+/i, "").matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)].map(m => m[1]));
		expect(keys).toEqual(expect.arrayContaining(["NODE_ENV", "HOST", "PORT", "AGENTOS_DATA_DIR"]));
		expect(keys.filter(key => !(key in CONFIG_SCHEMA))).toEqual([]);
	});

	it.each(AGENTOS_SERVICES)("%s: the image's and the compose file's settings pass the node's production config check", name => {
		const imageEnv = { NODE_ENV: "production", HOST: "0.0.0.0", PORT: "3000", AGENTOS_DATA_DIR: "/data" };
		expect(() => loadConfig({ ...imageEnv, ...environmentOf(name) })).not.toThrow();
	});

	it("is refused when no secret is set", () => {
		expect(unset.status).not.toBe(0);
	});

	it.each(REQUIRED_SECRETS)("is refused when %s is unset, naming the variable", secret => {
		expect(unsetOne[secret].status).not.toBe(0);
		expect(unsetOne[secret].stdout + unsetOne[secret].stderr).toContain(secret);
	});
});
