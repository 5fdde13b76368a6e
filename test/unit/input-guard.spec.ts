import vm from "node:vm";
import { Errors, ServiceBroker, type Context, type Logger } from "moleculer";
import { TaskFailedError, TaskTimeoutError, WorkerCrashedError } from "../../actors/errors";
import { errorAnswer, errorJson } from "../../lib/gateway/error-response";
import { inputProblem, jsonTooDeep, MAX_JSON_DEPTH, parseJsonInput } from "../../lib/kernel/input-guard";
import { loadConfig } from "../../lib/kernel/config";
import { ToolFailedError, ToolTimeoutError } from "../../lib/tools/errors";
import { createBrokerOptions, isCalleeFailure } from "../../moleculer.config";

const nested = (depth: number, leaf: unknown = 1): unknown => {
	let value = leaf;
	for (let i = 0; i < depth; i++) value = { a: value };
	return value;
};
const problemOf = (value: unknown) => {
	const p = inputProblem(value);
	return p && { type: p.type, code: p.code, data: p.data };
};

describe("the input rules", () => {
	it("finds JSON nested too deep in raw text without parsing it, strings and escapes aside", () => {
		expect(jsonTooDeep(`${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}`)).toBe(false);
		expect(jsonTooDeep(`${"[".repeat(MAX_JSON_DEPTH + 1)}${"]".repeat(MAX_JSON_DEPTH + 1)}`)).toBe(true);
		expect(jsonTooDeep(Buffer.from(`{"a":"${"{".repeat(500)}\\"${"[".repeat(500)}"}`))).toBe(false);
		expect(() => parseJsonInput(`{"limit":${'{"a":'.repeat(5000)}1${"}".repeat(5000)}}`)).toThrow(expect.objectContaining({ type: "BODY_TOO_DEEP", code: 400 }));
	});

	it("refuses a value nested deeper than the limit, naming where", () => {
		expect(problemOf({ limit: nested(MAX_JSON_DEPTH - 2) })).toBeUndefined();
		expect(problemOf({ limit: nested(5000) })).toMatchObject({ type: "BODY_TOO_DEEP", code: 400, data: { field: expect.stringMatching(/^limit\.a\.a/), maxDepth: MAX_JSON_DEPTH } });
		let deepArray: unknown = [];
		for (let i = 0; i < 100_000; i++) deepArray = [deepArray];
		expect(problemOf({ rows: deepArray })).toMatchObject({ type: "BODY_TOO_DEEP" });
	});

	it("refuses NUL characters and lone surrogates in values and in field names, naming the field", () => {
		expect(problemOf({ post: { body: "hello\u0000" } })).toMatchObject({ type: "INVALID_TEXT", code: 400, data: { field: "post.body", reason: "nul", index: 5 } });
		expect(problemOf({ tags: ["ok", "a\ud800b"] })).toMatchObject({ type: "INVALID_TEXT", data: { field: "tags[1]", reason: "lone-surrogate", index: 1 } });
		expect(problemOf({ tags: ["\udc00"] })).toMatchObject({ data: { reason: "lone-surrogate" } });
		expect(problemOf({ "na\u0000me": 1 })).toMatchObject({ type: "INVALID_TEXT", data: { field: "na\u0000me (a field name)" } });
		// Well-formed text passes: emoji are surrogate pairs.
		expect(problemOf({ text: "café 😀 ünïcode \u2028", n: 1e300, ok: true, none: null })).toBeUndefined();
	});

	it("refuses __proto__ as a field, whether it is an own key (JSON.parse) or became a prototype (Object.assign)", () => {
		const parsed = JSON.parse('{"task":{"__proto__":{"admin":true}}}') as unknown;
		expect(problemOf(parsed)).toMatchObject({ type: "FORBIDDEN_KEY", code: 400, data: { field: "task.__proto__" } });
		const merged = Object.assign({}, JSON.parse('{"__proto__":{"name":"x"}}'));
		expect((merged as { name?: string }).name).toBe("x");
		expect(problemOf(merged)).toMatchObject({ type: "FORBIDDEN_KEY", data: { field: "__proto__" } });
	});

	it("does not walk the node's own objects (Buffers, Dates, class instances)", () => {
		class Holder {
			secret = "a\u0000b";
		}
		expect(problemOf({ at: new Date(), bytes: Buffer.from([0, 1]), holder: new Holder(), empty: Object.create(null) as object })).toBeUndefined();
	});

	it("walks data objects made in another realm (a vm context) like its own", () => {
		const foreign = vm.runInNewContext('({ note: { text: "a\\u0000b" } })') as object;
		expect(problemOf(foreign)).toMatchObject({ type: "INVALID_TEXT", data: { field: "note.text" } });
	});
});

describe("the broker's validator", () => {
	const broker = new ServiceBroker({ ...createBrokerOptions(loadConfig({ LOG_LEVEL: "error" })), logger: false, transporter: null, cacher: null });
	let handled = 0;
	beforeAll(async () => {
		broker.createService({
			name: "notes",
			actions: {
				add: { params: { text: "string", limit: { type: "number", optional: true } }, handler: () => ++handled },
				raw: { handler: () => ++handled }
			}
		});
		await broker.start();
	});
	afterAll(() => broker.stop());

	it("checks the input rules on every call before validation, with or without a params schema", async () => {
		await expect(broker.call("notes.add", { text: "ok", limit: nested(5000) })).rejects.toMatchObject({ type: "BODY_TOO_DEEP", code: 400 });
		await expect(broker.call("notes.add", { text: "a\u0000b" })).rejects.toMatchObject({ type: "INVALID_TEXT", data: { field: "text" } });
		await expect(broker.call("notes.raw", { deep: nested(100) })).rejects.toMatchObject({ type: "BODY_TOO_DEEP" });
		await expect(broker.call("notes.raw", Object.assign({}, JSON.parse('{"__proto__":{"text":"x"}}')))).rejects.toMatchObject({ type: "FORBIDDEN_KEY" });
		expect(handled).toBe(0);
		await expect(broker.call("notes.add", { text: "fine 😀" })).resolves.toBe(1);
	});
});

describe("the circuit breaker", () => {
	it("counts failures of the callee (5xx Moleculer errors), never a caller's bad input nor a plain JavaScript error", () => {
		expect(isCalleeFailure(new Errors.RequestTimeoutError({ action: "x", nodeID: "n" }))).toBe(true);
		expect(isCalleeFailure(new Errors.MoleculerRetryableError("db down", 503, "DATABASE_UNAVAILABLE"))).toBe(true);
		expect(isCalleeFailure(new Errors.MoleculerClientError("bad", 422, "VALIDATION_ERROR"))).toBe(false);
		expect(isCalleeFailure(new TypeError("Cannot read properties of undefined"))).toBe(false);
		expect(isCalleeFailure(Object.assign(new Error("column does not exist"), { code: "42703" }))).toBe(false);
		expect(isCalleeFailure(Object.assign(new Error("numeric field overflow"), { code: "22003" }))).toBe(false);
	});

	it("stays closed after many 500s that one request's input triggers, and opens on real outages", async () => {
		const broker = new ServiceBroker({ ...createBrokerOptions(loadConfig({ LOG_LEVEL: "error", RETRY_MAX_ATTEMPTS: "0" })), logger: false, transporter: null, cacher: null });
		let mode: "bug" | "down" | "ok" = "bug";
		broker.createService({
			name: "jobs",
			actions: {
				list() {
					if (mode === "bug") throw new TypeError("Cannot read properties of undefined");
					if (mode === "down") throw new Errors.MoleculerRetryableError("Database unavailable", 503, "DATABASE_UNAVAILABLE");
					return "ok";
				}
			}
		});
		await broker.start();
		try {
			for (let i = 0; i < 30; i++) await broker.call("jobs.list").catch(() => undefined);
			mode = "ok";
			await expect(broker.call("jobs.list")).resolves.toBe("ok");
			mode = "down";
			for (let i = 0; i < 30; i++) await broker.call("jobs.list").catch(() => undefined);
			mode = "ok";
			await expect(broker.call("jobs.list")).rejects.toMatchObject({ type: "SERVICE_NOT_AVAILABLE" });
		} finally {
			await broker.stop();
		}
	});

	it("stays closed for everyone when one agent's tasks fail, crash or time out, or one tool's site is down", async () => {
		const broker = new ServiceBroker({ ...createBrokerOptions(loadConfig({ LOG_LEVEL: "error", RETRY_MAX_ATTEMPTS: "0" })), logger: false, transporter: null, cacher: null });
		const failures = [
			new TaskFailedError("flaky", "t1", { name: "Error", message: "unknown task type" }),
			new WorkerCrashedError("flaky", "the worker exited with code 1"),
			new TaskTimeoutError("flaky", "t2", 1),
			new ToolFailedError("builtin:http_fetch", "connect ECONNREFUSED 127.0.0.1:1"),
			new ToolTimeoutError("builtin:http_fetch", 10)
		];
		let n = 0;
		broker.createService({
			name: "agents",
			actions: {
				submitTask(ctx: Context<{ id: string }>) {
					if (ctx.params.id === "flaky") throw failures[n++ % failures.length];
					return "ok";
				}
			}
		});
		await broker.start();
		try {
			for (let i = 0; i < 40; i++) await broker.call("agents.submitTask", { id: "flaky" }).catch(() => undefined);
			await expect(broker.call("agents.submitTask", { id: "healthy" })).resolves.toBe("ok");
		} finally {
			await broker.stop();
		}
	});
});

describe("a null for an optional field", () => {
	it("reaches the handler as absent unless the field is nullable, at any depth", async () => {
		const broker = new ServiceBroker({ ...createBrokerOptions(loadConfig({ LOG_LEVEL: "error" })), logger: false, transporter: null, cacher: null });
		broker.createService({
			name: "jobs",
			actions: {
				create: {
					params: {
						title: "string",
						skills: { type: "array", items: "string", optional: true },
						duration: "string|optional",
						deadline: { type: "string", optional: true, nullable: true },
						budget: { type: "object", optional: true, props: { usd: { type: "number", optional: true }, note: { type: "string", optional: true, nullable: true } } }
					},
					handler: (ctx: Context<Record<string, unknown> & { skills?: string[] }>) => ({ params: ctx.params, skills: (ctx.params.skills ?? []).map(s => s.toUpperCase()) })
				}
			}
		});
		await broker.start();
		try {
			const answer = await broker.call("jobs.create", { title: "t", skills: null, duration: null, deadline: null, budget: { usd: null, note: null } });
			expect(answer).toEqual({ params: { title: "t", deadline: null, budget: { note: null } }, skills: [] });
			await expect(broker.call("jobs.create", { title: null })).rejects.toMatchObject({ type: "VALIDATION_ERROR" });
		} finally {
			await broker.stop();
		}
	});
});

describe("a value outside an enum", () => {
	it("is refused naming the allowed values and the value sent", async () => {
		const broker = new ServiceBroker({ ...createBrokerOptions(loadConfig({ LOG_LEVEL: "error" })), logger: false, transporter: null, cacher: null });
		broker.createService({ name: "agents", actions: { list: { params: { state: { type: "enum", values: ["running", "stopped"], optional: true } }, handler: () => [] } } });
		await broker.start();
		try {
			await expect(broker.call("agents.list", { state: "flying" })).rejects.toMatchObject({
				type: "VALIDATION_ERROR",
				data: [expect.objectContaining({ message: "The 'state' field must be one of: running, stopped (got 'flying')." })]
			});
		} finally {
			await broker.stop();
		}
	});
});

describe("error answers", () => {
	const logged: Array<{ level: string; args: unknown[] }> = [];
	const logger = Object.fromEntries(
		["fatal", "error", "warn", "info", "debug", "trace"].map(level => [level, (...args: unknown[]) => void logged.push({ level, args })])
	) as unknown as Logger;
	const answer = (err: unknown) => errorAnswer(err, { requestId: "req-1", what: "GET /api/v1/jobs", circuitHalfOpenMs: 10_000, logger });
	beforeEach(() => (logged.length = 0));

	it("never shows an internal error's text; logs it with its stack under the request id", () => {
		const err = new TypeError("Cannot read properties of undefined (reading 'hidden')");
		const a = answer(err);
		expect(a).toEqual({ status: 500, error: { type: "INTERNAL_ERROR", message: "Internal error; see the node's log for request id req-1", data: { requestId: "req-1" } } });
		expect(JSON.stringify(a)).not.toContain("hidden");
		expect(logged).toEqual([{ level: "error", args: [{ err, requestId: "req-1" }, expect.stringContaining("req-1")] }]);
		expect((logged[0].args[0] as { err: Error }).err.stack).toContain("TypeError");
		// A remote node's bug arrives as a plain error with a name: still hidden.
		expect(answer(Object.assign(new Error("x is not a function"), { name: "TypeError", code: 500, type: "X" })).error.type).toBe("INTERNAL_ERROR");
	});

	it("shows errors thrown on purpose as they are, also from another node", () => {
		expect(answer(new Errors.MoleculerClientError("No job abc", 404, "NOT_FOUND", { id: "abc" }))).toEqual({ status: 404, error: { type: "NOT_FOUND", message: "No job abc", data: { id: "abc" } } });
		const remote = Object.assign(new Error("No such forum"), { name: "NotFoundError", code: 404, type: "NOT_FOUND" });
		expect(answer(remote)).toEqual({ status: 404, error: { type: "NOT_FOUND", message: "No such forum" } });
		// moleculer-db's errors have no type: named by their class.
		const typeless = new Errors.MoleculerClientError("Entity not found", 404, "", { id: "x" });
		typeless.name = "EntityNotFoundError";
		expect(answer(typeless)).toEqual({ status: 404, error: { type: "ENTITY_NOT_FOUND", message: "Entity not found", data: { id: "x" } } });
		expect(logged).toEqual([]);
	});

	it("answers an open circuit with 503 and the seconds to wait", () => {
		const a = answer(new Errors.ServiceNotAvailableError({ action: "jobs.list", nodeID: "n1" }));
		expect(a).toEqual({
			status: 503,
			retryAfterSeconds: 10,
			error: { type: "SERVICE_NOT_AVAILABLE", message: expect.stringContaining("jobs.list is unavailable right now"), data: { action: "jobs.list", retryAfterSeconds: 10 } }
		});
	});

	it("serialises an error whose data cannot be, without the data", () => {
		const circular: Record<string, unknown> = {};
		circular.self = circular;
		expect(JSON.parse(errorJson({ type: "VALIDATION_ERROR", message: "bad", data: circular }))).toEqual({ error: { type: "VALIDATION_ERROR", message: "bad" } });
		expect(JSON.parse(errorJson({ type: "X", message: "m", data: nested(20_000) }, { type: "error", id: 3 }))).toEqual({ type: "error", id: 3, error: { type: "X", message: "m" } });
	});
});
