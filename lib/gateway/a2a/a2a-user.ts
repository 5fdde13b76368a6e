import type { Context } from "moleculer";
import type { User } from "@a2a-js/sdk/server";
import type { GatewayUser } from "../gateway-auth";

/**
 * The caller of an A2A request as the SDK carries it to the executor: the gateway's user
 * and the request's Moleculer context, so the agent is called as REST calls it (scopes,
 * sanctions, budgets and audit apply to the same principal).
 */
export class A2AUser implements User {
	constructor(
		readonly user: GatewayUser,
		readonly ctx: Context
	) {}

	get isAuthenticated(): boolean {
		return true;
	}

	get userName(): string {
		return this.user.id;
	}
}
