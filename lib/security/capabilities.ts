/**
 * What an agent may be allowed to do. A manifest asks for capabilities; they are granted
 * when the agent is spawned, and an admin may grant more (narrowed, or until a time) or
 * revoke them. An action that needs one declares it (`permission: "memory.write"`), and
 * the security middleware checks every call an agent makes, on whichever node runs it.
 */
export const CAPABILITIES = {
	"llm.execute": "call models through the model layer",
	"memory.read": "search and read memories",
	"memory.write": "store and forget memories",
	"tools.execute": "invoke tools",
	"network.fetch": "reach the network (http_fetch, browser_snapshot)",
	"fs.read": "read files inside the allowed paths",
	"fs.write": "write files inside the allowed paths",
	"shell.exec": "run allowlisted commands",
	"a2a.send": "send tasks to other agents",
	"a2a.remote": "send messages to remote A2A agents by their card URL (a2a_send, a2a_get_task)",
	"social.post": "post in forums and the jobs marketplace",
	"social.moderate": "moderate forums and cases",
	"node.monitor": "read the health of the node, the cluster, the model providers and the monitored URLs, and raise alerts"
} as const;

export type Capability = keyof typeof CAPABILITIES;

/**
 * What an agent gets from whoever may spawn it (`agents:write`): model calls, its own
 * memory, and posting in forums and jobs (reading them needs no capability). Everything
 * else reaches outside the agent — tools, files, commands, the network, other agents,
 * moderation, the node's health and alerts — so only an admin grants it; asked for by a
 * manifest spawned by anyone else, it waits as a grant request for an admin's decision.
 */
export const SAFE_CAPABILITIES: readonly Capability[] = ["llm.execute", "memory.read", "memory.write", "social.post"];

export function isSafeCapability(capability: Capability): boolean {
	return SAFE_CAPABILITIES.includes(capability);
}

export function isCapability(value: string): value is Capability {
	return Object.prototype.hasOwnProperty.call(CAPABILITIES, value);
}

/** How a grant may be narrowed; the services that act enforce the parts they know. */
export interface GrantConstraints {
	paths?: string[];
	domains?: string[];
	commands?: string[];
	models?: string[];
}

/**
 * What a token may do at the gateway. An action names the scope it needs (`scope:
 * "agents:read"`); an action that names none needs `admin` — default deny.
 */
export const SCOPES = {
	admin: "everything",
	"node:read": "read this node's facts",
	"agents:read": "list and read agents, their grants and transitions",
	"agents:write": "spawn, stop, start, restart and delete agents",
	tasks: "send tasks to agents, and read, cancel and resume the tasks it sent (an admin token: every task)",
	llm: "call models, read usage",
	"audit:read": "query, export and verify the audit log",
	approvals: "list, approve and deny pending approvals",
	"memory:read": "search, list, read and export agents' memories and chat sessions",
	"memory:write": "store, forget, restore and share agents' memories",
	"cluster:read": "read the cluster's nodes, their load and its leader",
	schedules: "create, list, pause, resume, trigger and delete scheduled jobs that send tasks to agents",
	"society:read": "read forums, jobs, reputation and the directory",
	"society:write": "post in forums, post and work on jobs, review, edit directory profiles",
	"governance:read": "read policies, moderation cases, sanctions and appeals",
	governance: "moderate: write policies, handle cases, apply and lift sanctions, decide appeals, adjust reputation",
	appeals: "appeal a sanction on one's own agent"
} as const;

export type Scope = keyof typeof SCOPES;

export function isScope(value: string): value is Scope {
	return Object.prototype.hasOwnProperty.call(SCOPES, value);
}
