import type http from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Service } from "moleculer";
import type { ApiSettingsSchema, IncomingRequest } from "moleculer-web";
import { isScope, type Scope } from "../security/capabilities";

/** What moleculer-web's mixin puts on the gateway service's `this` (its typings leave these out). */
export interface GatewayMembers {
	server?: Server;
	httpHandler: http.RequestListener;
	isHTTPS?: boolean;
	sendError(req: IncomingMessage, res: ServerResponse, err: Error): void;
	/** The alias that serves `method` at `url`, or false. */
	resolveAlias(url: string, method: string): unknown;
}

/** `this` in the gateway's function aliases and route hooks: moleculer-web binds them to the service. */
export type GatewayThis = Service<ApiSettingsSchema> & GatewayMembers;

/**
 * The scope a function alias names (`Object.assign(handler, { scope })`). moleculer-web
 * types `Alias.handler` as a list of functions, but for a function alias it holds the
 * function itself; anything else names no scope.
 */
export function aliasScope(req: IncomingRequest): Scope | undefined {
	const handler: unknown = req.$alias?.handler;
	if (typeof handler !== "function" || !("scope" in handler)) return undefined;
	return typeof handler.scope === "string" && isScope(handler.scope) ? handler.scope : undefined;
}

/** Whether a function alias lets any valid token through, whatever its scopes (`anyToken`, e.g. whoami). */
export function aliasAllowsAnyToken(req: IncomingRequest): boolean {
	const handler: unknown = req.$alias?.handler;
	return typeof handler === "function" && "anyToken" in handler && handler.anyToken === true;
}

/** The parsed JSON body moleculer-web's body parser leaves on the request (not in its typings); no object is an empty one. */
export function requestBody(req: IncomingRequest & { body?: unknown }): Record<string, unknown> {
	const body = req.body;
	return body !== null && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}
