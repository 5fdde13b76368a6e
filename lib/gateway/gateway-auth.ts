import { Errors } from "moleculer";
import { secretsEqual } from "../kernel/secrets";
import type { Scope } from "../security/capabilities";
import { ForbiddenScopeError } from "../security/errors";
import type { TokenStore } from "../security/token-store";

/** Who a request comes from: the admin (GATEWAY_AUTH_TOKEN) or a scoped API token. */
export interface GatewayUser {
	id: string;
	kind: "admin" | "token";
	name: string;
	scopes: Scope[];
}

const ADMIN: GatewayUser = { id: "admin", kind: "admin", name: "admin", scopes: ["admin"] };

/** 401: no usable token. */
export function unauthorized(type: "NO_TOKEN" | "INVALID_TOKEN", message: string): Errors.MoleculerClientError {
	return new Errors.MoleculerClientError(message, 401, type);
}

/** 403: a valid token without the scope the route needs. */
export function forbidden(user: GatewayUser, scope: Scope): ForbiddenScopeError {
	return new ForbiddenScopeError(scope, user.scopes, `This token (${user.name}) lacks the scope "${scope}"`);
}

export class GatewayAuth {
	constructor(
		private readonly adminToken: string,
		private readonly tokens: TokenStore
	) {}

	/** The user a bearer value stands for, or null; the admin token is compared in constant time. */
	async resolve(token: string): Promise<GatewayUser | null> {
		if (secretsEqual(token, this.adminToken)) return ADMIN;
		const record = await this.tokens.resolve(token);
		return record ? { id: `token:${record.id}`, kind: "token", name: record.name, scopes: record.scopes } : null;
	}

	/** Reads `Authorization: Bearer …`; throws 401 with what to send when it is missing or wrong. */
	async fromHeader(header: string | undefined): Promise<GatewayUser> {
		if (!header) throw unauthorized("NO_TOKEN", "This route needs a token: send Authorization: Bearer <token>");
		const [scheme, token] = header.split(" ");
		if (scheme !== "Bearer" || !token) throw unauthorized("NO_TOKEN", "The Authorization header must read: Bearer <token>");
		const user = await this.resolve(token);
		if (!user) throw unauthorized("INVALID_TOKEN", "The bearer token is not valid (unknown, revoked or expired)");
		return user;
	}

	/** Routes name the scope they need; a route that names none needs `admin` (default deny). */
	static allows(user: GatewayUser, scope: Scope | undefined): boolean {
		return user.scopes.includes("admin") || (scope !== undefined && user.scopes.includes(scope));
	}
}
