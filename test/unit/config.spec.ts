import { CONFIG_SCHEMA, loadConfig, redactConfig } from "../../lib/kernel/config";
import { ConfigError } from "../../lib/kernel/errors";

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
	try {
		loadConfig(env);
	} catch (err) {
		if (err instanceof ConfigError) return err;
		throw err;
	}
	throw new Error("expected a ConfigError");
}

describe("configuration", () => {
	it("runs on defaults alone: embedded storage, single node, port 3000", () => {
		const config = loadConfig({});
		expect(config.PORT).toBe(3000);
		expect(config.HOST).toBe("127.0.0.1");
		expect(config.AGENTOS_DATA_DIR).toBe("./data");
		expect(config.DATABASE_URL).toBeUndefined();
		expect(config.TRANSPORTER).toBeUndefined();
		expect(config.METRICS_ENABLED).toBe(true);
		expect(config.LOG_LEVEL).toBe("info");
	});

	it("converts numbers and booleans from their text", () => {
		const config = loadConfig({ PORT: "8080", METRICS_ENABLED: "false", TRACING_ENABLED: "true" });
		expect(config.PORT).toBe(8080);
		expect(config.METRICS_ENABLED).toBe(false);
		expect(config.TRACING_ENABLED).toBe(true);
	});

	it("treats an empty variable as unset", () => {
		expect(loadConfig({ PORT: "", DATABASE_URL: "  " })).toMatchObject({ PORT: 3000, DATABASE_URL: undefined });
	});

	it.each([
		["PORT", "abc", "PORT must be a whole number from 0 to 65535 (got \"abc\")"],
		["PORT", "70000", "PORT must be a whole number from 0 to 65535"],
		["PORT", "3000.5", "PORT must be a whole number"],
		["SHUTDOWN_TIMEOUT_MS", "-1", "SHUTDOWN_TIMEOUT_MS must be a whole number from 100 to 600000"],
		["LOG_LEVEL", "loud", "LOG_LEVEL must be one of fatal, error, warn, info, debug, trace (got \"loud\")"],
		["NODE_ENV", "prod", "NODE_ENV must be one of development, production, test"],
		["METRICS_ENABLED", "maybe", "METRICS_ENABLED must be true or false"],
		["QDRANT_URL", "localhost:6333", "QDRANT_URL must be a URL starting with http:// or https://"],
		["LOG_FORMAT", "xml", "LOG_FORMAT must be one of auto, pretty, json"]
	])("refuses %s=%s with one line naming it", (key, value, message) => {
		const err = errorOf({ [key]: value });
		expect(err.key).toBe(key);
		expect(err.message).toContain(message);
		expect(err.message).not.toContain("\n");
	});

	it.each([
		["DATABASE_URL", "mysql://user:hunter2@db/agents"],
		["TRANSPORTER", "kafka://user:hunter2@broker:9092"],
		["REDIS_URL", "http://user:hunter2@cache"]
	])("names %s but never echoes a secret value", (key, value) => {
		const err = errorOf({ [key]: value });
		expect(err.message).toContain(key);
		expect(err.message).not.toContain("hunter2");
	});

	it("accepts the cluster URLs it documents", () => {
		const config = loadConfig({
			DATABASE_URL: "postgres://agentos:pw@db:5432/agentos",
			TRANSPORTER: "nats://nats:4222",
			REDIS_URL: "redis://cache:6379",
			QDRANT_URL: "http://qdrant:6333"
		});
		expect(config.TRANSPORTER).toBe("nats://nats:4222");
	});

	describe("in production", () => {
		it("refuses to run without an admin token", () => {
			const err = errorOf({ NODE_ENV: "production" });
			expect(err.key).toBe("GATEWAY_AUTH_TOKEN");
			expect(err.message).toBe("Insecure configuration: GATEWAY_AUTH_TOKEN must be set in production (a generated token is for local use)");
		});

		it("refuses a short admin token", () => {
			expect(errorOf({ NODE_ENV: "production", GATEWAY_AUTH_TOKEN: "short" }).message).toContain("at least 24 characters");
		});

		const secure = { NODE_ENV: "production", GATEWAY_AUTH_TOKEN: "x".repeat(32), MANIFEST_SIGNING_SECRET: "m".repeat(32), AUDIT_HMAC_KEY: "a".repeat(32) };

		it("refuses to run agents from unsigned manifests", () => {
			const err = errorOf({ ...secure, MANIFEST_SIGNING_SECRET: "" });
			expect(err.message).toBe("Insecure configuration: MANIFEST_SIGNING_SECRET must be set in production, so only signed manifests run");
		});

		it("requires a shared cluster secret when nodes form a cluster", () => {
			expect(errorOf({ ...secure, TRANSPORTER: "nats://nats:4222" }).key).toBe("CLUSTER_SECRET");
			expect(loadConfig({ ...secure, TRANSPORTER: "nats://nats:4222", CLUSTER_SECRET: "c".repeat(32) }).TRANSPORTER).toBe("nats://nats:4222");
		});

		it("refuses an audit key generated beside the log it protects, or a short one", () => {
			const err = errorOf({ ...secure, AUDIT_HMAC_KEY: "" });
			expect(err.key).toBe("AUDIT_HMAC_KEY");
			expect(err.message).toBe(
				"Insecure configuration: AUDIT_HMAC_KEY (or CLUSTER_SECRET, which it is derived from) must be set in production: a key generated in the data dir sits beside the log it protects"
			);
			expect(errorOf({ ...secure, AUDIT_HMAC_KEY: "k".repeat(20) }).message).toBe("Insecure configuration: AUDIT_HMAC_KEY must be at least 24 characters in production");
			expect(loadConfig({ ...secure, AUDIT_HMAC_KEY: "", CLUSTER_SECRET: "c".repeat(32) }).NODE_ENV).toBe("production");
		});

		it.each(["ALLOW_ALL_DOMAINS", "ALLOW_ALL_PATHS", "ALLOW_ALL_COMMANDS"])("refuses %s=true", key => {
			expect(errorOf({ ...secure, [key]: "true" }).message).toBe(`Insecure configuration: ${key} must not be true in production: name what the tools may reach in the allowlist`);
		});

		it("runs with a strong token and a signing secret", () => {
			expect(loadConfig(secure).NODE_ENV).toBe("production");
		});
	});

	it("masks secrets when the configuration is shown", () => {
		const shown = redactConfig(loadConfig({ GATEWAY_AUTH_TOKEN: "s3cret-token", DATABASE_URL: "postgres://u:pw@h/db", PORT: "4000" }));
		expect(shown.GATEWAY_AUTH_TOKEN).toBe("********");
		expect(shown.DATABASE_URL).toBe("********");
		expect(shown.PORT).toBe(4000);
		expect(JSON.stringify(shown)).not.toContain("s3cret");
	});

	it("describes every variable in one line", () => {
		for (const [key, spec] of Object.entries(CONFIG_SCHEMA)) {
			expect({ key, ok: spec.description.length > 10 && !spec.description.includes("\n") }).toEqual({ key, ok: true });
		}
	});
});
