/** The governance services list with moleculer-db's `{rows, total, page, pageSize}`; the console's tables page by `{items, total, limit, offset}`. */
import { api, type Page } from "../api";

interface EntityPage<T> {
	rows: T[];
	total: number;
}

export async function entityPage<T>(path: string, limit: number, offset: number, filters: Record<string, string | undefined> = {}): Promise<Page<T>> {
	const answer = await api.get<EntityPage<T>>(path, { ...filters, page: Math.floor(offset / limit) + 1, pageSize: limit, sort: "-createdAt" });
	return { items: answer.rows, total: answer.total, limit, offset };
}

/** What the governance pages show of each record (the services answer these fields). */
export interface Policy {
	id: string;
	name: string;
	source: string;
	mode: "enforce" | "dry-run" | "disabled";
	createdBy: string;
	createdAt: string;
	updatedAt: string;
}

export interface Case {
	id: string;
	subjectId: string;
	reason: string;
	evidence: unknown[];
	policyId: string | null;
	state: "open" | "assigned" | "resolved";
	assignee: string | null;
	decision: string | null;
	resolution: string | null;
	openedBy: string;
	createdAt: string;
}

export interface Appeal {
	id: string;
	sanctionId: string;
	agentId: string;
	appellant: string;
	statement: string;
	state: "open" | "upheld" | "lifted";
	decidedBy: string | null;
	decisionNote: string | null;
	createdAt: string;
}
