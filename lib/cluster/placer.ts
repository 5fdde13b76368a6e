/**
 * The leader's side of placement: it picks nodes for agents (lib/cluster/placement.ts),
 * records the choice in the agents table, and tells the chosen node's actor host to
 * start them; it re-places the agents of nodes that are gone and, when asked, moves
 * agents onto a node that joined. One operation at a time, so two never pick for the
 * same agent.
 */
import type { Logger, ServiceBroker } from "moleculer";
import type { AgentManifest } from "../../actors/manifest-types";
import type { Config } from "../kernel/config";
import type { Database } from "../kernel/database";
import { hostingNodes, isHosting, HOST_SERVICE } from "./nodes";
import { placeAll, rebalance, resolveStrategy, type NodeLoad, type PlacementRequest, type PlacementStrategy } from "./placement";

/** Agents started at once on one node while placing many. */
const HOST_CONCURRENCY = 8;

interface PlaceRow {
	id: string;
	manifest: AgentManifest;
	node_id: string | null;
}

export interface PlacerDeps {
	broker: ServiceBroker;
	db: Database;
	config: Config;
	logger: Logger;
}

export class Placer {
	private readonly strategy: PlacementStrategy;
	private queue: Promise<unknown> = Promise.resolve();
	/** Nodes seen disconnecting: their agents move at once. */
	private readonly lost = new Set<string>();
	/** When this node began to lead: a node absent since before then gets the node timeout's grace to show up (a cluster booting). */
	private leadingSince = Date.now();

	constructor(private readonly deps: PlacerDeps) {
		this.strategy = resolveStrategy(deps.config.CLUSTER_PLACEMENT);
	}

	/** Runs `fn` after every operation already queued. */
	private serial<T>(fn: () => Promise<T>): Promise<T> {
		const run = this.queue.then(fn);
		this.queue = run.catch(() => undefined);
		return run;
	}

	/** Current load of every hosting node: agents placed there (desired running), CPU, tags. */
	async loads(): Promise<NodeLoad[]> {
		const nodes = hostingNodes(this.deps.broker);
		const { rows } = await this.deps.db.query<{ node_id: string; n: string }>(
			"SELECT node_id, count(*) AS n FROM agents WHERE desired_state = 'running' AND node_id IS NOT NULL GROUP BY node_id"
		);
		const counts = new Map(rows.map(r => [r.node_id, Number(r.n)]));
		return nodes.map(n => ({ nodeID: n.id, agents: counts.get(n.id) ?? 0, cpu: n.cpu ?? null, tags: n.metadata?.tags ?? [] }));
	}

	/** Places (or re-places) these agents; resolves with agent → node for those that found one. */
	place(ids: readonly string[], reason: string): Promise<Record<string, string>> {
		return this.serial(() => this.placeNow(ids, reason));
	}

	/** This node has just become the leader. */
	startedLeading(): void {
		this.leadingSince = Date.now();
	}

	/** Marks a node as gone (its disconnect was seen, by a leader or not: this node may lead next). */
	nodeLost(nodeID: string): void {
		this.lost.add(nodeID);
	}

	/**
	 * Re-places every agent that should run but has no live node: never placed, or on a
	 * node that is gone (seen disconnecting, or absent for longer than the node timeout).
	 */
	sweep(): Promise<Record<string, string>> {
		return this.serial(async () => {
			const { rows } = await this.deps.db.query<{ id: string; node_id: string | null; updated_at: Date }>(
				"SELECT id, node_id, updated_at FROM agents WHERE desired_state = 'running' ORDER BY created_at, id"
			);
			const graceMs = this.deps.config.CLUSTER_NODE_TIMEOUT_MS * 2;
			const orphans = rows.filter(r => {
				if (r.node_id === null) return true;
				if (isHosting(this.deps.broker, r.node_id)) {
					this.lost.delete(r.node_id);
					return false;
				}
				return this.lost.has(r.node_id) || Date.now() - Math.max(new Date(r.updated_at).getTime(), this.leadingSince) > graceMs;
			});
			if (orphans.length === 0) return {};
			return this.placeNow(
				orphans.map(r => r.id),
				"re-placed: its node is gone"
			);
		});
	}

	/** Moves agents onto emptier nodes until no node has two more than another (after a node joined). */
	rebalance(): Promise<number> {
		return this.serial(async () => {
			const loads = await this.loads();
			const { rows } = await this.deps.db.query<PlaceRow>("SELECT id, manifest, node_id FROM agents WHERE desired_state = 'running' AND node_id IS NOT NULL ORDER BY created_at DESC");
			const byNode = new Map<string, PlacementRequest[]>();
			for (const row of rows) byNode.set(row.node_id!, [...(byNode.get(row.node_id!) ?? []), requestOf(row)]);
			const moves = rebalance(loads, byNode);
			for (const move of moves) {
				try {
					await this.deps.broker.call(`${HOST_SERVICE}.release`, { id: move.agentId, reason: `moved to ${move.to}` }, { nodeID: move.from });
					await this.assign(move.agentId, move.to, `moved from ${move.from} to balance the cluster`);
				} catch (err) {
					this.deps.logger.warn(`Could not move agent ${move.agentId} from ${move.from} to ${move.to}: ${(err as Error).message}`);
				}
			}
			if (moves.length) this.deps.logger.info(`Rebalanced ${moves.length} agent(s)`);
			return moves.length;
		});
	}

	private async placeNow(ids: readonly string[], reason: string): Promise<Record<string, string>> {
		if (ids.length === 0) return {};
		const { rows } = await this.deps.db.query<PlaceRow>("SELECT id, manifest, node_id FROM agents WHERE id = ANY($1) AND desired_state = 'running'", [[...ids]]);
		const requests = rows.map(row => ({ ...requestOf(row), avoid: row.node_id ? [row.node_id] : [] }));
		const chosen = placeAll(await this.loads(), requests, this.strategy);
		for (const request of requests.filter(r => !chosen.has(r.agentId))) {
			const message = `no connected node has the tags ${(request.nodeTags ?? []).join(", ")}; it starts when one joins`;
			await this.deps.db.query("UPDATE agents SET last_error = $2, updated_at = now() WHERE id = $1", [request.agentId, message]);
		}
		const byNode = new Map<string, string[]>();
		for (const [id, node] of chosen) byNode.set(node, [...(byNode.get(node) ?? []), id]);
		await Promise.all(
			[...byNode].map(async ([node, list]) => {
				for (let i = 0; i < list.length; i += HOST_CONCURRENCY) {
					await Promise.all(list.slice(i, i + HOST_CONCURRENCY).map(id => this.assign(id, node, reason)));
				}
			})
		);
		return Object.fromEntries(chosen);
	}

	/** Records the agent on `node`, then has that node's actor host start it. A failure leaves it for the next sweep. */
	private async assign(id: string, node: string, reason: string): Promise<void> {
		// Pending until the new node reports it running: the row must not claim a state nobody has seen yet.
		await this.deps.db.query("UPDATE agents SET node_id = $2, state = 'pending', pid = NULL, last_error = NULL, updated_at = now() WHERE id = $1 AND desired_state = 'running'", [id, node]);
		try {
			await this.deps.broker.call(`${HOST_SERVICE}.host`, { id, reason }, { nodeID: node, timeout: this.deps.config.AGENT_START_TIMEOUT_MS + 5000 });
		} catch (err) {
			this.deps.logger.warn(`Node ${node} could not start agent ${id}: ${(err as Error).message}`);
		}
	}
}

function requestOf(row: PlaceRow): PlacementRequest {
	return { agentId: row.id, nodeTags: row.manifest.placement?.nodeTags ?? [] };
}
