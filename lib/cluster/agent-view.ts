/** An agent as people, the SDK and the CLI see it (GET /api/v1/agents): desired and actual state, placement, mailbox. */
import type { RuntimeStatus } from "../../actors/agent-runtime";
import type { AgentRow } from "../../actors/agent-store";
import type { AgentManifest } from "../../actors/manifest-types";
import type { Capability } from "../security/capabilities";

export interface AgentView {
	id: string;
	name: string;
	version: string;
	runtime: string;
	trustLevel: AgentManifest["trustLevel"];
	desiredState: "running" | "stopped";
	state: string;
	node: string | null;
	pid: number | null;
	/**
	 * Whether the agent's own code runs without a network of its own (process workers in a
	 * network namespace, docker workers without network.fetch); false for in-node code; null
	 * when it is not running here or has no code.
	 */
	networkIsolated: boolean | null;
	restarts: number;
	uptimeSeconds: number | null;
	mailbox: RuntimeStatus["mailbox"] | null;
	lastError: string | null;
	owner: string | null;
	createdAt: string;
	/** Capabilities the manifest asked for that wait for an admin (GET /api/v1/agents/:id/grants has the approval ids). */
	pendingCapabilities: Capability[];
}

/** The view of an agent from its row and, when it runs on this node, what its runtime says now. */
export function agentView(row: AgentRow, live: RuntimeStatus | undefined, pending: { capability: Capability }[] = []): AgentView {
	return {
		id: row.id,
		name: row.manifest.name,
		version: row.manifest.version,
		runtime: row.manifest.runtime,
		trustLevel: row.manifest.trustLevel,
		desiredState: row.desired_state,
		state: live?.state ?? row.state,
		node: live?.node ?? row.node_id,
		pid: live ? live.pid : null,
		networkIsolated: live ? live.networkIsolated : null,
		restarts: live?.restarts ?? row.restarts,
		uptimeSeconds: live?.uptimeSeconds ?? null,
		mailbox: live?.mailbox ?? null,
		lastError: live?.lastError ?? row.last_error,
		owner: row.owner,
		createdAt: new Date(row.created_at).toISOString(),
		pendingCapabilities: pending.map(p => p.capability)
	};
}
