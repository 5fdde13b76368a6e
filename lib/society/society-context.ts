import type { Context } from "moleculer";
import type { Caller } from "../kernel/caller";
import { callerOf, type SecuredMeta } from "../security/security-guard";
import { OFFSET_PARAM } from "../schema/number-bounds";

/** Pagination params every society list takes: limit 1–100 (20), offset ≥ 0. */
export const PAGE_PARAMS = {
	limit: { type: "number", integer: true, min: 1, max: 100, optional: true, convert: true },
	offset: OFFSET_PARAM
} as const;

export interface Page<T> {
	items: T[];
	total: number;
	limit: number;
	offset: number;
}

/** Who acts: an agent (meta.caller), a person (the gateway's user) or the system. */
export function actorOf(ctx: Context<unknown, SecuredMeta>): Caller {
	return callerOf(ctx);
}

/** The agent a call is made for: the calling agent itself, or the id it names when a person or the system calls. */
export function agentFor(ctx: Context<unknown, SecuredMeta>, named?: string): string | undefined {
	const caller = callerOf(ctx);
	return caller.kind === "agent" ? caller.id : named;
}
