import type { ServiceBroker } from "moleculer";
import type { Config } from "../kernel/config";

/** The service every agent-hosting node runs: its actor host and supervisor. */
export const HOST_SERVICE = "agents";

/** What the registry knows of a node (the fields AgentOS reads). */
export interface RegistryNode {
	id: string;
	available: boolean;
	local: boolean;
	hostname: string | null;
	cpu: number | null;
	metadata?: { tags?: string[] } | null;
}

/**
 * Agents are placed across nodes only when the nodes share one database (DATABASE_URL)
 * over a transporter; otherwise each node keeps its agents to itself.
 */
export function placesAcrossNodes(config: Pick<Config, "TRANSPORTER" | "DATABASE_URL">): boolean {
	return Boolean(config.TRANSPORTER && config.DATABASE_URL);
}

export function registryNode(broker: Pick<ServiceBroker, "registry">, nodeID: string): RegistryNode | undefined {
	// Moleculer's typings say `get` always finds a node; for an id it does not know it gives undefined.
	const node: RegistryNode | undefined = broker.registry.nodes.get(nodeID);
	return node;
}

/** Whether `nodeID` is connected and hosts agents right now. */
export function isHosting(broker: Pick<ServiceBroker, "registry">, nodeID: string): boolean {
	return hostingNodes(broker).some(n => n.id === nodeID);
}

/** Connected nodes that run the actor host, this one included. */
export function hostingNodes(broker: Pick<ServiceBroker, "registry">): RegistryNode[] {
	const ids = new Set(
		(broker.registry.getServiceList({ onlyAvailable: true }) as Array<{ name: string; nodeID: string; available?: boolean }>)
			.filter(s => s.name === HOST_SERVICE && s.available !== false)
			.map(s => s.nodeID)
	);
	return [...ids].map(id => registryNode(broker, id)).filter((n): n is RegistryNode => n !== undefined && n.available);
}

/** Moleculer's heartbeat settings (whole seconds) from CLUSTER_NODE_TIMEOUT_MS: a beat every second or so, a node silent for the timeout is gone. */
export function heartbeatOptions(config: Config): { heartbeatInterval: number; heartbeatTimeout: number } {
	const timeout = Math.max(2, Math.round(config.CLUSTER_NODE_TIMEOUT_MS / 1000));
	return { heartbeatInterval: Math.max(1, Math.floor(timeout / 3)), heartbeatTimeout: timeout };
}
