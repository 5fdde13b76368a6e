/** An agent as people, the SDK and the CLI see it (GET /api/v1/agents): desired and actual state, placement, mailbox. */
import type { RuntimeStatus } from "../../actors/agent-runtime";
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
	restarts: number;
	uptimeSeconds: number | null;
	mailbox: RuntimeStatus["mailbox"] | null;
	lastError: string | null;
	owner: string | null;
	createdAt: string;
	/** Capabilities the manifest asked for that wait for an admin (GET /api/v1/agents/:id/grants has the approval ids). */
	pendingCapabilities: Capability[];
}
