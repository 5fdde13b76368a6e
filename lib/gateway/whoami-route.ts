import type { ServerResponse } from "node:http";
import type { IncomingRequest } from "moleculer-web";
import type { GatewayUser } from "./gateway-auth";

/**
 * GET /api/v1/whoami: who the bearer token stands for and its scopes (never the token).
 * Any valid token may ask, so the console can show what it may not do before it is tried.
 */
export function whoamiRoute(req: IncomingRequest, res: ServerResponse): void {
	const user = (req.$ctx?.meta as { user?: GatewayUser } | undefined)?.user;
	const body = user ? { id: user.id, kind: user.kind, name: user.name, scopes: user.scopes } : null;
	res.writeHead(200, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
	res.end(JSON.stringify(body));
}

/** Marks a function alias any authenticated token may call, whatever its scopes. */
export const whoami = Object.assign(whoamiRoute, { anyToken: true as const });
