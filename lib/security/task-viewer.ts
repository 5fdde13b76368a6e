import { taskOwnerOf } from "../kernel/caller";
import type { SecuredMeta } from "./security-guard";

/**
 * Whose tasks a call may see, cancel and resume: an agent its own, a gateway token without
 * the `admin` scope its own (`token:<id>`); null — all of them — for an admin token, the node
 * and an operator inside the cluster (the REPL, an SDK broker client), who hold the
 * cluster's keys anyway.
 */
export function taskViewerOf(meta: SecuredMeta): string | null {
	if (meta.caller?.kind === "agent") return taskOwnerOf(meta.caller);
	if (meta.caller?.kind === "system") return null;
	// A gateway user is an admin only by its scopes; one without them sees its own tasks.
	if (meta.user && !(meta.user.scopes ?? []).includes("admin")) return meta.user.id;
	return null;
}
