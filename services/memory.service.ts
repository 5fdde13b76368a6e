import crypto from "node:crypto";
import { Readable } from "node:stream";
import type { Context, Logger, ServiceSchema } from "moleculer";
import type { Kernel } from "../lib/kernel/kernel";
import { ConversationStore, HISTORY_ROLES, type HistoryRole, type SessionKey } from "../lib/memory/conversation-store";
import { foldIntoSummary } from "../lib/memory/conversation-summary";
import { rankHits, type Candidate } from "../lib/memory/hybrid-ranking";
import { LocalMemoryIndex } from "../lib/memory/local-memory-index";
import { MemoryCipher } from "../lib/memory/memory-crypto";
import { MemoryForbiddenError, MemoryInvalidError, MemoryNotFoundError, SessionNotFoundError } from "../lib/memory/memory-errors";
import { existingSession, sessionOwnerFor } from "../lib/memory/session-owner";
import type { MemoryIndex } from "../lib/memory/memory-index";
import { MemoryStore, type MemoryRecord } from "../lib/memory/memory-store";
import { MEMORY_SCOPES, MEMORY_TYPES, type IndexEntry, type Memory, type MemoryScope, type MemoryType, type NewMemory, type Visibility } from "../lib/memory/memory-types";
import { reindexStep, type ReindexStep } from "../lib/memory/reindex";
import { runRetention } from "../lib/memory/retention";
import { staleStatistics } from "../lib/memory/stale-statistics";
import { VectorStoreMemoryIndex } from "../lib/memory/vector-store-memory-index";
import { callerOf, type SecuredMeta } from "../lib/security/security-guard";
import { requiresDatabase } from "../mixins/requires-database.mixin";
import { OFFSET_PARAM } from "../lib/schema/number-bounds";
import { defineService } from "../lib/kernel/define-service";

/** Memories a store call may carry at once. */
const MAX_BATCH = 1000;
const MAX_METADATA_BYTES = 16_384;
const MAX_QUERY_CHARS = 2000;
/** Memories a reindex call re-embeds when it names no limit: a few seconds of a remote embedder. */
const REINDEX_STEP = 200;
/** Vector and full-text candidates gathered per wanted hit, before hybrid ranking. */
const CANDIDATES_PER_HIT = 3;
const MIN_CANDIDATES = 30;

const AGENT_ID = { type: "string", min: 1, max: 100, optional: true } as const;
const SESSION_ID = { type: "string", min: 1, max: 200 } as const;
/** Whose session: named by agents (their runtime names the task's caller) and operators inside the cluster, never by a token. */
const SESSION_OWNER = { type: "string", min: 1, max: 200, optional: true } as const;
const WINDOW = { type: "number", integer: true, min: 1, max: 1000, optional: true, convert: true } as const;
const TYPE = { type: "enum", values: [...MEMORY_TYPES] } as const;
const SCOPE = { type: "enum", values: [...MEMORY_SCOPES] } as const;
const NEW_MEMORY = {
	content: { type: "string", min: 1 },
	type: { ...TYPE, default: "semantic" },
	scope: { ...SCOPE, default: "private" },
	importance: { type: "number", min: 0, max: 1, optional: true, convert: true },
	metadata: { type: "object", optional: true }
} as const;

/** People need the token scope, agents the capability; writes are audited. */
const READS = { scope: "memory:read", permission: "memory.read" } as const;
const WRITES = { scope: "memory:write", permission: "memory.write", audit: true } as const;

type Meta = SecuredMeta & { $responseType?: string; $responseHeaders?: Record<string, string> };
type Params<T> = Context<T & { agentId?: string }, Meta>;

interface StoreParams extends Partial<NewMemory> {
	memories?: NewMemory[];
}

interface SearchParams {
	q?: string;
	query?: string;
	type?: MemoryType;
	k?: number;
	minSimilarity?: number;
}

/**
 * Agents' memories (layer 4): episodic, semantic and procedural; private, shared or
 * public; found by hybrid search (meaning, words, recency, importance); archived and
 * deleted by age per kind; encrypted at rest when configured; exported and forgotten.
 * Agents reach it through `ctx.memory` (their own memories, and what others let them
 * see); people through REST on the agent's behalf. Chat sessions' history lives here too.
 */
export default function createMemoryService(kernel: Kernel): ServiceSchema {
	const config = kernel.config;
	const cipher = config.MEMORY_ENCRYPTION_ENABLED && config.MEMORY_ENCRYPTION_KEY ? MemoryCipher.fromSetting(config.MEMORY_ENCRYPTION_KEY) : undefined;
	const store = new MemoryStore(kernel.db, cipher);
	const conversations = new ConversationStore(kernel.db, cipher);
	const index: MemoryIndex = config.MEMORY_INDEX === "vector-store" ? new VectorStoreMemoryIndex(kernel.vectors) : new LocalMemoryIndex(store, config.MEMORY_INDEX_CACHE_MB * 1024 * 1024);
	let retention: NodeJS.Timeout | undefined;
	let logger: Logger | undefined;
	const statistics = staleStatistics(kernel.db.kind === "pglite", () => store.analyze(), err => logger?.warn(`Refreshing the memories table's statistics failed: ${err.message}`));

	/** Whose memories a call is about: an agent's own; a person names the agent. */
	function ownerOf(ctx: Params<object>, param: "agentId" = "agentId"): string {
		const caller = callerOf(ctx);
		const named = ctx.params[param];
		if (caller.kind === "agent") {
			if (named && named !== caller.id) throw new MemoryForbiddenError(caller.id, named);
			return caller.id;
		}
		if (!named) throw new MemoryInvalidError("agentId", "is required: whose memories?");
		return named;
	}

	/** Whose chat session a call is about (lib/memory/session-owner.ts). */
	function sessionOwner(ctx: Params<{ owner?: string }>): Omit<SessionKey, "sessionId"> {
		const agentId = ownerOf(ctx);
		return { agentId, owner: sessionOwnerFor(callerOf(ctx), ctx.meta.user !== undefined, ctx.params.owner, agentId) };
	}

	function sessionKeyOf(ctx: Params<{ sessionId: string; owner?: string }>): SessionKey {
		return { ...sessionOwner(ctx), sessionId: ctx.params.sessionId };
	}

	async function visibilityOf(agentId: string): Promise<Visibility> {
		return { agentId, sharedFrom: await store.sharedWith(agentId) };
	}

	/**
	 * Embeddings are part of keeping a memory, not the agent's own model use: no llm.execute
	 * needed, but the cost is the agent's. The vectors, and the model that made them.
	 */
	async function embed(ctx: Context, agentId: string, input: string[]): Promise<{ vectors: number[][]; model: string }> {
		const vectors: number[][] = [];
		let model = "";
		for (let i = 0; i < input.length; i += 2048) {
			const result = await ctx.call<{ vectors: number[][]; model: string }, object>("mal.embed", { input: input.slice(i, i + 2048), agentId }, { meta: { caller: undefined } });
			vectors.push(...result.vectors);
			model = result.model;
		}
		return { vectors, model };
	}

	function checkContent(m: NewMemory, field: string): void {
		const bytes = Buffer.byteLength(m.content, "utf8");
		if (bytes > config.MEMORY_MAX_CONTENT_BYTES) throw new MemoryInvalidError(field, `is ${bytes} bytes; at most ${config.MEMORY_MAX_CONTENT_BYTES} (MEMORY_MAX_CONTENT_BYTES)`, 413);
		if (!m.content.trim()) throw new MemoryInvalidError(field, "is blank");
		if (m.metadata && Buffer.byteLength(JSON.stringify(m.metadata)) > MAX_METADATA_BYTES) throw new MemoryInvalidError(field.replace(/content$/, "metadata"), `is larger than ${MAX_METADATA_BYTES} bytes as JSON`, 413);
	}

	/** Other nodes' local indexes drop what they hold of these agents and read it again when next needed. */
	async function changed(ctx: Context, entries: Pick<IndexEntry, "agentId" | "scope">[]): Promise<void> {
		if (!entries.length) return;
		const agents = [...new Set(entries.map(e => e.agentId))];
		await ctx.broadcast("memory.changed", { agents, publicChanged: entries.some(e => e.scope === "public") }).catch(() => undefined);
	}

	/** Rows and vectors go together; `ids` absent: all of the agent's memories. */
	async function forget(ctx: Params<object>, ids?: string[]): Promise<{ forgotten: number }> {
		const removed = await store.forget(ownerOf(ctx), ids);
		if (ids && !removed.length) throw new MemoryNotFoundError(ids[0]);
		await index.remove(removed);
		await changed(ctx, removed);
		return { forgotten: removed.length };
	}

	return defineService({
		name: "memory",
		mixins: [requiresDatabase(kernel)],
		settings: { rest: "/" },

		actions: {
			store: {
				rest: "POST /agents/:agentId/memories",
				description: "Stores a memory (or a batch) for an agent, embedded so it can be found by meaning later.",
				tool: { caller: "agentId" },
				...WRITES,
				retryPolicy: { enabled: false },
				params: {
					agentId: AGENT_ID,
					content: { type: "string", optional: true },
					type: { ...TYPE, optional: true },
					scope: { ...SCOPE, optional: true },
					importance: NEW_MEMORY.importance,
					metadata: NEW_MEMORY.metadata,
					memories: { type: "array", optional: true, min: 1, max: MAX_BATCH, items: { type: "object", props: NEW_MEMORY } }
				},
				async handler(ctx: Params<StoreParams>): Promise<Memory | { items: Memory[] }> {
					const agentId = ownerOf(ctx);
					const { memories, content } = ctx.params;
					if (memories && content !== undefined) throw new MemoryInvalidError("memories", "give either content or memories, not both");
					if (!memories && content === undefined) throw new MemoryInvalidError("content", "is required");
					const batch: NewMemory[] = memories ?? [{ content: content!, type: ctx.params.type ?? "semantic", scope: ctx.params.scope ?? "private", importance: ctx.params.importance, metadata: ctx.params.metadata }];
					batch.forEach((m, i) => checkContent(m, memories ? `memories[${i}].content` : "content"));
					const { vectors, model } = await embed(ctx, agentId, batch.map(m => m.content));
					const records: MemoryRecord[] = batch.map((m, i) => ({
						id: crypto.randomUUID(),
						agentId,
						type: m.type,
						scope: m.scope,
						content: m.content,
						metadata: m.metadata ?? {},
						importance: m.importance ?? 0.5,
						embeddingModel: model,
						vector: vectors[i]
					}));
					const saved = await store.insert(records);
					statistics.grew(records.length);
					await index.add(records.map(r => ({ id: r.id, agentId, scope: r.scope, type: r.type, model, vector: Float32Array.from(r.vector) })));
					await changed(ctx, records);
					return memories ? { items: saved } : saved[0];
				}
			},

			search: {
				rest: "GET /agents/:agentId/memories/search",
				description: "Finds an agent's memories, and those shared with it, by meaning and by words, best first.",
				tool: { caller: "agentId" },
				...READS,
				params: {
					agentId: AGENT_ID,
					q: { type: "string", optional: true },
					query: { type: "string", optional: true },
					type: { ...TYPE, optional: true },
					k: { type: "number", integer: true, min: 1, max: 100, optional: true, convert: true },
					minSimilarity: { type: "number", min: 0, max: 1, optional: true, convert: true }
				},
				async handler(ctx: Params<SearchParams>) {
					const agentId = ownerOf(ctx);
					const text = (ctx.params.q ?? ctx.params.query ?? "").trim();
					if (!text) throw new MemoryInvalidError("q", "is required and may not be blank");
					if (text.length > MAX_QUERY_CHARS) throw new MemoryInvalidError("q", `is ${text.length} characters; at most ${MAX_QUERY_CHARS}`);
					const k = ctx.params.k ?? 10;
					const type = ctx.params.type;
					const wanted = Math.max(k * CANDIDATES_PER_HIT, MIN_CANDIDATES);
					const [visibility, query, lexemes] = await Promise.all([visibilityOf(agentId), embed(ctx, agentId, [text]), store.lexemes(text)]);
					const { model, vectors: [vector] } = query;
					const floor = ctx.params.minSimilarity ?? config.MEMORY_MIN_SIMILARITY / 100;
					// The query's vector ranks only vectors of its own model; the others are found by their words alone.
					const [vectorHits, textHits, notComparable] = await Promise.all([
						index.search(vector, visibility, { k: wanted, type, model }),
						store.textCandidates(lexemes, visibility, { type, limit: wanted }),
						store.countOtherModels(model, visibility, type)
					]);
					// Unrelated texts still have some similarity: below the floor, only a matching word makes a hit.
					const similarity = new Map(vectorHits.filter(h => h.similarity >= floor).map(h => [h.id, h.similarity]));
					const textRank = new Map(textHits.map(h => [h.id, h.rank]));
					const ids = [...new Set([...similarity.keys(), ...textRank.keys()])];
					const candidates: Candidate[] = (await store.fetchHits(ids, visibility, lexemes))
						.filter(({ memory }) => !type || memory.type === type)
						.map(({ memory, words }) => ({ memory, similarity: similarity.get(memory.id), textRank: textRank.get(memory.id), words }));
					return { query: text, model, hits: rankHits(candidates, { now: new Date(), halfLifeDays: config.MEMORY_RECENCY_HALF_LIFE_DAYS, k }), notComparable };
				}
			},

			/** JSON lines, oldest first, decrypted: everything an agent remembers, to keep or to move. */
			export: {
				rest: "GET /agents/:agentId/memories/export",
				description: "Streams everything an agent remembers as JSON lines, decrypted, oldest first.",
				...READS,
				audit: true,
				params: { agentId: AGENT_ID },
				handler(ctx: Params<object>): Readable {
					const agentId = ownerOf(ctx);
					ctx.meta.$responseType = "application/x-ndjson";
					ctx.meta.$responseHeaders = { "Content-Disposition": `attachment; filename="memories-${agentId}.jsonl"` };
					return Readable.from((async function* () {
						for await (const line of store.exportLines(agentId)) yield `${line}\n`;
					})());
				}
			},

			list: {
				rest: "GET /agents/:agentId/memories",
				description: "Lists an agent's memories, filtered by type, scope or archived state, a page at a time.",
				...READS,
				params: {
					agentId: AGENT_ID,
					type: { ...TYPE, optional: true },
					scope: { ...SCOPE, optional: true },
					archived: { type: "boolean", optional: true, convert: true },
					limit: { type: "number", integer: true, min: 1, max: 1000, optional: true, convert: true },
					offset: OFFSET_PARAM
				},
				handler(ctx: Params<{ type?: MemoryType; scope?: MemoryScope; archived?: boolean; limit?: number; offset?: number }>) {
					const agentId = ownerOf(ctx);
					const { type, scope, archived, limit = 50, offset = 0 } = ctx.params;
					return store.list({ agentId, type, scope, archived, limit, offset });
				}
			},

			get: {
				rest: "GET /agents/:agentId/memories/:memoryId",
				description: "One memory by id, if the agent may see it (its own or shared with it).",
				...READS,
				params: { agentId: AGENT_ID, memoryId: { type: "string", min: 1, max: 100 } },
				async handler(ctx: Params<{ memoryId: string }>): Promise<Memory> {
					const agentId = ownerOf(ctx);
					const [memory] = await store.fetchVisible([ctx.params.memoryId], await visibilityOf(agentId));
					// What the agent may not see does not exist for it.
					if (!memory) throw new MemoryNotFoundError(ctx.params.memoryId);
					return memory;
				}
			},

			forget: {
				rest: "DELETE /agents/:agentId/memories/:memoryId",
				description: "Deletes one of an agent's memories for good.",
				...WRITES,
				params: { agentId: AGENT_ID, memoryId: { type: "string", min: 1, max: 100 } },
				handler(ctx: Params<{ memoryId: string }>) {
					return forget(ctx, [ctx.params.memoryId]);
				}
			},

			forgetAll: {
				rest: "DELETE /agents/:agentId/memories",
				description: "Deletes all of an agent's memories for good.",
				...WRITES,
				params: { agentId: AGENT_ID },
				handler(ctx: Params<object>) {
					return forget(ctx);
				}
			},

			restore: {
				rest: "POST /agents/:agentId/memories/:memoryId/restore",
				description: "Brings back one of an agent's archived memories.",
				...WRITES,
				params: { agentId: AGENT_ID, memoryId: { type: "string", min: 1, max: 100 } },
				async handler(ctx: Params<{ memoryId: string }>): Promise<Memory> {
					const agentId = ownerOf(ctx);
					const restored = await store.restore(agentId, ctx.params.memoryId);
					if (!restored) throw new MemoryNotFoundError(ctx.params.memoryId);
					await index.add([restored.entry]);
					await changed(ctx, [restored.entry]);
					return restored.memory;
				}
			},

			share: {
				rest: "POST /agents/:agentId/memory-shares",
				description: "Lets another agent see this agent's shared-scope memories.",
				...WRITES,
				params: { agentId: AGENT_ID, granteeId: { type: "string", min: 1, max: 100 } },
				async handler(ctx: Params<{ granteeId: string }>) {
					const agentId = ownerOf(ctx);
					if (ctx.params.granteeId === agentId) throw new MemoryInvalidError("granteeId", "an agent always sees its own memories");
					await store.share(agentId, ctx.params.granteeId);
					return { agentId, shares: await store.sharesOf(agentId) };
				}
			},

			unshare: {
				rest: "DELETE /agents/:agentId/memory-shares/:granteeId",
				description: "Stops letting another agent see this agent's shared memories.",
				...WRITES,
				params: { agentId: AGENT_ID, granteeId: { type: "string", min: 1, max: 100 } },
				async handler(ctx: Params<{ granteeId: string }>) {
					const agentId = ownerOf(ctx);
					if (!(await store.unshare(agentId, ctx.params.granteeId))) throw new MemoryNotFoundError(`share with ${ctx.params.granteeId}`);
					return { agentId, shares: await store.sharesOf(agentId) };
				}
			},

			shares: {
				rest: "GET /agents/:agentId/memory-shares",
				description: "The agents this agent shares its memories with, and since when.",
				...READS,
				params: { agentId: AGENT_ID },
				async handler(ctx: Params<object>) {
					const agentId = ownerOf(ctx);
					return { agentId, shares: await store.sharesOf(agentId) };
				}
			},

			/** Adds messages to a chat session and folds those leaving the window into its summary. */
			appendHistory: {
				permission: "memory.write",
				retryPolicy: { enabled: false },
				params: {
					agentId: AGENT_ID,
					sessionId: SESSION_ID,
					owner: SESSION_OWNER,
					messages: { type: "array", min: 1, max: 100, items: { type: "object", props: { role: { type: "enum", values: [...HISTORY_ROLES] }, content: { type: "string", max: 1_000_000 } } } }
				},
				async handler(ctx: Params<{ sessionId: string; owner?: string; messages: { role: HistoryRole; content: string }[] }>) {
					const key = sessionKeyOf(ctx);
					const seqs = await conversations.append(key, ctx.params.messages);
					await foldIntoSummary(conversations, key, seqs[seqs.length - 1], {
						window: config.MEMORY_HISTORY_WINDOW,
						summarize: prompt =>
							ctx
								.call<{ content: string | null }, object>("mal.chat", { messages: prompt, agentId: key.agentId, maxTokens: 400 }, { meta: { caller: undefined } })
								.then(r => r.content ?? "")
					}).catch((err: Error) => this.logger.warn(`Summary of session ${key.sessionId} of ${key.agentId} failed; the full history is kept: ${err.message}`));
					return { sessionId: key.sessionId, seqs };
				}
			},

			history: {
				rest: "GET /agents/:agentId/sessions/:sessionId",
				description: "One of your conversation sessions with an agent: its messages and running summary, the latest window of them.",
				...READS,
				params: { agentId: AGENT_ID, sessionId: SESSION_ID, owner: SESSION_OWNER, window: WINDOW },
				async handler(ctx: Params<{ sessionId: string; owner?: string; window?: number }>) {
					const key = sessionKeyOf(ctx);
					const window = await conversations.window(key, ctx.params.window ?? config.MEMORY_HISTORY_WINDOW);
					// The agent's runtime starts a session by reading it: empty is new, not missing.
					return ctx.meta.user && callerOf(ctx).kind !== "agent" ? existingSession(key, window) : window;
				}
			},

			sessions: {
				rest: "GET /agents/:agentId/sessions",
				description: "Your conversation sessions with an agent, with their message counts, most recent first.",
				...READS,
				params: { agentId: AGENT_ID, owner: SESSION_OWNER },
				async handler(ctx: Params<{ owner?: string }>) {
					const { agentId, owner } = sessionOwner(ctx);
					return { items: await conversations.sessions(agentId, owner) };
				}
			},

			forgetSession: {
				rest: "DELETE /agents/:agentId/sessions/:sessionId",
				description: "Deletes one of your conversation sessions with an agent, with its summary.",
				...WRITES,
				params: { agentId: AGENT_ID, sessionId: SESSION_ID, owner: SESSION_OWNER },
				async handler(ctx: Params<{ sessionId: string; owner?: string }>) {
					const key = sessionKeyOf(ctx);
					const removed = await conversations.remove(key);
					if (!removed) throw new SessionNotFoundError(key.agentId, key.sessionId);
					return { forgotten: removed };
				}
			},

			/** Support: every identity's sessions. Admins only, and audited, as reading another's is. */
			allSessions: {
				rest: "GET /agents/:agentId/all-sessions",
				description: "Every conversation session with an agent and the identity it belongs to, for support (admin; audited).",
				scope: "admin",
				audit: true,
				params: { agentId: { type: "string", min: 1, max: 100 } },
				async handler(ctx: Context<{ agentId: string }>) {
					return { items: await conversations.sessions(ctx.params.agentId) };
				}
			},

			anySession: {
				rest: "GET /agents/:agentId/all-sessions/:owner/:sessionId",
				description: "Any identity's conversation session with an agent, for support; `unowned` names those kept before sessions had owners (admin; audited).",
				scope: "admin",
				audit: true,
				params: { agentId: { type: "string", min: 1, max: 100 }, owner: { type: "string", min: 1, max: 200 }, sessionId: SESSION_ID, window: WINDOW },
				async handler(ctx: Context<{ agentId: string; owner: string; sessionId: string; window?: number }>) {
					const { agentId, owner, sessionId } = ctx.params;
					const key = { agentId, owner, sessionId };
					return { owner, ...existingSession(key, await conversations.window(key, ctx.params.window ?? config.MEMORY_HISTORY_WINDOW)) };
				}
			},

			/** The daily job, on demand: archive by age per kind, then delete long-archived memories. `now` moves the clock (tests, catch-up). */
			retention: {
				rest: "POST /memory/retention",
				description: "Runs the memory retention job now: archives memories by age per kind, deletes long-archived ones.",
				audit: true,
				params: { now: { type: "date", convert: true, optional: true } },
				async handler(ctx: Context<{ now?: Date }>) {
					const result = await runRetention(store, config, ctx.params.now ?? new Date());
					await index.remove(result.archivedEntries);
					await changed(ctx, result.archivedEntries);
					return { archived: result.archived, deleted: result.deleted };
				}
			},

			/**
			 * Re-embeds, with the current embedding model, up to `limit` memories whose vectors
			 * another model made (of one agent, or of all): they rank by meaning again. Each call
			 * is one step that stands alone; call again while `remaining` is above 0 (with `all`,
			 * every memory whatever its model, passing the answer's `next` as `after`).
			 */
			reindex: {
				rest: "POST /memory/reindex",
				description: "Embeds memories again with the current embedding model, one batch per call.",
				audit: true,
				retryPolicy: { enabled: false },
				params: {
					agentId: { type: "string", min: 1, max: 100, optional: true },
					limit: { type: "number", integer: true, min: 1, max: MAX_BATCH, optional: true, convert: true },
					all: { type: "boolean", optional: true, convert: true },
					after: { type: "string", max: 100, optional: true }
				},
				async handler(ctx: Context<{ agentId?: string; limit?: number; all?: boolean; after?: string }>): Promise<ReindexStep> {
					const { embedding } = await ctx.call<{ embedding: { model: string } }>("mal.models");
					const deps = { store, index, embed: (agentId: string, input: string[]) => embed(ctx, agentId, input) };
					const { agentId, all, after } = ctx.params;
					const { changed: entries, ...step } = await reindexStep(deps, embedding.model, { agentId, all, after }, ctx.params.limit ?? REINDEX_STEP);
					await changed(ctx, entries);
					return { ...(ctx.params.agentId ? { agentId: ctx.params.agentId } : {}), ...step };
				}
			},

			status: {
				rest: "GET /memory",
				description: "The memory index in use, its vector cache, and whether memories are encrypted at rest.",
				scope: "node:read",
				handler() {
					return { index: index.kind, vectorsInProcess: index.loaded, cache: index.cache ?? null, encryption: cipher !== undefined };
				}
			}
		},

		events: {
			"memory.changed"(ctx: Context<{ agents: string[]; publicChanged: boolean }>) {
				if (ctx.nodeID !== this.broker.nodeID) index.invalidate(ctx.params.agents, ctx.params.publicChanged);
			}
		},

		started() {
			logger = this.logger;
			// Once, in the background: memories a changed embedding model left behind are found by their words alone until re-embedded.
			void kernel
				.start()
				.then(() => this.broker.waitForServices("mal", 60_000))
				.then(() => this.broker.call<{ embedding: { model: string } }>("mal.models"))
				.then(async ({ embedding }) => {
					const stale = await store.countStale(embedding.model, {});
					if (stale) this.logger.warn(`${stale} memories have vectors another embedding model made than ${embedding.model}: searches find them by their words alone until agent-os memory reindex re-embeds them`);
				})
				.catch((err: Error) => this.logger.debug(`Could not count memories of another embedding model: ${err.message}`));
			retention = setInterval(() => {
				void kernel
					.start()
					.then(() => this.actions.retention({}))
					.then(
						(r: { archived: number; deleted: number }) => (r.archived || r.deleted) && this.logger.info(`Memory retention: ${r.archived} archived, ${r.deleted} deleted`),
						(err: Error) => this.logger.warn(`Memory retention failed: ${err.message}`)
					);
			}, config.MEMORY_RETENTION_INTERVAL_MS);
			retention.unref();
		},

		stopped() {
			if (retention) clearInterval(retention);
		}
	});
}
