import type { Config } from "../kernel/config";
import type { MemoryStore } from "./memory-store";
import { MEMORY_TYPES, type IndexEntry, type MemoryType } from "./memory-types";

const DAY_MS = 86_400_000;

/** How long each kind stays live before it is archived (0: forever). */
export function retentionDays(config: Config): Record<MemoryType, number> {
	return { episodic: config.EPISODIC_RETENTION_DAYS, semantic: config.SEMANTIC_RETENTION_DAYS, procedural: config.PROCEDURAL_RETENTION_DAYS };
}

export interface RetentionResult {
	archived: number;
	deleted: number;
	/** What left the live set, for the vector index. */
	archivedEntries: IndexEntry[];
}

/**
 * The retention job: memories of a kind older than its retention are archived (out of
 * search, still listed with `archived=true`, restorable), and archived memories older
 * than MEMORY_ARCHIVE_RETENTION_DAYS are deleted. Running it twice at the same `now`
 * does nothing the second time, so every node may run it.
 */
export async function runRetention(store: MemoryStore, config: Config, now: Date): Promise<RetentionResult> {
	const days = retentionDays(config);
	const archivedEntries: IndexEntry[] = [];
	for (const type of MEMORY_TYPES) {
		if (days[type] > 0) archivedEntries.push(...(await store.archive(type, new Date(now.getTime() - days[type] * DAY_MS), now)));
	}
	const keep = config.MEMORY_ARCHIVE_RETENTION_DAYS;
	const deleted = keep > 0 ? await store.purgeArchived(new Date(now.getTime() - keep * DAY_MS)) : 0;
	return { archived: archivedEntries.length, deleted, archivedEntries };
}
