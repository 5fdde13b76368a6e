import type { Database } from "../lib/kernel/database";
import type { AgentState, Transition } from "./agent-state";
import { AgentNotFoundError } from "./errors";
import type { AgentManifest } from "./manifest-types";

export type DesiredState = "running" | "stopped";

/** An agent as the `agents` table keeps it. */
export interface AgentRow {
	id: string;
	manifest: AgentManifest;
	raw_manifest: Record<string, unknown>;
	desired_state: DesiredState;
	state: string;
	node_id: string | null;
	pid: number | null;
	restarts: number;
	last_error: string | null;
	owner: string | null;
	created_at: Date;
	updated_at: Date;
}

/** A new agent: its checked manifest, the manifest as it was sent, and where it starts (null: the leader places it). */
export interface NewAgent {
	manifest: AgentManifest;
	raw: Record<string, unknown>;
	digest: string;
	owner: string | null;
	nodeId: string | null;
}

/** What the runtime reports along with a transition. */
export interface LiveStatus {
	pid: number | null;
	restarts: number;
	lastError: string | null;
}

/** One line of an agent's history (GET /api/v1/agents/:id/transitions). */
export interface TransitionEntry {
	from: AgentState;
	to: AgentState;
	reason: string;
	node: string;
	at: Date;
}

/** What GET /agents may sort by (`-` first: descending), and the column each is. */
const AGENT_SORT_COLUMNS = { created: "created_at", id: "id", name: "manifest->>'name'", state: "state" } as const;
type AgentSortKey = keyof typeof AGENT_SORT_COLUMNS;
export const AGENT_SORTS = Object.keys(AGENT_SORT_COLUMNS).flatMap(k => [k, `-${k}`]);

export interface AgentQuery {
	limit: number;
	offset: number;
	state?: string;
	/** A part of the id or the name. */
	q?: string;
	/** One of AGENT_SORTS. */
	sort?: string;
}

/**
 * The agents and their state history (tables `agents` and `agent_transitions`). When
 * agents are placed across nodes, a node writes an agent's state only while the row
 * still names it: the leader may have moved the agent away meanwhile.
 */
export class AgentStore {
	constructor(
		private readonly db: Database,
		private readonly placedAcrossNodes: boolean
	) {}

	/** Adds a new agent, desired running and pending; false when one with its id exists. */
	async insert(agent: NewAgent): Promise<boolean> {
		const inserted = await this.db.query(
			`INSERT INTO agents (id, manifest, raw_manifest, manifest_digest, owner, desired_state, state, node_id)
			 VALUES ($1, $2, $3, $4, $5, 'running', 'pending', $6) ON CONFLICT (id) DO NOTHING`,
			[agent.manifest.id, JSON.stringify(agent.manifest), JSON.stringify(agent.raw), agent.digest, agent.owner, agent.nodeId]
		);
		return inserted.rowCount > 0;
	}

	/** A page of agents, optionally in one state or matching a text, sorted, with how many match in all. */
	async page({ limit, offset, state, q, sort = "created" }: AgentQuery): Promise<{ rows: AgentRow[]; total: number }> {
		const where: string[] = [];
		const values: string[] = [];
		if (state) where.push(`state = $${values.push(state)}`);
		// A substring of the id or the name, any case; % and _ in it are meant literally.
		if (q) where.push(`(id ILIKE $${values.push(`%${q.replace(/[\\%_]/g, c => `\\${c}`)}%`)} OR manifest->>'name' ILIKE $${values.length})`);
		const clause = where.length ? `WHERE ${where.join(" AND ")}` : "";
		const column = AGENT_SORT_COLUMNS[sort.replace(/^-/, "") as AgentSortKey];
		const order = `${column} ${sort.startsWith("-") ? "DESC" : "ASC"}, id`;
		const { rows } = await this.db.query<AgentRow>(`SELECT * FROM agents ${clause} ORDER BY ${order} LIMIT $${values.length + 1} OFFSET $${values.length + 2}`, [...values, limit, offset]);
		const total = await this.db.query<{ n: string }>(`SELECT count(*) AS n FROM agents ${clause}`, values);
		return { rows, total: Number(total.rows[0].n) };
	}

	/** The agent's row; 404 AGENT_NOT_FOUND when there is none. */
	async get(id: string): Promise<AgentRow> {
		const row = await this.find(id);
		if (!row) throw new AgentNotFoundError(id);
		return row;
	}

	/** The agent's row, or undefined. */
	async find(id: string): Promise<AgentRow | undefined> {
		const { rows } = await this.db.query<AgentRow>("SELECT * FROM agents WHERE id = $1", [id]);
		return rows[0];
	}

	async setDesiredState(id: string, desired: DesiredState): Promise<void> {
		await this.db.query("UPDATE agents SET desired_state = $2, updated_at = now() WHERE id = $1", [id, desired]);
	}

	/** The node that hosts the agent from now on. */
	async setNode(id: string, nodeId: string): Promise<void> {
		await this.db.query("UPDATE agents SET node_id = $2, updated_at = now() WHERE id = $1", [id, nodeId]);
	}

	async setLastError(id: string, message: string): Promise<void> {
		await this.db.query("UPDATE agents SET last_error = $2 WHERE id = $1", [id, message]);
	}

	/** Appends the transition to the history and makes it the agent's state (see the class comment for clusters). */
	async recordTransition(t: Transition, status: LiveStatus): Promise<void> {
		await this.db.query("INSERT INTO agent_transitions (agent_id, from_state, to_state, reason, node_id, at) VALUES ($1, $2, $3, $4, $5, $6)", [
			t.agentId,
			t.from,
			t.to,
			t.reason,
			t.node,
			t.at
		]);
		await this.db.query(
			`UPDATE agents SET state = $2, node_id = $3, pid = $4, restarts = $5, last_error = $6, updated_at = now() WHERE id = $1${this.placedAcrossNodes ? " AND node_id = $3" : ""}`,
			[t.agentId, t.to, t.node, status.pid, status.restarts, status.lastError]
		);
	}

	/** The agent's history, newest first. */
	async transitions(id: string, limit: number): Promise<TransitionEntry[]> {
		const { rows } = await this.db.query<TransitionEntry>(
			"SELECT from_state AS from, to_state AS to, reason, node_id AS node, at FROM agent_transitions WHERE agent_id = $1 ORDER BY id DESC LIMIT $2",
			[id, limit]
		);
		return rows;
	}

	/** Of `ids`, the agents whose row names another node than `nodeId` (or none), with the node it names. */
	async placedElsewhere(ids: string[], nodeId: string): Promise<{ id: string; node_id: string | null }[]> {
		const { rows } = await this.db.query<{ id: string; node_id: string | null }>("SELECT id, node_id FROM agents WHERE id = ANY($1) AND node_id IS DISTINCT FROM $2", [
			ids,
			nodeId
		]);
		return rows;
	}

	/** The agents whose desired state is running, oldest first: all of them, or those placed on `nodeId`. */
	async desiredRunning(nodeId?: string): Promise<AgentRow[]> {
		const { rows } = await this.db.query<AgentRow>(
			`SELECT * FROM agents WHERE desired_state = 'running' ${nodeId !== undefined ? "AND node_id = $1" : ""} ORDER BY created_at`,
			nodeId !== undefined ? [nodeId] : []
		);
		return rows;
	}

	async delete(id: string): Promise<void> {
		await this.db.query("DELETE FROM agents WHERE id = $1", [id]);
	}
}
