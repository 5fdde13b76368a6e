import crypto from "node:crypto";
import type { OpenApiDocument } from "../../lib/gateway/openapi";
import { MAX_JSON_DEPTH } from "../../lib/kernel/input-guard";
import type { JsonSchemaObject } from "../../lib/schema/fv-json-schema";
import { SYSTEM_TASKS } from "../../lib/gateway/ws-handlers";
import { echoManifest, FAST_AGENT_ENV, post, spawnAgent } from "../support/agents";
import { rawRequest, type RawAnswer } from "../support/raw-http";
import { startTestNode, type TestNode } from "../support/test-node";
import { connect, type WsTestClient, type WsTestMessage } from "../support/ws-client";

interface Operation {
	operationId: string;
	parameters?: { name: string; in: "path" | "query"; schema: JsonSchemaObject }[];
	requestBody?: { content: { "application/json": { schema: JsonSchemaObject } } };
}

interface Probe {
	name: string;
	method: string;
	path: string;
	body?: string;
	/** The error type the answer must carry; absent: any answer under 500. */
	expect?: string;
	headers?: Record<string, string>;
}

const METHODS = ["get", "put", "post", "delete", "patch"];
const deep = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
/** JSON text holding `value` as written: `\u0000` and `\ud800` stay escapes that JSON.parse turns into the bad characters. */
const withText = (fields: string[], escaped: string) => `{${fields.map(f => `${JSON.stringify(f)}:"a${escaped}b"`).join(",")}}`;

/**
 * Every route of the OpenAPI document, sent what the review found to hang or 500 the
 * node: bodies nested thousands deep, NUL characters and lone surrogates in every body
 * field, path and query parameter, `__proto__` bodies, numbers no column holds, and
 * inherited property names as query values. Every request must be answered, under 500.
 */
describe("bad input on every route of the gateway", () => {
	let t: TestNode;
	let operations: { method: string; path: string; op: Operation }[];
	const answers: { probe: Probe; answer: RawAnswer | "timeout" }[] = [];

	const fill = (path: string, op: Operation, value?: (name: string) => string) =>
		path.replace(/\{(\w+)\}/g, (_, name: string) => {
			if (value) return encodeURIComponent(value(name));
			return op.parameters?.find(p => p.name === name)?.schema.format === "uuid" ? crypto.randomUUID() : "sweep-id";
		});

	beforeAll(async () => {
		t = await startTestNode(FAST_AGENT_ENV);
		await t.node.ready;
		const doc = (await t.json<OpenApiDocument>("/api/v1/openapi.json")) as OpenApiDocument;
		operations = Object.entries(doc.paths)
			.filter(([, item]) => !(item as { servers?: unknown }).servers)
			.flatMap(([path, item]) => METHODS.filter(m => item[m]).map(method => ({ method: method.toUpperCase(), path, op: item[method] as Operation })));

		const probes: Probe[] = [];
		for (const { method, path, op } of operations) {
			const url = fill(path, op);
			const bodySchema = op.requestBody?.content["application/json"].schema;
			const bodyFields = Object.keys(bodySchema?.properties ?? {});
			const fields = bodyFields.length ? bodyFields : ["note"];
			const query = (op.parameters ?? []).filter(p => p.in === "query");
			const pathParams = (op.parameters ?? []).filter(p => p.in === "path");
			probes.push({ name: "deep body", method, path: url, body: `{"${fields[0]}":${deep(5000)}}`, expect: "BODY_TOO_DEEP" });
			probes.push({ name: "array deep body", method, path: url, body: `{"${fields[0]}":${"[".repeat(MAX_JSON_DEPTH + 1)}${"]".repeat(MAX_JSON_DEPTH + 1)}}`, expect: "BODY_TOO_DEEP" });
			probes.push({ name: "__proto__ body", method, path: url, body: `{"__proto__":{${fields.map(f => `"${f}":"x"`).join(",")}}}`, expect: "FORBIDDEN_KEY" });
			probes.push({ name: "NUL in every body field", method, path: url, body: withText(fields, "\\u0000"), expect: "INVALID_TEXT" });
			probes.push({ name: "lone surrogate in every body field", method, path: url, body: withText(fields, "\\ud800"), expect: "INVALID_TEXT" });
			// What the second review found: nulls for optional fields, field lists naming no field, a Content-Encoding the body does not have.
			probes.push({ name: "null in every body field", method, path: url, body: `{${fields.map(f => `${JSON.stringify(f)}:null`).join(",")}}` });
			probes.push({ name: "gzip claimed, plain body", method, path: url, body: "{}", headers: { "content-encoding": "gzip" }, expect: "BAD_REQUEST" });
			for (const q of ["fields=", "fields=constructor", "excludeFields=__proto__", "populate=toString", "query=abc"]) probes.push({ name: `?${q}`, method, path: `${url}?${q}` });
			for (const p of pathParams) {
				probes.push({ name: `NUL in path :${p.name}`, method, path: fill(path, op, name => (name === p.name ? "a\u0000b" : "sweep-id")), expect: "INVALID_TEXT" });
			}
			for (const p of query) {
				const type = p.schema.type;
				const values = type === "number" || type === "integer" ? ["1e20", "1e308", "-1e20", "9007199254740993"] : ["a\u0000b", "constructor", "__proto__", "hasOwnProperty", "toString"];
				for (const v of values) probes.push({ name: `?${p.name}=${JSON.stringify(v)}`, method, path: `${url}?${p.name}=${encodeURIComponent(v)}`, ...(v.includes("\u0000") ? { expect: "INVALID_TEXT" } : {}) });
			}
			for (const q of ['{"hasOwnProperty":"1"}', '{"constructor":"1"}', '{"__proto__":{"state":"open"}}', `{"x":${deep(100)}}`]) {
				if (query.some(p => p.name === "query")) probes.push({ name: `?query=${q.slice(0, 40)}`, method, path: `${url}?query=${encodeURIComponent(q)}` });
			}
			for (const [field, rule] of Object.entries(bodySchema?.properties ?? {})) {
				const numbers = rule.type === "number" || rule.type === "integer" ? [field] : [];
				const nested = Object.entries(rule.properties ?? {}).filter(([, r]) => r.type === "number" || r.type === "integer");
				for (const big of ["1e20", "1e308", "-1e20"]) {
					for (const f of numbers) probes.push({ name: `${f}=${big}`, method, path: url, body: `{"${f}":${big}}` });
					for (const [f] of nested) probes.push({ name: `${field}.${f}=${big}`, method, path: url, body: `{"${field}":{"${f}":${big}}}` });
				}
			}
		}
		// Sequential: the node under test has two cores to share with everything else.
		for (const probe of probes) {
			answers.push({ probe, answer: await rawRequest(`${t.url}/api/v1${probe.path}`, { method: probe.method, token: t.token, body: probe.body, headers: probe.headers }) });
		}
	}, 600_000);
	afterAll(() => t?.stop());

	it("sends every probe to every route of the document", () => {
		expect(operations.length).toBeGreaterThan(60);
		const routes = new Set(answers.map(a => `${a.probe.method} ${a.probe.path.split("?")[0]}`));
		expect(routes.size).toBeGreaterThanOrEqual(operations.length);
		expect(answers.length).toBeGreaterThan(operations.length * 5);
	});

	it("answers every request (no hangs), none with a 5xx", () => {
		const hangs = answers.filter(a => a.answer === "timeout").map(a => `${a.probe.method} ${a.probe.path.slice(0, 80)} (${a.probe.name})`);
		const failures = answers.flatMap(({ probe, answer }) =>
			answer !== "timeout" && answer.status >= 500 ? [`${probe.method} ${probe.path.slice(0, 80)} (${probe.name}) → ${answer.status} ${answer.text.slice(0, 200)}`] : []
		);
		expect({ hangs, failures }).toEqual({ hangs: [], failures: [] });
	});

	it("refuses each kind of bad input with a 400 of its own type, naming the field", () => {
		const wrong = answers.flatMap(({ probe, answer }) => {
			if (!probe.expect || answer === "timeout") return [];
			const body = JSON.parse(answer.text) as { error?: { type: string; data?: { field?: string } } };
			return answer.status === 400 && body.error?.type === probe.expect ? [] : [`${probe.method} ${probe.path.slice(0, 80)} (${probe.name}) → ${answer.status} ${answer.text.slice(0, 200)}`];
		});
		expect(wrong).toEqual([]);
	});

	it("refuses numbers beyond their columns by name, and the directory profile without skills is saved", async () => {
		const budget = await rawRequest(`${t.url}/api/v1/llm/budgets/some-agent`, { method: "PUT", token: t.token, body: '{"daily":{"tokens":1e20,"usd":1e308}}' });
		expect(budget).toMatchObject({ status: 422 });
		expect((budget as RawAnswer).text).toMatch(/daily\.tokens.*daily\.usd/);
		await spawnAgent(t, echoManifest("sweep-profile"));
		const put = await t.request("/api/v1/directory/sweep-profile", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ bio: "Writes tests" }) });
		expect(put.status).toBe(200);
		expect(await put.json()).toMatchObject({ id: "sweep-profile", bio: "Writes tests" });
	});

	it("bounds every number param of every action by the column that stores it", () => {
		type Rule = Record<string, unknown> | string | Rule[];
		const unbounded: string[] = [];
		const walk = (rule: Rule, path: string): void => {
			if (Array.isArray(rule)) return rule.forEach(r => walk(r, path));
			if (typeof rule === "string") return void (/^number/.test(rule) && !/max:/.test(rule) && unbounded.push(`${path}: ${rule}`));
			if (rule.type === "number" && (typeof rule.max !== "number" || rule.max > Number.MAX_SAFE_INTEGER || (typeof rule.min !== "number" && rule.positive !== true))) {
				unbounded.push(`${path}: ${JSON.stringify(rule)}`);
			}
			for (const [k, r] of Object.entries((rule.props ?? {}) as Record<string, Rule>)) walk(r, `${path}.${k}`);
			if (rule.items) walk(rule.items as Rule, `${path}[]`);
			if (rule.rules) walk(rule.rules as Rule, path);
		};
		const actions = t.node.broker.registry.getActionList({ onlyLocal: true, skipInternal: true });
		expect(actions.length).toBeGreaterThan(60);
		for (const { name, action } of actions) {
			for (const [field, rule] of Object.entries((action as { params?: Record<string, Rule> }).params ?? {})) if (!field.startsWith("$$")) walk(rule, `${name} ${field}`);
		}
		expect(unbounded).toEqual([]);
	});

	describe("over the WebSocket", () => {
		let admin: WsTestClient;
		let reader: WsTestClient;
		/** The next answer, or "timeout": a message never answered is counted, not waited for. */
		const answerOf = async (_c: WsTestClient, send: () => Promise<WsTestMessage>): Promise<WsTestMessage | "timeout"> => {
			let timer: NodeJS.Timeout | undefined;
			const timeout = new Promise<"timeout">(resolve => (timer = setTimeout(() => resolve("timeout"), 10_000)));
			try {
				return await Promise.race([send(), timeout]);
			} finally {
				clearTimeout(timer);
			}
		};

		beforeAll(async () => {
			const wsUrl = `${t.url.replace("http", "ws")}/ws`;
			const token = (await post<{ token: string }>(t, "/api/v1/tokens", { name: "sweep-reader", scopes: ["society:read"] })).body.token;
			admin = await connect(wsUrl, { authorization: `Bearer ${t.token}` });
			reader = await connect(wsUrl, { authorization: `Bearer ${token}` });
		});
		afterAll(() => {
			admin?.close();
			reader?.close();
		});

		it.each(["constructor", "toString", "hasOwnProperty", "__proto__", "valueOf", "__defineGetter__"])("answers the message type %s as unknown, to every token", async type => {
			for (const client of [admin, reader]) {
				const answer = await answerOf(client, () => client.request(type, {}));
				expect(answer).toMatchObject({ type: "error", error: { type: "UNKNOWN_TYPE" } });
			}
		});

		it("answers a message nested too deep with BODY_TOO_DEEP", async () => {
			const fresh = await connect(`${t.url.replace("http", "ws")}/ws`, { authorization: `Bearer ${t.token}` });
			try {
				const answer = await answerOf(fresh, () => {
					fresh.send(`{"type":"agent_task","id":"deep","payload":{"task":${deep(5000)}}}`);
					return fresh.next("error");
				});
				expect(answer).toMatchObject({ type: "error", id: null, error: { type: "BODY_TOO_DEEP" } });
			} finally {
				fresh.close();
			}
		});

		it("refuses bad input in every message type and task type, never with an internal error", async () => {
			const types = ["ping", "chat", "chat_stream", "agent_chat", "agent_spawn", "agent_stop", "agent_task", "subscribe", "unsubscribe"];
			const payloads = (type: string): Record<string, unknown>[] => [
				{ agentId: "a\u0000b", message: "a\u0000b", manifest: { id: "a\u0000b" }, events: ["a\u0000b"], messages: [{ role: "user", content: "a\ud800" }], task: { type: "echo", x: "a\u0000b" } },
				JSON.parse(`{"agentId":"x","task":{"type":"echo","__proto__":{"x":1}},"manifest":{"__proto__":{"id":"x"}},"type":"${type}"}`) as Record<string, unknown>
			];
			const tasks = Object.keys(SYSTEM_TASKS).map(type => ({ agentId: "sweep-profile", task: { type, title: "a\u0000b", body: "a\u0000b", name: "a\u0000b", query: "a\ud800b", content: "a\u0000b", id: "a\u0000b" } }));
			const bad: unknown[] = [];
			for (const type of types) {
				for (const payload of payloads(type)) {
					const answer = await answerOf(admin, () => admin.request(type, payload));
					if (answer === "timeout" || (answer.type === "error" && ["INTERNAL_ERROR", "TypeError", "RangeError", "Error"].includes(answer.error!.type))) bad.push({ type, answer });
				}
			}
			for (const payload of tasks) {
				const answer = await answerOf(admin, () => admin.request("agent_task", payload));
				if (answer === "timeout" || answer.type !== "error" || !["INVALID_TEXT", "NOT_AVAILABLE"].includes(answer.error!.type)) bad.push({ task: payload.task.type, answer });
			}
			expect(bad).toEqual([]);
		}, 300_000);
	});
});
