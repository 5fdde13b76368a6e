import type { Context } from "moleculer";
import type { User } from "@a2a-js/sdk/server";
import type { GatewayUser } from "../gateway-auth";
import { taskViewerOf } from "../../security/task-viewer";

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

/**
 * Whose tasks an A2A request sees: the token's own (null: all, for an admin). A context
 * without an AgentOS caller sees none — an empty identity that owns no task.
 */
export function a2aViewerOf(user: unknown): string | null {
	return user instanceof A2AUser ? taskViewerOf({ user: user.user }) : "";
}
