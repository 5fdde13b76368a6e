/**
 * Where an agent runs: the leader asks a placement strategy to pick one of the nodes
 * that may host it. Constraints (node tags) narrow the candidates first; the strategy
 * then picks among them. Strategies are plain functions registered by name, so a
 * deployment can add its own (`registerStrategy`).
 */
import { ConfigError } from "../kernel/errors";

/** A node that can host agents, as the leader sees it. */
export interface NodeLoad {
	nodeID: string;
	/** Agents placed on it (whose desired state is running), including placements in flight. */
	agents: number;
	/** CPU use in percent from the node's last heartbeat; null when not yet known. */
	cpu: number | null;
	tags: readonly string[];
}

export interface PlacementRequest {
	agentId: string;
	/** Every one of these tags must be on the node. */
	nodeTags?: readonly string[];
	/** Nodes not to choose (the one an agent is moving away from). */
	avoid?: readonly string[];
}

/** Picks one of `candidates` (never empty, every one allowed) for the request. */
export type PlacementStrategy = (candidates: readonly NodeLoad[], request: PlacementRequest) => NodeLoad;

/** Fewest agents; ties go to the lower CPU, then the node name, so the choice is stable. */
export const leastAgents: PlacementStrategy = candidates => [...candidates].sort((a, b) => a.agents - b.agents || cpuOf(a) - cpuOf(b) || byName(a, b))[0];

/** Lowest CPU (nodes not yet reporting count as idle); ties go to fewer agents, then the name. */
export const leastCpu: PlacementStrategy = candidates => [...candidates].sort((a, b) => cpuOf(a) - cpuOf(b) || a.agents - b.agents || byName(a, b))[0];

const cpuOf = (n: NodeLoad) => n.cpu ?? 0;
const byName = (a: NodeLoad, b: NodeLoad) => (a.nodeID < b.nodeID ? -1 : a.nodeID > b.nodeID ? 1 : 0);

const strategies = new Map<string, PlacementStrategy>([
	["least-agents", leastAgents],
	["least-cpu", leastCpu]
]);

export function registerStrategy(name: string, strategy: PlacementStrategy): void {
	strategies.set(name, strategy);
}

export function resolveStrategy(name: string): PlacementStrategy {
	const strategy = strategies.get(name);
	if (!strategy) throw new ConfigError(`Unknown placement strategy "${name}" in CLUSTER_PLACEMENT (known: ${[...strategies.keys()].join(", ")})`, "CLUSTER_PLACEMENT");
	return strategy;
}

/** Nodes that satisfy the request's constraints (tags), leaving out those to avoid unless nothing else fits. */
export function candidatesFor(nodes: readonly NodeLoad[], request: PlacementRequest): NodeLoad[] {
	const wanted = request.nodeTags ?? [];
	const allowed = nodes.filter(n => wanted.every(tag => n.tags.includes(tag)));
	const preferred = allowed.filter(n => !request.avoid?.includes(n.nodeID));
	return preferred.length > 0 ? preferred : allowed;
}

/** The node for the request, or undefined when no node satisfies its constraints. */
export function place(nodes: readonly NodeLoad[], request: PlacementRequest, strategy: PlacementStrategy): NodeLoad | undefined {
	const candidates = candidatesFor(nodes, request);
	return candidates.length > 0 ? strategy(candidates, request) : undefined;
}

/**
 * Places many agents at once: each choice counts the agents already placed in this
 * batch, so a hundred agents spread instead of all landing on the emptiest node.
 * Returns agent id → node id; agents no node can take are left out.
 */
export function placeAll(nodes: readonly NodeLoad[], requests: readonly PlacementRequest[], strategy: PlacementStrategy): Map<string, string> {
	const loads = nodes.map(n => ({ ...n }));
	const placed = new Map<string, string>();
	for (const request of requests) {
		const node = place(loads, request, strategy);
		if (!node) continue;
		node.agents++;
		placed.set(request.agentId, node.nodeID);
	}
	return placed;
}

/**
 * Moves that bring the nodes within one agent of each other (for a node that joined):
 * each move takes an agent from the fullest node to the emptiest one that may host it.
 * `agentsOf` lists the movable agents per node with their constraints.
 */
export function rebalance(nodes: readonly NodeLoad[], agentsOf: ReadonlyMap<string, readonly PlacementRequest[]>): Array<{ agentId: string; from: string; to: string }> {
	const loads = new Map(nodes.map(n => [n.nodeID, { ...n }]));
	const movable = new Map([...agentsOf].map(([node, list]) => [node, [...list]]));
	const moves: Array<{ agentId: string; from: string; to: string }> = [];
	for (;;) {
		const sorted = [...loads.values()].sort((a, b) => b.agents - a.agents || byName(a, b));
		const fullest = sorted[0];
		if (!fullest) return moves;
		const queue = movable.get(fullest.nodeID) ?? [];
		let moved = false;
		for (let i = 0; i < queue.length && !moved; i++) {
			const target = candidatesFor([...loads.values()], { ...queue[i], avoid: [fullest.nodeID] })
				.filter(n => n.nodeID !== fullest.nodeID && n.agents + 1 < fullest.agents)
				.sort((a, b) => a.agents - b.agents || byName(a, b))[0];
			if (!target) continue;
			moves.push({ agentId: queue[i].agentId, from: fullest.nodeID, to: target.nodeID });
			queue.splice(i, 1);
			fullest.agents--;
			target.agents++;
			moved = true;
		}
		if (!moved) return moves;
	}
}

/** NODE_TAGS as a list: trimmed, without empties or repeats. */
export function parseNodeTags(value: string | undefined): string[] {
	return [...new Set((value ?? "").split(",").map(t => t.trim()).filter(Boolean))];
}
