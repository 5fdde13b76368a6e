import type { MemoryIndex } from "./memory-index";
import type { MemoryStore, ReindexScope } from "./memory-store";
import type { IndexEntry } from "./memory-types";

export interface ReindexDeps {
	store: MemoryStore;
	index: MemoryIndex;
	/** The vectors of an agent's texts (the cost is that agent's), and the model that made them. */
	embed(agentId: string, input: string[]): Promise<{ vectors: number[][]; model: string }>;
}

export interface ReindexBatch {
	/** The model memories are re-embedded with: the current embedding model. */
	model: string;
	/** Memories given a vector of `model` by this call. */
	reindexed: number;
	/** Memories another run re-embedded between this one's read and write (left as they were). */
	skipped: number;
	/** Memories whose vectors another model still made (with `all`: memories after `next`), after this call. */
	remaining: number;
	/** With `all`: the id to go on after. */
	next?: string;
	/** The index entries that changed (for other nodes to hear of). */
	changed: IndexEntry[];
}

/** What `POST /api/v1/memory/reindex` answers: one step's counts. */
export type ReindexStep = Omit<ReindexBatch, "changed"> & { agentId?: string };

/**
 * One step of re-embedding the memories whose vectors another model made than `model`
 * (or, with `all`, every memory after `after`): at most `limit` of them, of one agent or
 * of all, by id. Each step is complete in itself, so a run stopped anywhere resumes where
 * it was by running again, and a run over memories that are all of the current model
 * does nothing.
 */
export async function reindexStep(deps: ReindexDeps, model: string, scope: ReindexScope, limit: number): Promise<ReindexBatch> {
	const stale = await deps.store.staleBatch(model, scope, limit);
	const byAgent = new Map<string, typeof stale>();
	for (const s of stale) {
		const group = byAgent.get(s.memory.agentId);
		if (group) group.push(s);
		else byAgent.set(s.memory.agentId, [s]);
	}
	let reindexed = 0;
	let skipped = 0;
	let current = model;
	const changed: IndexEntry[] = [];
	for (const [agentId, group] of byAgent) {
		const { vectors, model: made } = await deps.embed(agentId, group.map(s => s.memory.content));
		current = made;
		const live: IndexEntry[] = [];
		const old: IndexEntry[] = [];
		for (const [i, { memory, entry: before, archived }] of group.entries()) {
			const entry = await deps.store.reembed(memory, made, vectors[i]);
			if (!entry) {
				skipped++;
				continue;
			}
			reindexed++;
			changed.push(entry);
			// Archived memories are in no index; their new vector waits in the row for a restore.
			if (archived) continue;
			old.push(before);
			live.push(entry);
		}
		// The old vector goes from where its model and length put it; the new one joins its own model's.
		await deps.index.remove(old);
		await deps.index.add(live);
	}
	if (!scope.all) return { model: current, reindexed, skipped, remaining: await deps.store.countStale(current, scope), changed };
	const next = stale.at(-1)?.memory.id ?? scope.after;
	return { model: current, reindexed, skipped, remaining: await deps.store.countStale(current, { ...scope, after: next }), changed, ...(next && { next }) };
}
