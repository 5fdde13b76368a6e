/**
 * Agents' memories and chat sessions over REST. Reached as `client.memory` on
 * AgentOSHttpClient; every call names the agent whose memories it is about.
 */
import type { HistoryWindow, SessionSummary } from "../lib/memory/conversation-store";
import type { RankedHit } from "../lib/memory/hybrid-ranking";
import type { Memory, MemoryScope, MemoryType, NewMemory } from "../lib/memory/memory-types";
import type { ReindexStep } from "../lib/memory/reindex";

export type { HistoryWindow, SessionSummary } from "../lib/memory/conversation-store";
export type { RankedHit } from "../lib/memory/hybrid-ranking";
export type { Memory, MemoryScope, MemoryType, NewMemory } from "../lib/memory/memory-types";
export type { ReindexStep } from "../lib/memory/reindex";

import { queryString } from "./query-string";

type Request = <T>(method: string, path: string, body?: unknown) => Promise<T>;

const base = (agentId: string) => `/api/v1/agents/${encodeURIComponent(agentId)}`;

export class MemoryClient {
	constructor(private readonly request: Request) {}

	store(agentId: string, memory: Partial<NewMemory> & { content: string }): Promise<Memory> {
		return this.request("POST", `${base(agentId)}/memories`, memory);
	}

	/** Up to 1,000 at once, embedded and written together. */
	storeMany(agentId: string, memories: (Partial<NewMemory> & { content: string })[]): Promise<{ items: Memory[] }> {
		return this.request("POST", `${base(agentId)}/memories`, { memories });
	}

	/** `model`: the query's embedding model; `notComparable`: visible memories of another model's vectors, found by their words alone. */
	search(agentId: string, q: string, opts: { type?: MemoryType; k?: number; minSimilarity?: number } = {}): Promise<{ query: string; model: string; hits: RankedHit[]; notComparable: number }> {
		return this.request("GET", `${base(agentId)}/memories/search${queryString({ q, ...opts })}`);
	}

	list(agentId: string, opts: { type?: MemoryType; scope?: MemoryScope; archived?: boolean; limit?: number; offset?: number } = {}): Promise<{ items: Memory[]; total: number }> {
		return this.request("GET", `${base(agentId)}/memories${queryString(opts)}`);
	}

	get(agentId: string, memoryId: string): Promise<Memory> {
		return this.request("GET", `${base(agentId)}/memories/${encodeURIComponent(memoryId)}`);
	}

	forget(agentId: string, memoryId: string): Promise<{ forgotten: number }> {
		return this.request("DELETE", `${base(agentId)}/memories/${encodeURIComponent(memoryId)}`);
	}

	forgetAll(agentId: string): Promise<{ forgotten: number }> {
		return this.request("DELETE", `${base(agentId)}/memories`);
	}

	restore(agentId: string, memoryId: string): Promise<Memory> {
		return this.request("POST", `${base(agentId)}/memories/${encodeURIComponent(memoryId)}/restore`, {});
	}

	share(agentId: string, granteeId: string): Promise<{ agentId: string; shares: { agentId: string; since: string }[] }> {
		return this.request("POST", `${base(agentId)}/memory-shares`, { granteeId });
	}

	unshare(agentId: string, granteeId: string): Promise<{ agentId: string; shares: { agentId: string; since: string }[] }> {
		return this.request("DELETE", `${base(agentId)}/memory-shares/${encodeURIComponent(granteeId)}`);
	}

	/**
	 * Admin: re-embeds with the node's current embedding model up to `limit` memories (of
	 * one agent, or of all) whose vectors another model made. Call again while `remaining` > 0
	 * (with `all`, every memory whatever its model: pass the answer's `next` as `after`).
	 */
	reindex(opts: { agentId?: string; limit?: number; all?: boolean; after?: string } = {}): Promise<ReindexStep> {
		return this.request("POST", "/api/v1/memory/reindex", opts);
	}

	/** The token's own chat sessions with the agent (another token's are never listed). */
	sessions(agentId: string): Promise<{ items: SessionSummary[] }> {
		return this.request("GET", `${base(agentId)}/sessions`);
	}

	/** One of the token's own sessions; a session that is not the token's fails with 404 SESSION_NOT_FOUND. */
	history(agentId: string, sessionId: string, window?: number): Promise<HistoryWindow> {
		return this.request("GET", `${base(agentId)}/sessions/${encodeURIComponent(sessionId)}${queryString({ window })}`);
	}
}
