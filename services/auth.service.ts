import type { Context, ServiceSchema } from "moleculer";
import { TokenNotFoundError } from "../lib/security/errors";
import { SCOPES, type Scope } from "../lib/security/capabilities";
import type { ApiToken, TokenStore } from "../lib/security/token-store";
import { requiresDatabase } from "../mixins/requires-database.mixin";
import type { Kernel } from "../lib/kernel/kernel";
import { defineService } from "../lib/kernel/define-service";

interface Meta {
	user?: { id: string };
}

/** Scoped API tokens: created (shown once), listed (never shown again) and revoked. */
export default function createAuthService(kernel: Kernel, tokens: TokenStore): ServiceSchema {
	return defineService({
		name: "auth",
		mixins: [requiresDatabase(kernel)],
		settings: { rest: "/tokens" },

		actions: {
			create: {
				rest: "POST /",
				description: "Creates an API token with the given scopes; its secret is shown only in this answer.",
				audit: true,
				retryPolicy: { enabled: false },
				params: {
					name: { type: "string", min: 1, max: 100 },
					scopes: { type: "array", min: 1, items: { type: "enum", values: Object.keys(SCOPES) } },
					expiresInDays: { type: "number", positive: true, max: 3650, optional: true }
				},
				async handler(ctx: Context<{ name: string; scopes: Scope[]; expiresInDays?: number }, Meta & { $statusCode?: number }>): Promise<{ token: string } & ApiToken> {
					const expires = ctx.params.expiresInDays ? new Date(Date.now() + ctx.params.expiresInDays * 86_400_000) : null;
					const { token, record } = await tokens.create(ctx.params.name, [...new Set(ctx.params.scopes)], ctx.meta.user?.id ?? "system", expires);
					ctx.meta.$statusCode = 201;
					// The only time the token is seen: afterwards only its hash exists.
					return { token, ...record };
				}
			},

			list: {
				rest: "GET /",
				description: "Lists the API tokens with their names, scopes, expiry and last use, never their secrets.",
				handler(): Promise<ApiToken[]> {
					return tokens.list();
				}
			},

			revoke: {
				rest: "DELETE /:id",
				description: "Revokes an API token: calls made with it are refused from now on.",
				audit: true,
				params: { id: { type: "uuid" } },
				async handler(ctx: Context<{ id: string }>): Promise<ApiToken> {
					const revoked = await tokens.revoke(ctx.params.id);
					if (!revoked) throw new TokenNotFoundError(ctx.params.id);
					ctx.broadcast("auth.tokenRevoked", { id: ctx.params.id }).catch(() => undefined);
					return revoked;
				}
			}
		},

		events: {
			// A token revoked on another node must stop working here too, without waiting for the cache.
			"auth.tokenRevoked"() {
				tokens.forget();
			}
		}
	});
}
