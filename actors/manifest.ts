/**
 * Reading an agent manifest: every bad field reported at once, one line each, then the
 * defaults filled in. Task types' JSON Schemas are compiled here too, so a broken schema
 * is refused at registration rather than on the first task.
 *
 * A signed manifest is verified on the raw input BEFORE parseManifest (see
 * manifest-signature.ts): the output carries defaults the author never signed.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import Validator from "fastest-validator";
import type { ValidationError, ValidationRule, ValidationSchema } from "fastest-validator";
import { type FieldProblem, ManifestInvalidError, TaskInvalidError } from "./errors";
import { DEFAULT_LIMITS, DEFAULT_RESTART, RESTART_POLICIES, TRUST_LEVELS, WORKER_RUNTIMES } from "./manifest-types";
import { DEFAULT_RECALL } from "./manifest-types";
import type { AgentLimits, AgentManifest, DeclarativeMemory, ManifestTool, PlacementConstraints, RestartPolicy, TaskTypeSpec } from "./manifest-types";

const TASK_TYPE = /^[a-z][a-z0-9_.-]{0,63}$/;
const MAX_RESTART_DELAY_MS = 3_600_000;

/** A rule, and what a person should write instead when it fails (for the error line). */
type FieldSpec = { rule: ValidationRule; allowed: string };

const spec = (rule: ValidationRule, allowed: string): FieldSpec => ({ rule, allowed });
const text = (min: number, max: number, optional = true) =>
	spec({ type: "string", min, max, optional }, min > 0 ? `text of ${min} to ${max} characters` : `text of at most ${max} characters`);
const whole = (min: number, max: number) => spec({ type: "number", integer: true, min, max, optional: true }, `a whole number from ${min} to ${max}`);
const decimal = (min: number, max: number) => spec({ type: "number", min, max, optional: true }, `a number from ${min} to ${max}`);
const oneOf = (values: readonly string[]) => spec({ type: "enum", values: [...values], optional: true }, `one of ${values.join(", ")}`);
const group = (specs: Record<string, FieldSpec>, what: string): FieldSpec => ({
	rule: { type: "object", optional: true, strict: true, props: Object.fromEntries(Object.entries(specs).map(([k, s]) => [k, s.rule])) },
	allowed: `an object of ${what}: ${Object.keys(specs).join(", ")}`
});

const LIMITS: Record<keyof AgentLimits, FieldSpec> = {
	memoryMB: whole(32, 65_536),
	cpuCores: decimal(0.1, 64),
	cpuTimeSeconds: whole(0, 86_400),
	timeoutMs: whole(100, 86_400_000),
	maxConcurrency: whole(1, 1000),
	maxQueue: whole(0, 100_000),
	diskQuotaMB: whole(16, 1_048_576),
	pids: whole(8, 32_768),
	maxSteps: whole(1, 50),
	maxTokensPerTask: whole(0, 100_000_000),
	maxUsdPerTask: decimal(0, 10_000),
	maxSuspendMs: whole(1000, 90 * 86_400_000)
};

const MEMORY: Record<keyof DeclarativeMemory, FieldSpec> = {
	historyWindow: whole(0, 1000),
	recall: whole(0, 50)
};

const RESTART: Record<keyof RestartPolicy, FieldSpec> = {
	policy: oneOf(RESTART_POLICIES),
	baseDelayMs: whole(10, 600_000),
	factor: decimal(1, 10),
	maxDelayMs: whole(10, MAX_RESTART_DELAY_MS),
	maxRestarts: whole(0, 1000),
	windowMs: whole(1000, 86_400_000)
};

const PLACEMENT: Record<keyof PlacementConstraints, FieldSpec> = {
	nodeTags: spec({ type: "array", optional: true, unique: true, max: 16, items: { type: "string", min: 1, max: 64 } }, "a list of at most 16 distinct tags of 1 to 64 characters")
};

const CAPABILITY = spec(
	{ type: "string", pattern: /^[a-z][a-z0-9_]*(\.[a-z0-9_*]+)+$/ },
	"a capability such as memory.read or a2a.send (lower-case words joined by dots)"
);

/** A NUL byte would truncate the path in the OS calls that load the module. */
function noNul(value: unknown, errors: unknown[]): unknown {
	if (typeof value === "string" && value.includes("\0")) errors.push({ type: "stringNul" });
	return value;
}

/** What an author writes; `confirmTools` is read from `tools`, never written. */
const TOP: Record<Exclude<keyof AgentManifest, "confirmTools">, FieldSpec> = {
	id: spec({ type: "string", pattern: /^[a-z][a-z0-9-]{0,62}$/ }, "1 to 63 lower-case letters, digits and dashes, starting with a letter"),
	name: text(1, 100, false),
	version: spec(
		{ type: "string", pattern: /^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/, optional: true },
		"a version like 1.2.3, optionally with a -pre or +build suffix"
	),
	description: text(0, 1000),
	entryPoint: spec({ type: "string", min: 1, max: 500, custom: noNul, optional: true }, "a module path of 1 to 500 characters without NUL bytes"),
	instructions: text(1, 20_000),
	model: text(1, 200),
	// Entries (an id, or { id, requiresConfirmation }) are checked by hand (checkTools).
	tools: spec({ type: "array", optional: true, max: 64 }, "a list of at most 64 distinct tool ids (GET /api/v1/tools) or { id, requiresConfirmation } entries"),
	memory: group(MEMORY, "memory settings"),
	runtime: oneOf(WORKER_RUNTIMES),
	permissions: spec({ type: "array", optional: true, unique: true, max: 64, items: CAPABILITY.rule }, "a list of at most 64 distinct capabilities"),
	trustLevel: oneOf(TRUST_LEVELS),
	preferredModel: text(1, 200),
	limits: group(LIMITS, "limits"),
	restart: group(RESTART, "restart settings"),
	// Entries are checked by hand (checkTaskTypes): their keys are user-chosen, so a path
	// like "taskTypes.a.b.schema" could not be mapped back to a rule unambiguously.
	taskTypes: spec({ type: "object", optional: true }, "an object mapping task types to { description?, schema? }"),
	placement: group(PLACEMENT, "placement constraints"),
	owner: text(1, 200),
	signature: spec({ type: "string", pattern: /^[0-9a-f]{64}$/, optional: true }, "64 lower-case hex digits (an HMAC-SHA256)"),
	durable: spec({ type: "boolean", optional: true }, "true or false")
};

const SPECS = new Map<string, FieldSpec>([
	...Object.entries(TOP),
	...Object.entries(LIMITS).map(([k, s]): [string, FieldSpec] => [`limits.${k}`, s]),
	...Object.entries(RESTART).map(([k, s]): [string, FieldSpec] => [`restart.${k}`, s]),
	...Object.entries(PLACEMENT).map(([k, s]): [string, FieldSpec] => [`placement.${k}`, s]),
	...Object.entries(MEMORY).map(([k, s]): [string, FieldSpec] => [`memory.${k}`, s]),
	["permissions[]", CAPABILITY]
]);

const schema: ValidationSchema = { $$strict: true };
for (const [key, field] of Object.entries(TOP)) schema[key] = field.rule;
const check = new Validator({ useNewCustomCheckerFunction: true }).compile(schema);

/** The first problem's line, and how many more there are in `data.fields`. */
function summary(fields: readonly FieldProblem[]): string {
	const more = fields.length - 1;
	return more > 0 ? `${fields[0].message}; and ${more} more problem${more === 1 ? "" : "s"} (see data.fields)` : (fields[0]?.message ?? "invalid");
}

const manifestInvalid = (fields: FieldProblem[]) => new ManifestInvalidError(summary(fields), fields);
const taskInvalid = (fields: FieldProblem[]) => new TaskInvalidError(summary(fields), fields);

function isPlainObject(value: unknown): value is Record<string, unknown> {
	if (value === null || typeof value !== "object") return false;
	const proto = Object.getPrototypeOf(value);
	return proto === Object.prototype || proto === null;
}

/** The given value, briefly, for the end of an error line. */
function shown(value: unknown): string {
	if (value === undefined) return "missing";
	if (typeof value === "string") return value.length > 60 ? `got ${value.length} characters` : `got ${JSON.stringify(value)}`;
	if (typeof value === "number" || typeof value === "boolean" || value === null) return `got ${String(value)}`;
	return Array.isArray(value) ? `got a list of ${value.length}` : `got ${typeof value === "object" ? "an object" : typeof value}`;
}

/** The value at a path such as "limits.memoryMB" or "permissions[3]" (known keys only). */
function valueAt(root: Record<string, unknown>, field: string): unknown {
	let value: unknown = root;
	for (const part of field.split(/\.|\[(\d+)\]/).filter(Boolean)) {
		value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
	}
	return value;
}

function problemOf(err: ValidationError, input: Record<string, unknown>): FieldProblem[] {
	const field = err.field ?? "";
	if (err.type === "objectStrict") {
		// fastest-validator lists the unknown keys and the allowed ones as comma-joined text.
		const prefix = field ? `${field}.` : "";
		return String(err.actual)
			.split(", ")
			.map(key => ({ field: prefix + key, message: `manifest.${prefix}${key} is not a known field; allowed: ${String(err.expected)}` }));
	}
	const allowed = SPECS.get(field.replace(/\[\d+\]$/, "[]"))?.allowed ?? "valid";
	const got = err.type === "arrayUnique" ? `repeats ${String(err.expected)}` : shown(valueAt(input, field));
	return [{ field, message: `manifest.${field} must be ${allowed} (${got})` }];
}

const schemaProblem = (type: string, err: unknown): FieldProblem => ({
	field: `taskTypes.${type}.schema`,
	message: `manifest.taskTypes.${type}.schema must be a valid JSON Schema: ${err instanceof Error ? err.message : String(err)}`
});

/**
 * Validators by schema text. A fresh Ajv compiles the JSON Schema meta-schema before the
 * schema itself (~20 ms), and every declarative agent, like many agents spawned from one
 * manifest, has the same schema: one compile serves them all. Bounded, oldest out first.
 */
const compiled = new Map<string, ValidateFunction>();
const MAX_COMPILED = 500;

/** A fresh Ajv per schema: one schema's `$id` cannot clash with another's. */
function compileSchema(schema: Record<string, unknown>): ValidateFunction {
	const key = JSON.stringify(schema);
	const cached = compiled.get(key);
	if (cached) return cached;
	// logger: false because strict: false would print "unknown format … ignored" to the console.
	const validate = new Ajv({ allErrors: true, strict: false, logger: false }).compile(schema);
	// An async validator returns a Promise, which checkTask would take as a pass.
	if ((validate as { $async?: boolean }).$async) throw new Error("async schemas ($async: true) are not supported");
	if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
	compiled.set(key, validate);
	return validate;
}

function checkTaskTypes(taskTypes: Record<string, unknown>): FieldProblem[] {
	const problems: FieldProblem[] = [];
	const bad = (field: string, message: string) => problems.push({ field, message: `manifest.${field} ${message}` });
	for (const [type, entry] of Object.entries(taskTypes)) {
		const at = `taskTypes.${type}`;
		if (!TASK_TYPE.test(type)) {
			bad(at, "is not a valid task type name: use 1 to 64 lower-case letters, digits, dots, dashes or underscores, starting with a letter");
			continue;
		}
		if (!isPlainObject(entry)) {
			bad(at, `must be an object { description?, schema? } (${shown(entry)})`);
			continue;
		}
		for (const key of Object.keys(entry)) {
			if (key !== "description" && key !== "schema") bad(`${at}.${key}`, "is not a known field; allowed: description, schema");
		}
		const { description, schema: taskSchema } = entry;
		if (description != null && (typeof description !== "string" || description.length > 500)) {
			bad(`${at}.description`, `must be text of at most 500 characters (${shown(description)})`);
		}
		if (taskSchema != null && !isPlainObject(taskSchema)) bad(`${at}.schema`, `must be a JSON Schema object (${shown(taskSchema)})`);
		else if (taskSchema != null) {
			try {
				compileSchema(taskSchema);
			} catch (err) {
				problems.push(schemaProblem(type, err));
			}
		}
	}
	return problems;
}

const TOOL_ID = "a tool id of 1 to 300 characters (GET /api/v1/tools)";

/** The id of a `tools` entry, whichever way it is written (checked already). */
const toolIdOf = (entry: ManifestTool): string => (typeof entry === "string" ? entry : entry.id);

/** Each `tools` entry: a tool id, or `{ id, requiresConfirmation }`; no id twice. */
function checkTools(tools: readonly unknown[]): FieldProblem[] {
	const problems: FieldProblem[] = [];
	const bad = (field: string, message: string) => problems.push({ field, message: `manifest.${field} ${message}` });
	const seen = new Set<string>();
	tools.forEach((entry, i) => {
		const at = `tools[${i}]`;
		const id = isPlainObject(entry) ? entry.id : entry;
		if (isPlainObject(entry)) {
			for (const key of Object.keys(entry)) if (key !== "id" && key !== "requiresConfirmation") bad(`${at}.${key}`, "is not a known field; allowed: id, requiresConfirmation");
			if (entry.requiresConfirmation != null && typeof entry.requiresConfirmation !== "boolean") {
				bad(`${at}.requiresConfirmation`, `must be true or false (${shown(entry.requiresConfirmation)})`);
			}
			if (typeof id !== "string" || id.length < 1 || id.length > 300) bad(`${at}.id`, `must be ${TOOL_ID} (${shown(id)})`);
		} else if (typeof entry !== "string") {
			bad(at, `must be ${TOOL_ID} or an object { id, requiresConfirmation } (${shown(entry)})`);
		} else if (entry.length < 1 || entry.length > 300) bad(at, `must be ${TOOL_ID} (${shown(entry)})`);
		if (typeof id !== "string") return;
		if (seen.has(id)) bad(at, `repeats the tool ${JSON.stringify(id.slice(0, 80))}; list each tool once`);
		seen.add(id);
	});
	return problems;
}

const DECLARATIVE_ONLY = ["instructions", "tools", "memory"] as const;

/** A code agent has an entryPoint; a declarative one has instructions and none. */
function checkKind(input: Record<string, unknown>): FieldProblem[] {
	const runtime = input.runtime;
	if (input.entryPoint == null) {
		if (input.instructions == null) {
			const message = "manifest needs an entryPoint (a code agent) or instructions (a declarative agent)";
			return [{ field: "entryPoint", message }];
		}
		if (runtime != null && runtime !== "declarative") {
			return [{ field: "runtime", message: `manifest.runtime must be declarative for an agent without an entryPoint (got ${JSON.stringify(runtime)})` }];
		}
		return [];
	}
	const problems: FieldProblem[] = DECLARATIVE_ONLY.filter(key => input[key] != null).map(key => ({
		field: key,
		message: `manifest.${key} is for declarative agents, which have no entryPoint`
	}));
	if (runtime === "declarative") problems.push({ field: "runtime", message: "manifest.runtime declarative is for agents without an entryPoint" });
	return problems;
}

/** The one task a declarative agent takes: a chat message in a session. */
const DECLARATIVE_TASK_TYPES: Record<string, TaskTypeSpec> = {
	chat: {
		description: "A message for the agent; the answer comes back with the steps taken, tokens and cost",
		schema: {
			type: "object",
			required: ["type", "message"],
			additionalProperties: false,
			properties: {
				type: { const: "chat" },
				message: { type: "string", minLength: 1, maxLength: 100_000 },
				sessionId: { type: "string", minLength: 1, maxLength: 200 },
				stream: { type: "object", required: ["nodeID", "streamId"], properties: { nodeID: { type: "string" }, streamId: { type: "string" } } }
			}
		}
	}
};

/** What a declarative agent's settings need, granted with what it asks for. */
function declarativePermissions(m: Partial<AgentManifest>): string[] {
	const needs = ["llm.execute"];
	if (m.memory?.historyWindow !== 0 || (m.memory?.recall ?? DEFAULT_RECALL) > 0) needs.push("memory.read", "memory.write");
	if (m.tools?.length) needs.push("tools.execute");
	return [...new Set([...(m.permissions ?? []), ...needs])];
}

/** Copies `source`'s set fields over `defaults`, field by field (null counts as unset). */
function merged<T extends object>(defaults: T, source: unknown): T {
	const out = { ...defaults } as Record<string, unknown>;
	for (const key of Object.keys(out)) if (isPlainObject(source) && source[key] != null) out[key] = source[key];
	return out as T;
}

function copyTaskType({ description, schema }: TaskTypeSpec): TaskTypeSpec {
	return { ...(description != null && { description }), ...(schema != null && { schema }) };
}

/**
 * Validates a manifest and returns it with defaults filled in; the input is not changed.
 * Throws ManifestInvalidError listing every bad field in `data.fields`.
 */
export function parseManifest(input: unknown): AgentManifest {
	if (!isPlainObject(input)) throw manifestInvalid([{ field: "", message: `manifest must be a plain object (${shown(input)})` }]);
	const result = check(input);
	const problems = result === true || !Array.isArray(result) ? [] : result.flatMap(err => problemOf(err, input));
	if (isPlainObject(input.taskTypes)) problems.push(...checkTaskTypes(input.taskTypes));
	if (Array.isArray(input.tools)) problems.push(...checkTools(input.tools));
	const restart = merged(DEFAULT_RESTART, input.restart);
	if (!problems.some(p => p.field.startsWith("restart.")) && restart.maxDelayMs < restart.baseDelayMs) {
		const got = isPlainObject(input.restart) && input.restart.maxDelayMs != null ? "got" : "got the default";
		const allowed = `a whole number from restart.baseDelayMs (${restart.baseDelayMs}) to ${MAX_RESTART_DELAY_MS}`;
		problems.push({ field: "restart.maxDelayMs", message: `manifest.restart.maxDelayMs must be ${allowed} (${got} ${restart.maxDelayMs})` });
	}
	problems.push(...checkKind(input));
	// fastest-validator reports a field once per broken rule (e.g. too small AND not whole).
	const unique = problems.filter((p, i) => problems.findIndex(q => q.field === p.field) === i);
	if (unique.length > 0) throw manifestInvalid(unique);

	// Copies throughout: the caller's input (maybe still needed to check its signature) stays as it was.
	const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v != null)) as Partial<AgentManifest>;
	const taskTypes = given.taskTypes && Object.fromEntries(Object.entries(given.taskTypes).map(([k, s]) => [k, copyTaskType(s)]));
	const declarative = given.entryPoint === undefined;
	const tools = (input.tools as ManifestTool[] | undefined)?.map(toolIdOf);
	const confirmTools = (input.tools as ManifestTool[] | undefined)?.filter(t => typeof t !== "string" && t.requiresConfirmation === true).map(toolIdOf);
	return {
		...given,
		...(tools && { tools }),
		...(confirmTools?.length && { confirmTools }),
		version: given.version ?? "0.1.0",
		runtime: given.runtime ?? (declarative ? "declarative" : "process"),
		permissions: declarative ? declarativePermissions(given) : [...(given.permissions ?? [])],
		...(declarative && { memory: { ...given.memory, recall: given.memory?.recall ?? DEFAULT_RECALL }, taskTypes: given.taskTypes ?? DECLARATIVE_TASK_TYPES }),
		trustLevel: given.trustLevel ?? "supervised",
		limits: merged(DEFAULT_LIMITS, input.limits),
		restart,
		...(taskTypes && { taskTypes })
	} as AgentManifest;
}

/** One Ajv validator per task type that declares a schema, compiled once when the agent is registered. */
export function compileTaskSchemas(manifest: AgentManifest): Map<string, ValidateFunction> {
	const validators = new Map<string, ValidateFunction>();
	for (const [type, spec] of Object.entries(manifest.taskTypes ?? {})) {
		if (!spec.schema) continue;
		try {
			validators.set(type, compileSchema(spec.schema));
		} catch (err) {
			throw manifestInvalid([schemaProblem(type, err)]);
		}
	}
	return validators;
}

/** One Ajv error as a field line; the JSON Pointer "/items/0/name" becomes "items.0.name". */
function taskProblem(err: ErrorObject): FieldProblem {
	const path = err.instancePath.split("/").slice(1).map(s => s.replace(/~1/g, "/").replace(/~0/g, "~"));
	// Ajv reports a missing or extra property at its parent; name the property itself.
	const property: unknown =
		err.keyword === "required" ? err.params.missingProperty : err.keyword === "additionalProperties" ? err.params.additionalProperty : undefined;
	if (property !== undefined) path.push(String(property));
	const field = path.join(".");
	const what = property === undefined ? (err.message ?? "is invalid") : err.keyword === "required" ? "is required" : "is not allowed";
	return { field, message: `task${field ? `.${field}` : ""} ${what}` };
}

/**
 * Throws TaskInvalidError unless `task` is an object with a string `type` that the agent
 * accepts and that satisfies the type's schema. Without `taskTypes`, any type is accepted.
 * The schema sees the whole task, `type` included.
 */
export function checkTask(manifest: AgentManifest, validators: ReadonlyMap<string, ValidateFunction>, task: unknown): void {
	if (task === null || typeof task !== "object" || Array.isArray(task)) {
		throw taskInvalid([{ field: "", message: `task must be an object with a string type (${shown(task)})` }]);
	}
	const type = (task as { type?: unknown }).type;
	if (typeof type !== "string" || type.length === 0) {
		throw taskInvalid([{ field: "type", message: `task.type must be a non-empty string (${shown(type)})` }]);
	}
	const accepted = manifest.taskTypes;
	// Own keys only: a task type named "constructor" must not match Object.prototype.
	if (accepted && !Object.hasOwn(accepted, type)) {
		const names = Object.keys(accepted);
		const list = names.length > 0 ? `it accepts: ${names.join(", ")}` : "it accepts no task types";
		throw taskInvalid([{ field: "type", message: `agent ${manifest.id} does not accept task type ${JSON.stringify(type.slice(0, 80))}; ${list}` }]);
	}
	const validate = validators.get(type);
	if (validate && !validate(task)) throw taskInvalid((validate.errors ?? []).map(taskProblem));
}
