/**
 * The agent manifest: everything the runtime needs to know to run an agent. A manifest
 * with an `entryPoint` is a *code* agent (its module runs in a sandboxed worker); one
 * with `instructions` and no entryPoint is a *declarative* agent, run by the framework's
 * tool-calling loop inside its actor (runtime "declarative").
 */

export const TRUST_LEVELS = ["supervised", "semi-autonomous", "autonomous"] as const;
export type TrustLevel = (typeof TRUST_LEVELS)[number];

export const WORKER_RUNTIMES = ["process", "docker", "inprocess", "declarative"] as const;
export type WorkerRuntime = (typeof WORKER_RUNTIMES)[number];

export const RESTART_POLICIES = ["always", "on-failure", "never"] as const;
export type RestartPolicyName = (typeof RESTART_POLICIES)[number];

export interface AgentLimits {
	/** Heap cap of a process worker (--max-old-space-size), and the memory limit of a container. */
	memoryMB: number;
	/** CPU share of a container (docker runtime). */
	cpuCores: number;
	/** Total CPU seconds a worker process may use before the kernel stops it (RLIMIT_CPU); 0 = no limit. */
	cpuTimeSeconds: number;
	/** Default time limit of one task, clamped by MAX_AGENT_TASK_TIMEOUT_MS. */
	timeoutMs: number;
	/** Tasks the agent works on at once. */
	maxConcurrency: number;
	/** Tasks that may wait in the mailbox; one more is refused with AGENT_BUSY. */
	maxQueue: number;
	/** Writable disk of a container (docker runtime). */
	diskQuotaMB: number;
	/** Processes/threads in a container (docker runtime). */
	pids: number;
	/** Model calls one chat task of a declarative agent may make. */
	maxSteps: number;
	/** Tokens one chat task may spend before the loop stops (0: no limit). */
	maxTokensPerTask: number;
	/** US dollars one chat task may spend before the loop stops (0: no limit). */
	maxUsdPerTask: number;
	/** How long a durable run may wait for a person (suspended) before the wait expires. */
	maxSuspendMs: number;
}

/** What a declarative agent remembers when it answers. */
export interface DeclarativeMemory {
	/** Messages of the session given to the model verbatim (0: no history; default MEMORY_HISTORY_WINDOW). */
	historyWindow?: number;
	/** Memories recalled by searching for each message and put into the instructions (0: none). */
	recall: number;
}

export interface RestartPolicy {
	policy: RestartPolicyName;
	/** First restart delay; each further restart in the window multiplies it by `factor`. */
	baseDelayMs: number;
	factor: number;
	maxDelayMs: number;
	/** More restarts than this within `windowMs` moves the agent to `crashed`. */
	maxRestarts: number;
	windowMs: number;
}

export interface TaskTypeSpec {
	description?: string;
	/** JSON Schema the task object must satisfy. */
	schema?: Record<string, unknown>;
}

export interface PlacementConstraints {
	/** Only nodes carrying every one of these tags (NODE_TAGS) may host the agent. */
	nodeTags?: string[];
}

export interface AgentManifest {
	/** Lower-case letters, digits and dashes; the agent's service is `agent.<id>`. */
	id: string;
	name: string;
	version: string;
	description?: string;
	/** The agent's module, inside one of AGENT_CODE_PATHS; absent for a declarative agent. */
	entryPoint?: string;
	/** A declarative agent's system instructions. */
	instructions?: string;
	/** The model (or alias) a declarative agent's loop uses; for code agents, the same as preferredModel. */
	model?: string;
	/**
	 * Tool ids (GET /api/v1/tools) a declarative agent may call. In a manifest as written an
	 * entry may be `{ id, requiresConfirmation: true }`; read, it is the id, listed in `confirmTools` too.
	 */
	tools?: string[];
	/** The tools a person confirms before each call the agent's loop makes (set from `tools`, not written). */
	confirmTools?: string[];
	memory?: DeclarativeMemory;
	runtime: WorkerRuntime;
	/** Capabilities the agent asks for (`memory.read`, `a2a.send`, …). */
	permissions: string[];
	trustLevel: TrustLevel;
	preferredModel?: string;
	limits: AgentLimits;
	restart: RestartPolicy;
	/** Task types the agent accepts; when absent, any task type is delivered. */
	taskTypes?: Record<string, TaskTypeSpec>;
	/** Where in a cluster the agent may run (see lib/cluster/placement.ts). */
	placement?: PlacementConstraints;
	/** Who owns the agent (set by the gateway from the caller when absent). */
	owner?: string;
	/** HMAC-SHA256 (hex) over the canonical JSON of the manifest without this field. */
	signature?: string;
	/**
	 * Whether each task's run is journaled and resumed after a crash (default true). Off, a
	 * task whose worker or node dies fails, and nothing is written while it runs.
	 */
	durable?: boolean;
}

/** A `tools` entry as a manifest's author writes it. */
export type ManifestTool = string | { id: string; requiresConfirmation?: boolean };

export const DEFAULT_LIMITS: AgentLimits = {
	memoryMB: 256,
	cpuCores: 1,
	cpuTimeSeconds: 0,
	timeoutMs: 30_000,
	maxConcurrency: 1,
	maxQueue: 100,
	diskQuotaMB: 512,
	pids: 64,
	maxSteps: 8,
	maxTokensPerTask: 0,
	maxUsdPerTask: 0,
	maxSuspendMs: 7 * 86_400_000
};

export const DEFAULT_RECALL = 3;

export const DEFAULT_RESTART: RestartPolicy = {
	policy: "on-failure",
	baseDelayMs: 100,
	factor: 2,
	maxDelayMs: 30_000,
	maxRestarts: 5,
	windowMs: 60_000
};
