import { ManifestInvalidError, TaskInvalidError, type FieldProblem } from "../../actors/errors";
import { checkTask, compileTaskSchemas, parseManifest } from "../../actors/manifest";
import { DEFAULT_LIMITS, DEFAULT_RESTART, type AgentManifest } from "../../actors/manifest-types";

const BASE = { id: "researcher", name: "Researcher", entryPoint: "agents/researcher.js" };

function errorOf<E extends Error>(kind: new (...args: never[]) => E, run: () => unknown): E {
	try {
		run();
	} catch (err) {
		if (err instanceof kind) return err;
		throw err;
	}
	throw new Error(`expected a ${kind.name}`);
}

const manifestError = (input: unknown) => errorOf(ManifestInvalidError, () => parseManifest(input));
const fieldsOf = (err: { data?: unknown }) => (err.data as { fields: FieldProblem[] }).fields;

describe("parseManifest", () => {
	it("fills the defaults of everything left out", () => {
		const manifest = parseManifest(BASE);
		expect(manifest).toEqual({
			...BASE,
			version: "0.1.0",
			runtime: "process",
			permissions: [],
			trustLevel: "supervised",
			limits: DEFAULT_LIMITS,
			restart: DEFAULT_RESTART
		});
	});

	it("merges limits and restart field by field, and treats null as unset", () => {
		const manifest = parseManifest({ ...BASE, description: null, limits: { memoryMB: 1024, pids: null }, restart: { policy: "always" } });
		expect(manifest.limits).toEqual({ ...DEFAULT_LIMITS, memoryMB: 1024 });
		expect(manifest.restart).toEqual({ ...DEFAULT_RESTART, policy: "always" });
		expect(manifest).not.toHaveProperty("description");
	});

	it("keeps every field it was given and leaves the input and the defaults untouched", () => {
		const input = {
			...BASE,
			version: "2.0.0-rc.1",
			description: "Finds sources",
			runtime: "docker",
			permissions: ["memory.read", "a2a.send", "tools.*"],
			trustLevel: "autonomous",
			preferredModel: "local/llama3",
			limits: { cpuCores: 0.5 },
			taskTypes: { ask: { description: "A question", schema: { type: "object" } } },
			owner: "alice",
			signature: "a".repeat(64)
		};
		const copy = structuredClone(input);
		const manifest = parseManifest(input);
		expect(manifest).toMatchObject({ ...input, limits: { ...DEFAULT_LIMITS, cpuCores: 0.5 } });
		manifest.limits.memoryMB = 1;
		manifest.permissions.push("x.y");
		expect(input).toEqual(copy);
		expect(DEFAULT_LIMITS.memoryMB).toBe(256);
	});

	it.each([
		["", "not an object", [1, 2], "manifest must be a plain object (got a list of 2)"],
		["id", "id", "Researcher", 'manifest.id must be 1 to 63 lower-case letters, digits and dashes, starting with a letter (got "Researcher")'],
		["id", "id", `a${"b".repeat(63)}`, "manifest.id must be 1 to 63"],
		["id", "id", undefined, "manifest.id must be 1 to 63 lower-case letters, digits and dashes, starting with a letter (missing)"],
		["name", "name", "", "manifest.name must be text of 1 to 100 characters"],
		["name", "name", "n".repeat(101), "manifest.name must be text of 1 to 100 characters (got 101 characters)"],
		["version", "version", "1.2", 'manifest.version must be a version like 1.2.3, optionally with a -pre or +build suffix (got "1.2")'],
		["description", "description", "d".repeat(1001), "manifest.description must be text of at most 1000 characters"],
		["entryPoint", "entryPoint", "", "manifest.entryPoint must be a module path of 1 to 500 characters without NUL bytes"],
		["entryPoint", "entryPoint", "a".repeat(501), "manifest.entryPoint must be a module path"],
		["entryPoint", "entryPoint", "agent.js\0.png", "manifest.entryPoint must be a module path of 1 to 500 characters without NUL bytes"],
		["runtime", "runtime", "vm", 'manifest.runtime must be one of process, docker, inprocess, declarative (got "vm")'],
		["permissions", "permissions", "memory.read", "manifest.permissions must be a list of at most 64 distinct capabilities"],
		["permissions[1]", "permissions", ["memory.read", "Memory.write"], 'manifest.permissions[1] must be a capability such as memory.read or a2a.send (lower-case words joined by dots) (got "Memory.write")'],
		["permissions[0]", "permissions", ["memory"], "manifest.permissions[0] must be a capability"],
		["permissions", "permissions", ["a2a.send", "a2a.send"], "manifest.permissions must be a list of at most 64 distinct capabilities (repeats a2a.send)"],
		["permissions", "permissions", Array.from({ length: 65 }, (_, i) => `cap.n${i}`), "manifest.permissions must be a list of at most 64 distinct capabilities"],
		["trustLevel", "trustLevel", "root", "manifest.trustLevel must be one of supervised, semi-autonomous, autonomous"],
		["preferredModel", "preferredModel", "m".repeat(201), "manifest.preferredModel must be text of 1 to 200 characters"],
		["limits", "limits", [], "manifest.limits must be an object of limits: memoryMB, cpuCores"],
		["limits.memoryMB", "limits", { memoryMB: 10 }, "manifest.limits.memoryMB must be a whole number from 32 to 65536 (got 10)"],
		["limits.memoryMB", "limits", { memoryMB: 64.5 }, "manifest.limits.memoryMB must be a whole number from 32 to 65536 (got 64.5)"],
		["limits.cpuCores", "limits", { cpuCores: 0.05 }, "manifest.limits.cpuCores must be a number from 0.1 to 64 (got 0.05)"],
		["limits.cpuCores", "limits", { cpuCores: 65 }, "manifest.limits.cpuCores must be a number from 0.1 to 64"],
		["limits.cpuTimeSeconds", "limits", { cpuTimeSeconds: -1 }, "manifest.limits.cpuTimeSeconds must be a whole number from 0 to 86400"],
		["limits.timeoutMs", "limits", { timeoutMs: 99 }, "manifest.limits.timeoutMs must be a whole number from 100 to 86400000"],
		["limits.maxConcurrency", "limits", { maxConcurrency: 0 }, "manifest.limits.maxConcurrency must be a whole number from 1 to 1000"],
		["limits.maxQueue", "limits", { maxQueue: 100_001 }, "manifest.limits.maxQueue must be a whole number from 0 to 100000"],
		["limits.diskQuotaMB", "limits", { diskQuotaMB: 15 }, "manifest.limits.diskQuotaMB must be a whole number from 16 to 1048576"],
		["limits.pids", "limits", { pids: 7 }, "manifest.limits.pids must be a whole number from 8 to 32768"],
		["limits.memoryMb", "limits", { memoryMb: 512 }, "manifest.limits.memoryMb is not a known field; allowed: memoryMB, cpuCores"],
		["restart.policy", "restart", { policy: "sometimes" }, "manifest.restart.policy must be one of always, on-failure, never"],
		["restart.baseDelayMs", "restart", { baseDelayMs: 9 }, "manifest.restart.baseDelayMs must be a whole number from 10 to 600000"],
		["restart.factor", "restart", { factor: 0.5 }, "manifest.restart.factor must be a number from 1 to 10"],
		["restart.maxDelayMs", "restart", { maxDelayMs: 3_600_001 }, "manifest.restart.maxDelayMs must be a whole number from 10 to 3600000"],
		["restart.maxDelayMs", "restart", { baseDelayMs: 500, maxDelayMs: 400 }, "manifest.restart.maxDelayMs must be a whole number from restart.baseDelayMs (500) to 3600000 (got 400)"],
		["restart.maxDelayMs", "restart", { baseDelayMs: 60_000 }, "from restart.baseDelayMs (60000) to 3600000 (got the default 30000)"],
		["restart.maxRestarts", "restart", { maxRestarts: 1001 }, "manifest.restart.maxRestarts must be a whole number from 0 to 1000"],
		["restart.windowMs", "restart", { windowMs: 999 }, "manifest.restart.windowMs must be a whole number from 1000 to 86400000"],
		["taskTypes", "taskTypes", "ask", "manifest.taskTypes must be an object mapping task types to { description?, schema? }"],
		["taskTypes.Ask", "taskTypes", { Ask: {} }, "manifest.taskTypes.Ask is not a valid task type name"],
		["taskTypes.ask", "taskTypes", { ask: "a question" }, 'manifest.taskTypes.ask must be an object { description?, schema? } (got "a question")'],
		["taskTypes.ask.description", "taskTypes", { ask: { description: "d".repeat(501) } }, "manifest.taskTypes.ask.description must be text of at most 500 characters"],
		["taskTypes.ask.schema", "taskTypes", { ask: { schema: true } }, "manifest.taskTypes.ask.schema must be a JSON Schema object (got true)"],
		["taskTypes.ask.input", "taskTypes", { ask: { input: {} } }, "manifest.taskTypes.ask.input is not a known field; allowed: description, schema"],
		["taskTypes.ask.schema", "taskTypes", { ask: { schema: { $async: true, type: "object" } } }, "async schemas ($async: true) are not supported"],
		["owner", "owner", "", "manifest.owner must be text of 1 to 200 characters"],
		["owner", "owner", "o".repeat(201), "manifest.owner must be text of 1 to 200 characters"],
		["signature", "signature", "A".repeat(64), "manifest.signature must be 64 lower-case hex digits (an HMAC-SHA256)"],
		["signature", "signature", "abc", 'manifest.signature must be 64 lower-case hex digits (an HMAC-SHA256) (got "abc")'],
		["instructions", "instructions", "Be nice", "manifest.instructions is for declarative agents, which have no entryPoint"]
	])("refuses a bad %s (%s = %j) with MANIFEST_INVALID naming it", (field, key, value, message) => {
		const input = key === "not an object" ? value : { ...BASE, [key]: value };
		const err = manifestError(input);
		expect(err).toMatchObject({ code: 422, type: "MANIFEST_INVALID" });
		expect(err.message).toContain(message);
		expect(fieldsOf(err)).toEqual([{ field, message: expect.stringContaining(message) }]);
	});

	it("lists every bad field, and names the first in the message", () => {
		const err = manifestError({ ...BASE, id: "Bad Id", limits: { memoryMB: 10, pids: 1 }, extra: 1, other: 2 });
		expect(fieldsOf(err).map(f => f.field)).toEqual(["id", "limits.memoryMB", "limits.pids", "extra", "other"]);
		expect(err.message).toMatch(/^manifest\.id must be .*; and 4 more problems \(see data\.fields\)$/);
	});

	describe("tools a person confirms", () => {
		const DECLARATIVE = { id: "careful", name: "Careful", instructions: "Be careful." };

		it("reads { id, requiresConfirmation } entries as tool ids, and lists the confirmed ones in confirmTools", () => {
			const input = { ...DECLARATIVE, tools: ["builtin:http_fetch", { id: "builtin:shell_exec", requiresConfirmation: true }, { id: "builtin:file_read" }] };
			const manifest = parseManifest(input);
			expect(manifest.tools).toEqual(["builtin:http_fetch", "builtin:shell_exec", "builtin:file_read"]);
			expect(manifest.confirmTools).toEqual(["builtin:shell_exec"]);
			expect(manifest.permissions).toContain("tools.execute");
			expect(parseManifest({ ...DECLARATIVE, tools: ["builtin:http_fetch"] })).not.toHaveProperty("confirmTools");
		});

		it.each([
			[[5], "tools[0]", "must be a tool id of 1 to 300 characters (GET /api/v1/tools) or an object { id, requiresConfirmation } (got 5)"],
			[[""], "tools[0]", "must be a tool id of 1 to 300 characters"],
			[["a", { requiresConfirmation: true }], "tools[1].id", "must be a tool id of 1 to 300 characters (GET /api/v1/tools) (missing)"],
			[[{ id: "a", requiresConfirmation: "yes" }], "tools[0].requiresConfirmation", 'must be true or false (got "yes")'],
			[[{ id: "a", confirm: true }], "tools[0].confirm", "is not a known field; allowed: id, requiresConfirmation"],
			[["a", { id: "a", requiresConfirmation: true }], "tools[1]", 'repeats the tool "a"'],
			["a", "tools", "must be a list of at most 64 distinct tool ids"]
		])("refuses tools %j with 422 naming %s", (tools, field, message) => {
			const err = manifestError({ ...DECLARATIVE, tools });
			expect(err).toMatchObject({ code: 422, type: "MANIFEST_INVALID" });
			expect(fieldsOf(err)).toEqual([{ field, message: expect.stringContaining(`manifest.${field} ${message}`) }]);
		});

		it("is not a field a manifest sets itself", () => {
			expect(fieldsOf(manifestError({ ...DECLARATIVE, confirmTools: ["a"] }))).toEqual([{ field: "confirmTools", message: expect.stringContaining("is not a known field") }]);
		});
	});

	it("reports a field broken two ways (too small and not whole) once", () => {
		expect(fieldsOf(manifestError({ ...BASE, limits: { memoryMB: 10.5 } }))).toHaveLength(1);
	});

	it("refuses a task schema Ajv cannot compile, naming its path and Ajv's reason", () => {
		const err = manifestError({ ...BASE, taskTypes: { ok: {}, ask: { schema: { type: "strin" } }, cite: { schema: { $ref: "#/nope" } } } });
		expect(fieldsOf(err)).toEqual([
			{ field: "taskTypes.ask.schema", message: expect.stringContaining("manifest.taskTypes.ask.schema must be a valid JSON Schema: schema is invalid: data/type") },
			{ field: "taskTypes.cite.schema", message: expect.stringContaining("can't resolve reference #/nope") }
		]);
	});

	it("compiles task schemas that declare the same $id independently", () => {
		const schema = { $id: "https://example.com/task", type: "object" };
		const manifest = parseManifest({ ...BASE, taskTypes: { a: { schema }, b: { schema } } });
		expect([...compileTaskSchemas(manifest).keys()]).toEqual(["a", "b"]);
	});
});

describe("checkTask", () => {
	const manifest: AgentManifest = parseManifest({
		...BASE,
		taskTypes: {
			ask: { schema: { type: "object", properties: { question: { type: "string" }, depth: { type: "integer", maximum: 3 } }, required: ["question"] } },
			summarize: { description: "No schema: any shape" }
		}
	});
	const validators = compileTaskSchemas(manifest);
	const taskError = (task: unknown, m = manifest, v = validators) => errorOf(TaskInvalidError, () => checkTask(m, v, task));

	it("compiles one validator per task type that has a schema", () => {
		expect([...validators.keys()]).toEqual(["ask"]);
	});

	it("lets a good task through", () => {
		expect(() => checkTask(manifest, validators, { type: "ask", question: "Why?", depth: 2 })).not.toThrow();
		expect(() => checkTask(manifest, validators, { type: "summarize", text: 42 })).not.toThrow();
	});

	it("refuses a task type the agent does not declare, listing the ones it accepts", () => {
		for (const type of ["translate", "constructor"]) {
			const err = taskError({ type });
			expect(err).toMatchObject({ code: 422, type: "TASK_INVALID" });
			expect(err.message).toBe(`agent researcher does not accept task type "${type}"; it accepts: ask, summarize`);
			expect(fieldsOf(err)).toEqual([{ field: "type", message: err.message }]);
		}
	});

	it("refuses a task that fails its schema, naming each bad field", () => {
		const err = taskError({ type: "ask", question: 7, depth: 9 });
		expect(err.message).toMatch(/^task\.question must be string; and 1 more problem/);
		expect(fieldsOf(err)).toEqual([
			{ field: "question", message: "task.question must be string" },
			{ field: "depth", message: "task.depth must be <= 3" }
		]);
		expect(fieldsOf(taskError({ type: "ask" }))).toEqual([{ field: "question", message: "task.question is required" }]);
	});

	it("accepts any task with a type when the manifest declares no task types", () => {
		const open = parseManifest(BASE);
		expect(() => checkTask(open, compileTaskSchemas(open), { type: "anything", payload: [1] })).not.toThrow();
	});

	it.each([
		["a string", "ask", "", "task must be an object with a string type (got \"ask\")"],
		["null", null, "", "task must be an object with a string type (got null)"],
		["a list", [{ type: "ask" }], "", "task must be an object with a string type (got a list of 1)"],
		["an object without a type", { question: "Why?" }, "type", "task.type must be a non-empty string (missing)"],
		["an object with a numeric type", { type: 3 }, "type", "task.type must be a non-empty string (got 3)"]
	])("refuses %s as a task", (_what, task, field, message) => {
		const err = taskError(task, parseManifest(BASE), new Map());
		expect(err.message).toBe(message);
		expect(fieldsOf(err)).toEqual([{ field, message }]);
	});
});
