import type { ActionSchema, ServiceSchema } from "moleculer";
import { CHAT_PARAMS } from "../mal/chat-params";
import { toJsonSchema, type JsonSchemaObject } from "../schema/fv-json-schema";
import { restAliases } from "./rest-aliases";

export interface OpenApiDocument {
	openapi: "3.1.0";
	info: { title: string; version: string };
	servers: { url: string }[];
	security: Record<string, string[]>[];
	paths: Record<string, PathItem>;
	components: Record<string, Record<string, unknown>>;
}

type PathItem = Record<string, unknown>;

interface Parameter {
	name: string;
	in: "path" | "query";
	required: boolean;
	schema: JsonSchemaObject;
}

/** What the gateway's onError answers, for every status it uses. */
const ERRORS: Record<string, string> = {
	400: "The request is malformed, or breaks the input rules: nested over 64 levels (BODY_TOO_DEEP), a NUL or lone surrogate in text (INVALID_TEXT), a __proto__ field (FORBIDDEN_KEY)",
	401: "No token, or one that is unknown, revoked or expired",
	403: "The token lacks the scope the route needs (x-scope)",
	404: "Nothing by that id",
	409: "It exists already, or its state does not allow this",
	413: "The body (GATEWAY_MAX_PAYLOAD_BYTES) or the prompt is too large",
	422: "The parameters are invalid; the message names each bad field",
	429: "Too many requests; retry after Retry-After seconds",
	500: "Internal error; the message has the request id to find in the node's log",
	503: "Unavailable right now (its database or provider is down, or its circuit is open); retry after Retry-After seconds"
};

const ERROR_SCHEMA: JsonSchemaObject = {
	type: "object",
	required: ["error"],
	properties: {
		error: {
			type: "object",
			required: ["type", "message"],
			properties: { type: { type: "string", description: "machine-readable, e.g. VALIDATION_ERROR" }, message: { type: "string" }, data: {} }
		}
	}
};

/** These actions answer 201 (they set ctx.meta.$statusCode), never 200. */
const CREATES = new Set(["spawn", "create", "grant"]);
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);
const JSON_OK = { description: "OK", content: { "application/json": { schema: {} } } };

/**
 * The OpenAPI 3.1 description of the gateway, from the same `rest` keys and params the
 * routes and their validation come from — so the document cannot drift from the server.
 */
export function buildOpenApi(schemas: ServiceSchema[], info: { version: string }): OpenApiDocument {
	const paths: Record<string, PathItem> = {};
	for (const [route, target] of Object.entries(restAliases(schemas))) {
		const [method, aliasPath] = route.split(" ");
		const dot = target.lastIndexOf(".");
		const [service, name] = [target.slice(0, dot), target.slice(dot + 1)];
		const action = schemas.find(s => s.name === service)?.actions?.[name];
		if (!action || typeof action !== "object") continue;
		(paths[openApiPath(aliasPath)] ??= {})[method.toLowerCase()] = operation(method, aliasPath, target, action as ActionSchema);
	}

	// POST llm/chat is a function alias over mal.chat / mal.stream (lib/gateway/chat-route.ts).
	const chat = schemas.find(s => s.name === "mal")?.actions?.chat as ActionSchema | undefined;
	const chatBody = toJsonSchema((chat?.params ?? CHAT_PARAMS) as Record<string, unknown>);
	chatBody.properties = { ...chatBody.properties, stream: { type: "boolean", description: "answer server-sent events (event: text|tool_call|end|error)" } };
	(paths["/llm/chat"] ??= {}).post = {
		operationId: "mal.chat",
		summary: chat?.description ?? "A chat completion; with stream: true, server-sent events",
		tags: ["mal"],
		"x-scope": chat?.scope ?? "llm",
		requestBody: { required: true, content: { "application/json": { schema: chatBody } } },
		responses: withErrors({
			200: {
				description: "The completion, or with stream: true one event per piece",
				content: { "application/json": { schema: {} }, "text/event-stream": { schema: { type: "string" } } }
			}
		})
	};
	paths["/openapi.json"] = {
		get: { operationId: "api.openapi", summary: "This document", tags: ["api"], "x-scope": "node:read", responses: withErrors({ 200: JSON_OK }) }
	};
	Object.assign(paths, healthPaths());

	return {
		openapi: "3.1.0",
		info: { title: "AgentOS API", version: info.version },
		servers: [{ url: "/api/v1" }],
		security: [{ bearer: [] }],
		paths,
		components: {
			securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "the admin token or a scoped API token" } },
			schemas: { Error: ERROR_SCHEMA },
			responses: Object.fromEntries(
				Object.entries(ERRORS).map(([status, description]) => [`Error${status}`, { description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } }])
			)
		}
	};
}

/** `agents/:id/tasks` → `/agents/{id}/tasks`. */
export function openApiPath(aliasPath: string): string {
	return `/${aliasPath.replace(/:(\w+)\??/g, "{$1}")}`;
}

function operation(method: string, aliasPath: string, operationId: string, action: ActionSchema): Record<string, unknown> {
	const inPath = [...aliasPath.matchAll(/:(\w+)/g)].map(m => m[1]);
	const schema = toJsonSchema((action.params ?? {}) as Record<string, unknown>);
	const props = schema.properties ?? {};
	const required = (key: string) => schema.required?.includes(key) ?? false;
	const rest = Object.keys(props).filter(key => !inPath.includes(key));
	const parameters: Parameter[] = inPath.map(key => ({ name: key, in: "path", required: true, schema: props[key] ?? { type: "string" } }));
	let requestBody: Record<string, unknown> | undefined;
	if (!BODY_METHODS.has(method)) {
		// Query values arrive as strings; the actions' `convert: true` rules accept them.
		parameters.push(...rest.map(key => ({ name: key, in: "query" as const, required: required(key), schema: props[key] })));
	} else if (rest.length || !schema.properties) {
		// moleculer-web merges the body with the path params, which win: they are not body fields.
		const bodyRequired = rest.filter(required);
		const { required: _all, properties: _props, ...shape } = schema;
		const body: JsonSchemaObject = schema.properties
			? { ...shape, properties: Object.fromEntries(rest.map(key => [key, props[key]])), ...(bodyRequired.length ? { required: bodyRequired } : {}) }
			: schema;
		requestBody = { required: bodyRequired.length > 0, content: { "application/json": { schema: body } } };
	}
	const created = method === "POST" && CREATES.has(operationId.slice(operationId.lastIndexOf(".") + 1));
	return {
		operationId,
		...(action.description ? { summary: action.description } : {}),
		tags: [operationId.slice(0, operationId.lastIndexOf("."))],
		"x-scope": action.scope ?? "admin",
		...(parameters.length ? { parameters } : {}),
		...(requestBody ? { requestBody } : {}),
		responses: withErrors(created ? { 201: { ...JSON_OK, description: "Created" } } : { 200: JSON_OK })
	};
}

function withErrors(ok: Record<string, unknown>): Record<string, unknown> {
	return { ...ok, ...Object.fromEntries(Object.keys(ERRORS).map(status => [status, { $ref: `#/components/responses/Error${status}` }])) };
}

/** The open routes at the root, outside /api/v1. */
function healthPaths(): Record<string, PathItem> {
	const open = (operationId: string, summary: string, responses: Record<string, unknown>): PathItem => ({
		servers: [{ url: "/" }],
		get: { operationId, summary, tags: ["health"], security: [], responses }
	});
	const unavailable = { description: "Not usable; the body says which subsystem", content: { "application/json": { schema: {} } } };
	return {
		"/live": open("health.live", "200 while the process is up", { 200: JSON_OK }),
		"/ready": open("health.ready", "Whether the database and (in a cluster) the transporter are usable", { 200: JSON_OK, 503: unavailable }),
		"/health": open("health.check", "Every subsystem with its state", { 200: JSON_OK, 503: unavailable }),
		"/metrics": open("metrics", "Prometheus text (needs a node:read token when METRICS_REQUIRE_AUTH)", {
			200: { description: "Prometheus exposition text", content: { "text/plain": { schema: { type: "string" } } } },
			404: { $ref: "#/components/responses/Error404" }
		})
	};
}
