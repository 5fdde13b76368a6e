import Validator from "fastest-validator";
import type { ValidationRule, ValidationSchema } from "fastest-validator";
import { CONFIG_SCHEMA, type Config, type ConfigKey, type SettingSpec } from "./config-schema";
import { ConfigError } from "./errors";

export { CONFIG_SCHEMA, type Config, type ConfigKey } from "./config-schema";

const MIN_PRODUCTION_TOKEN_LENGTH = 24;

/**
 * Rules that `NODE_ENV=production` enforces: a default that is fine on a laptop but
 * unsafe on a server is refused with the reason.
 */
/** Settings that mean nothing without another. */
const REQUIRED_TOGETHER: ReadonlyArray<{ when: ConfigKey; needs: ConfigKey }> = [{ when: "MEMORY_ENCRYPTION_ENABLED", needs: "MEMORY_ENCRYPTION_KEY" }];

const PRODUCTION_RULES: ReadonlyArray<{ key: ConfigKey; insecure: (c: Config) => string | undefined }> = [
	{
		key: "GATEWAY_AUTH_TOKEN",
		insecure: c =>
			!c.GATEWAY_AUTH_TOKEN
				? "must be set in production (a generated token is for local use)"
				: c.GATEWAY_AUTH_TOKEN.length < MIN_PRODUCTION_TOKEN_LENGTH
					? `must be at least ${MIN_PRODUCTION_TOKEN_LENGTH} characters in production`
					: undefined
	},
	{
		key: "MANIFEST_SIGNING_SECRET",
		insecure: c => (!c.MANIFEST_SIGNING_SECRET ? "must be set in production, so only signed manifests run" : undefined)
	},
	...(["ALLOW_ALL_DOMAINS", "ALLOW_ALL_PATHS", "ALLOW_ALL_COMMANDS"] as const).map(key => ({
		key,
		insecure: (c: Config) => (c[key] ? "must not be true in production: name what the tools may reach in the allowlist" : undefined)
	})),
	{
		key: "CLUSTER_SECRET",
		insecure: c => (c.TRANSPORTER && !c.CLUSTER_SECRET ? "must be set (the same on every node) when TRANSPORTER is set in production" : undefined)
	},
	{
		key: "AUDIT_HMAC_KEY",
		insecure: c =>
			!c.AUDIT_HMAC_KEY && !c.CLUSTER_SECRET
				? "(or CLUSTER_SECRET, which it is derived from) must be set in production: a key generated in the data dir sits beside the log it protects"
				: c.AUDIT_HMAC_KEY && c.AUDIT_HMAC_KEY.length < MIN_PRODUCTION_TOKEN_LENGTH
					? `must be at least ${MIN_PRODUCTION_TOKEN_LENGTH} characters in production`
					: undefined
	}
];

function ruleFor(spec: SettingSpec): ValidationRule {
	switch (spec.type) {
		case "number":
			return { type: "number", convert: true, integer: true, min: spec.min, max: spec.max };
		case "boolean":
			return { type: "boolean", convert: true };
		case "enum":
			return { type: "enum", values: [...(spec.values ?? [])] };
		case "url":
			return {
				type: "string",
				custom: (value: unknown, errors: unknown[]) => {
					if (typeof value === "string" && !hasScheme(value, spec.schemes ?? [])) errors.push({ type: "urlScheme" });
					return value;
				}
			};
		case "string":
			return { type: "string", min: spec.min };
	}
}

function hasScheme(value: string, schemes: readonly string[]): boolean {
	try {
		const url = new URL(value);
		return schemes.includes(url.protocol.replace(/:$/, "")) && url.host.length > 0;
	} catch {
		return false;
	}
}

/** What a person should put in the variable instead, for the error line. */
export function describeAllowed(spec: SettingSpec): string {
	switch (spec.type) {
		case "number":
			return `a whole number from ${spec.min ?? "-∞"} to ${spec.max ?? "∞"}`;
		case "boolean":
			return "true or false";
		case "enum":
			return `one of ${(spec.values ?? []).join(", ")}`;
		case "url":
			return `a URL starting with ${(spec.schemes ?? []).map(s => `${s}://`).join(" or ")}`;
		case "string":
			return spec.min ? `text of at least ${spec.min} characters` : "text";
	}
}

const validator = new Validator({ useNewCustomCheckerFunction: true });
const validationSchema: ValidationSchema = { $$strict: false };
for (const [key, spec] of Object.entries(CONFIG_SCHEMA) as [ConfigKey, SettingSpec][]) {
	validationSchema[key] = { ...(ruleFor(spec) as object), optional: true } as ValidationRule;
}
const check = validator.compile(validationSchema);

/**
 * Reads the configuration from an environment. An empty variable counts as unset.
 * A bad value throws a ConfigError whose message is one line naming the variable,
 * what was given (unless secret) and what is allowed.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
	const input: Record<string, unknown> = {};
	for (const [key, spec] of Object.entries(CONFIG_SCHEMA) as [ConfigKey, SettingSpec][]) {
		const raw = env[key]?.trim();
		if (raw !== undefined && raw !== "") input[key] = raw;
		else if (spec.default !== undefined) input[key] = spec.default;
	}

	const result = check(input);
	if (result !== true) {
		const failure = Array.isArray(result) ? result[0] : undefined;
		const key = (failure?.field ?? "") as ConfigKey;
		const spec: SettingSpec | undefined = CONFIG_SCHEMA[key];
		if (!spec) throw new ConfigError(`Invalid configuration: ${failure?.message ?? "unknown error"}`, key);
		const given = spec.secret ? "" : ` (got "${env[key]}")`;
		throw new ConfigError(`Invalid configuration: ${key} must be ${describeAllowed(spec)}${given}`, key);
	}

	const config = input as Config;
	for (const rule of REQUIRED_TOGETHER) {
		if (config[rule.when] === true && !config[rule.needs]) throw new ConfigError(`Invalid configuration: ${rule.needs} must be set when ${rule.when} is true`, rule.needs);
	}
	if (config.NODE_ENV === "production") {
		for (const rule of PRODUCTION_RULES) {
			const reason = rule.insecure(config);
			if (reason) throw new ConfigError(`Insecure configuration: ${rule.key} ${reason}`, rule.key);
		}
	}
	return Object.freeze(config);
}

/** A copy of the configuration that is safe to print: secrets are masked. */
export function redactConfig(config: Config): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const [key, spec] of Object.entries(CONFIG_SCHEMA) as [ConfigKey, SettingSpec][]) {
		const value = config[key];
		out[key] = spec.secret && value !== undefined ? "********" : value;
	}
	return out;
}
