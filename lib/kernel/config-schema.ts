/**
 * Every environment variable AgentOS reads, in one place: its type, default, allowed
 * values and a one-line description. `.env.example` and the README's configuration
 * table are generated from this list, and a unit test keeps them in step.
 */

export type SettingType = "string" | "number" | "boolean" | "enum" | "url";

export interface SettingSpec {
	type: SettingType;
	description: string;
	/** Used when the variable is unset or empty. Absent means "no value". */
	default?: string | number | boolean;
	/** Allowed values, for `enum`. */
	values?: readonly string[];
	/** Allowed URL schemes, for `url`. */
	schemes?: readonly string[];
	min?: number;
	max?: number;
	/** Never printed, logged or echoed back in an error. */
	secret?: boolean;
	/** Grouping for .env.example and the README table. */
	group: string;
}

function setting<const S extends SettingSpec>(spec: S): S {
	return spec;
}

export const CONFIG_SCHEMA = {
	NODE_ENV: setting({
		group: "Node",
		type: "enum",
		values: ["development", "production", "test"],
		default: "development",
		description: "Run mode; production refuses insecure defaults"
	}),
	NODE_ID: setting({
		group: "Node",
		type: "string",
		description: "Unique node name in the cluster (default: hostname and process id)"
	}),
	HOST: setting({
		group: "Node",
		type: "string",
		default: "127.0.0.1",
		description: "Interface the gateway listens on (0.0.0.0 for all)"
	}),
	PORT: setting({
		group: "Node",
		type: "number",
		default: 3000,
		min: 0,
		max: 65535,
		description: "Gateway port for REST, WebSocket, health and metrics (0 picks a free port)"
	}),
	AGENTOS_DATA_DIR: setting({
		group: "Node",
		type: "string",
		default: "./data",
		description: "Where the embedded database, generated secrets and local state live"
	}),
	SHUTDOWN_TIMEOUT_MS: setting({
		group: "Node",
		type: "number",
		default: 10000,
		min: 100,
		max: 600000,
		description: "How long a stopping node waits for in-flight requests to finish"
	}),

	DATABASE_URL: setting({
		group: "Storage",
		type: "url",
		schemes: ["postgres", "postgresql"],
		secret: true,
		description: "PostgreSQL server; empty uses the embedded PGlite database in the data dir"
	}),
	DATABASE_POOL_MAX: setting({
		group: "Storage",
		type: "number",
		default: 10,
		min: 1,
		max: 1000,
		description: "Connections in the PostgreSQL pool"
	}),
	DATABASE_RETRY_MAX_MS: setting({
		group: "Storage",
		type: "number",
		default: 30000,
		min: 100,
		max: 600000,
		description: "Longest wait between attempts to reach an unreachable database"
	}),
	QDRANT_URL: setting({
		group: "Storage",
		type: "url",
		schemes: ["http", "https"],
		description: "Qdrant server for vectors; empty uses pgvector in the database"
	}),
	QDRANT_API_KEY: setting({
		group: "Storage",
		type: "string",
		secret: true,
		description: "API key for QDRANT_URL, if the server wants one"
	}),

	MEMORY_INDEX: setting({
		group: "Memory",
		type: "enum",
		values: ["local", "vector-store"],
		default: "local",
		description: "Where memory vectors are searched: local (exact, in this process, built from the database) or vector-store (pgvector, or Qdrant with QDRANT_URL)"
	}),
	MEMORY_INDEX_CACHE_MB: setting({
		group: "Memory",
		type: "number",
		default: 256,
		min: 1,
		max: 1048576,
		description: "Most memory the local index holds, in MB; past it the least recently searched agents' vectors are dropped and read again from the database when next searched"
	}),
	MEMORY_MAX_CONTENT_BYTES: setting({
		group: "Memory",
		type: "number",
		default: 32768,
		min: 256,
		max: 1048576,
		description: "Largest memory content, in UTF-8 bytes"
	}),
	MEMORY_MIN_SIMILARITY: setting({
		group: "Memory",
		type: "number",
		default: 20,
		min: 0,
		max: 100,
		description: "Percent cosine similarity a memory needs to be a search hit by meaning alone (one matching word also makes it a hit)"
	}),
	MEMORY_RECENCY_HALF_LIFE_DAYS: setting({
		group: "Memory",
		type: "number",
		default: 30,
		min: 0,
		max: 36500,
		description: "Age at which a memory's recency weight in search halves (0: recency does not count)"
	}),
	EPISODIC_RETENTION_DAYS: setting({
		group: "Memory",
		type: "number",
		default: 90,
		min: 0,
		max: 36500,
		description: "Episodic memories older than this are archived by the daily job (0: never)"
	}),
	SEMANTIC_RETENTION_DAYS: setting({
		group: "Memory",
		type: "number",
		default: 0,
		min: 0,
		max: 36500,
		description: "Semantic memories older than this are archived by the daily job (0: never)"
	}),
	PROCEDURAL_RETENTION_DAYS: setting({
		group: "Memory",
		type: "number",
		default: 0,
		min: 0,
		max: 36500,
		description: "Procedural memories older than this are archived by the daily job (0: never)"
	}),
	MEMORY_ARCHIVE_RETENTION_DAYS: setting({
		group: "Memory",
		type: "number",
		default: 365,
		min: 0,
		max: 36500,
		description: "Archived memories are deleted this many days after archival (0: kept forever)"
	}),
	MEMORY_RETENTION_INTERVAL_MS: setting({
		group: "Memory",
		type: "number",
		default: 86400000,
		min: 1000,
		max: 604800000,
		description: "How often the retention job archives and deletes memories"
	}),
	MEMORY_HISTORY_WINDOW: setting({
		group: "Memory",
		type: "number",
		default: 20,
		min: 2,
		max: 1000,
		description: "Chat messages a session keeps verbatim in context; older ones are folded into a running summary"
	}),
	MEMORY_ENCRYPTION_ENABLED: setting({
		group: "Memory",
		type: "boolean",
		default: false,
		description: "Encrypt memories and chat history at rest (AES-256-GCM, a key per agent); encrypted memories are found by meaning only, not by full-text"
	}),
	MEMORY_ENCRYPTION_KEY: setting({
		group: "Memory",
		type: "string",
		secret: true,
		min: 32,
		description: "Master key for memory encryption: 64 hex digits or base64 of 32 random bytes, or a passphrase of 32+ characters"
	}),

	TRANSPORTER: setting({
		group: "Cluster",
		type: "url",
		schemes: ["nats", "redis", "rediss"],
		secret: true,
		description: "Cluster transporter (nats://host:4222 or redis://…); empty runs a single node"
	}),
	REDIS_URL: setting({
		group: "Cluster",
		type: "url",
		schemes: ["redis", "rediss"],
		secret: true,
		description: "Redis for the shared cache, locks and rate limits; empty uses memory"
	}),
	NAMESPACE: setting({
		group: "Cluster",
		type: "string",
		default: "agentos",
		description: "Moleculer namespace; only nodes with the same namespace form a cluster"
	}),
	NODE_TAGS: setting({
		group: "Cluster",
		type: "string",
		description: "Comma-separated tags of this node (e.g. gpu,eu); agents whose manifest asks for placement.nodeTags go only to nodes with all of them"
	}),
	CLUSTER_PLACEMENT: setting({
		group: "Cluster",
		type: "enum",
		values: ["least-agents", "least-cpu"],
		default: "least-agents",
		description: "How the leader picks a node for an agent among those its constraints allow"
	}),
	CLUSTER_NODE_TIMEOUT_MS: setting({
		group: "Cluster",
		type: "number",
		default: 3000,
		min: 2000,
		max: 60000,
		description: "A node silent this long (no heartbeat) is taken for dead and its agents are re-placed on the others (rounded to whole seconds)"
	}),
	CLUSTER_LEADER_LEASE_MS: setting({
		group: "Cluster",
		type: "number",
		default: 6000,
		min: 1000,
		max: 600000,
		description: "Leader lease: renewed every third of it; a leader that cannot renew steps down, and the others try to take over as often"
	}),
	CLUSTER_REBALANCE_ON_JOIN: setting({
		group: "Cluster",
		type: "boolean",
		default: false,
		description: "Move agents onto a node that joins until the agent counts differ by at most one"
	}),
	CLUSTER_TASK_WAIT_MS: setting({
		group: "Cluster",
		type: "number",
		default: 10000,
		min: 0,
		max: 600000,
		description: "How long a task for an agent that is being moved waits for it before a retryable 503 AGENT_UNAVAILABLE"
	}),
	SCHEDULER_POLL_MS: setting({
		group: "Cluster",
		type: "number",
		default: 500,
		min: 20,
		max: 60000,
		description: "How often the leader looks for scheduled jobs that are due"
	}),
	SCHEDULER_MAX_FAILURES: setting({
		group: "Cluster",
		type: "number",
		default: 5,
		min: 0,
		max: 1000,
		description: "Consecutive failed runs after which a scheduled job pauses itself (0: never; a job may set its own)"
	}),

	GATEWAY_AUTH_TOKEN: setting({
		group: "Security",
		type: "string",
		secret: true,
		description: "Admin bearer token; empty generates one on first boot and keeps it in the data dir"
	}),
	MANIFEST_SIGNING_SECRET: setting({
		group: "Security",
		type: "string",
		secret: true,
		description: "HMAC secret manifests must be signed with (agent-os sign); when set, unsigned or tampered manifests are refused"
	}),
	CLUSTER_SECRET: setting({
		group: "Security",
		type: "string",
		secret: true,
		description: "Signs agent-to-agent envelopes between nodes; all nodes of a cluster need the same (empty: generated in the data dir)"
	}),

	MAX_AGENT_TASK_TIMEOUT_MS: setting({
		group: "Agents",
		type: "number",
		default: 600000,
		min: 100,
		max: 86400000,
		description: "Upper bound of any task's timeout, whatever the manifest or caller asks"
	}),
	AGENT_CODE_PATHS: setting({
		group: "Agents",
		type: "string",
		default: "./agents",
		description: "Comma-separated folders an agent's entryPoint must be inside"
	}),
	AGENT_INPROCESS_PATHS: setting({
		group: "Agents",
		type: "string",
		description: "Comma-separated folders of trusted code allowed to run inside the node (runtime: inprocess); empty allows none"
	}),
	AGENT_HEARTBEAT_INTERVAL_MS: setting({
		group: "Agents",
		type: "number",
		default: 1000,
		min: 50,
		max: 600000,
		description: "How often an actor pings its worker"
	}),
	AGENT_HEARTBEAT_TIMEOUT_MS: setting({
		group: "Agents",
		type: "number",
		default: 5000,
		min: 50,
		max: 600000,
		description: "A worker that does not answer a ping within this is killed and restarted"
	}),
	AGENT_START_TIMEOUT_MS: setting({
		group: "Agents",
		type: "number",
		default: 30000,
		min: 100,
		max: 600000,
		description: "How long an agent's onStart may take"
	}),
	AGENT_STOP_GRACE_MS: setting({
		group: "Agents",
		type: "number",
		default: 5000,
		min: 0,
		max: 600000,
		description: "How long a stopping agent may finish its mailbox and onStop before it is killed"
	}),
	AGENT_RECONCILE_INTERVAL_MS: setting({
		group: "Agents",
		type: "number",
		default: 30000,
		min: 0,
		max: 3600000,
		description: "How often the supervisor starts agents that should run here but do not (0: only at boot)"
	}),
	TASK_STEP_ATTEMPTS: setting({
		group: "Agents",
		type: "number",
		default: 3,
		min: 1,
		max: 100,
		description: "Attempts at one step of a durable run (its worker or node died, a service was away) before the run is parked as failed"
	}),
	TASK_RETRY_DELAY_MS: setting({
		group: "Agents",
		type: "number",
		default: 200,
		min: 0,
		max: 600000,
		description: "Wait before a durable run tries again a step its worker died in; doubled at each further failure of the same step (at most 60 s)"
	}),
	TASK_OUTAGE_RETRY_MS: setting({
		group: "Agents",
		type: "number",
		default: 10000,
		min: 0,
		max: 600000,
		description: "Wait before a durable run tries again a step that failed because a service it called was away (a model provider down, a circuit open); doubled at each further failure (at most 60 s), or the service's retry-after when longer"
	}),
	TASK_RECOVERY_INTERVAL_MS: setting({
		group: "Agents",
		type: "number",
		default: 5000,
		min: 100,
		max: 3600000,
		description: "How often a node looks for durable runs of its agents that need resuming (their node died, their wait ended), and closes as expired the approvals suspended runs wait for that nobody decided in time"
	}),
	TASK_RETENTION_DAYS: setting({
		group: "Agents",
		type: "number",
		default: 30,
		min: 0,
		max: 36500,
		description: "Tasks that ended longer ago than this are removed daily with their run journals (0 keeps them forever)"
	}),
	AGENT_WORKER_IMAGE: setting({
		group: "Agents",
		type: "string",
		default: "agent-os:latest",
		description: "Container image of docker-runtime workers (built from the Dockerfile)"
	}),
	AGENT_WORKER_APPARMOR_PROFILE: setting({
		group: "Agents",
		type: "string",
		description: "AppArmor profile applied to docker-runtime workers"
	}),
	AGENT_WORKER_REQUIRE_APPARMOR: setting({
		group: "Agents",
		type: "boolean",
		default: false,
		description: "Refuse to start docker-runtime workers without AGENT_WORKER_APPARMOR_PROFILE"
	}),
	AGENT_NETWORK_ISOLATION: setting({
		group: "Agents",
		type: "enum",
		values: ["auto", "namespace", "off"],
		default: "auto",
		description:
			"Process workers in an empty network namespace (Linux; unprivileged user namespaces or root): auto uses one when the node can make it and warns once when not, namespace refuses to start process workers without one, off never does"
	}),

	AGENTOS_BOOTSTRAP_AGENTS: setting({
		group: "Default agents",
		type: "boolean",
		default: true,
		description: "Deploy the default agents (researcher, monitor, coder) when the node starts; ones already there are kept"
	}),
	MONITOR_AGENT_INTERVAL_MS: setting({
		group: "Default agents",
		type: "number",
		default: 60000,
		min: 100,
		max: 86400000,
		description: "How often the monitor agent checks the node, the cluster, the model providers and MONITOR_AGENT_URLS"
	}),
	MONITOR_AGENT_CRON: setting({
		group: "Default agents",
		type: "string",
		description: "A cron expression (UTC) for the monitor agent's checks, instead of MONITOR_AGENT_INTERVAL_MS"
	}),
	MONITOR_AGENT_URLS: setting({
		group: "Default agents",
		type: "string",
		description: "Comma-separated http(s) URLs the monitor agent probes (an answer below 400 is healthy)"
	}),
	MONITOR_PROBE_TIMEOUT_MS: setting({
		group: "Default agents",
		type: "number",
		default: 5000,
		min: 100,
		max: 600000,
		description: "How long one probe of a monitored URL may take before it counts as down"
	}),
	ALERT_WEBHOOK_URL: setting({
		group: "Default agents",
		type: "url",
		schemes: ["http", "https"],
		secret: true,
		description: "Where alerts are POSTed as JSON (besides the monitor.alert event and the audit log)"
	}),

	AUDIT_LOG_RETENTION_DAYS: setting({
		group: "Security",
		type: "number",
		default: 365,
		min: 0,
		max: 36500,
		description: "Audit entries older than this are removed daily (0 keeps them forever)"
	}),
	AUDIT_BUFFER_MAX: setting({
		group: "Security",
		type: "number",
		default: 10000,
		min: 10,
		max: 10000000,
		description: "Audit entries held while the database is away; when full, privileged actions are refused"
	}),
	AUDIT_HMAC_KEY: setting({
		group: "Security",
		type: "string",
		secret: true,
		min: 16,
		description: "Keys the audit hash chain and signs its checkpoints; the same on every node (empty: derived from CLUSTER_SECRET)"
	}),
	AUDIT_CHECKPOINT_EVERY: setting({
		group: "Security",
		type: "number",
		default: 1000,
		min: 1,
		max: 10000000,
		description: "A signed checkpoint of the audit chain's head every this many entries a node writes (kept in the data dir, logged, sent to the other nodes)"
	}),
	AUDIT_CHECKPOINT_INTERVAL_MS: setting({
		group: "Security",
		type: "number",
		default: 60000,
		min: 100,
		max: 86400000,
		description: "…and at the latest this long after a node's last audit write"
	}),
	AUDIT_ANONYMOUS_WINDOW_MS: setting({
		group: "Security",
		type: "number",
		default: 60000,
		min: 100,
		max: 86400000,
		description: "Requests refused for want of a valid token are audited as one entry per address per window, with the count"
	}),
	APPROVAL_TIMEOUT_MS: setting({
		group: "Security",
		type: "number",
		default: 300000,
		min: 100,
		max: 86400000,
		description: "How long an action waits for a person's approval before it is refused"
	}),
	GRANT_REQUEST_TIMEOUT_DAYS: setting({
		group: "Security",
		type: "number",
		default: 30,
		min: 1,
		max: 3650,
		description: "How long a capability a manifest asks for, spawned without admin rights, waits for an admin's approval before the request expires"
	}),
	GATEWAY_MESSAGE_RATE_LIMIT: setting({
		group: "Security",
		type: "number",
		default: 600,
		min: 0,
		max: 10000000,
		description: "Requests per minute allowed per token and per client address (0: no limit)"
	}),
	GATEWAY_MAX_PAYLOAD_BYTES: setting({
		group: "Security",
		type: "number",
		default: 1048576,
		min: 1024,
		max: 1073741824,
		description: "Largest request body (413 above it) or WebSocket message (above it the socket is closed with code 1009) accepted"
	}),
	GATEWAY_REQUEST_TIMEOUT_MS: setting({
		group: "Security",
		type: "number",
		default: 30000,
		min: 1000,
		max: 3600000,
		description: "Longest time a client may take to send a whole request, headers and body (408 after it; answers may take longer)"
	}),
	GATEWAY_MAX_CONNECTIONS: setting({
		group: "Security",
		type: "number",
		default: 1000,
		min: 1,
		max: 1000000,
		description: "WebSocket connections a node accepts at once"
	}),
	METRICS_REQUIRE_AUTH: setting({
		group: "Security",
		type: "boolean",
		default: false,
		description: "Require a token for GET /metrics"
	}),
	REQUEST_TIMEOUT_MS: setting({
		group: "Resilience",
		type: "number",
		default: 30000,
		min: 0,
		max: 3600000,
		description: "Default timeout of an action call (0 disables)"
	}),
	RETRY_MAX_ATTEMPTS: setting({
		group: "Resilience",
		type: "number",
		default: 3,
		min: 0,
		max: 20,
		description: "Retries of a call that failed with a retryable error (0 disables)"
	}),
	CIRCUIT_BREAKER_ENABLED: setting({
		group: "Resilience",
		type: "boolean",
		default: true,
		description: "Open a circuit to an endpoint that keeps failing"
	}),
	BULKHEAD_CONCURRENCY: setting({
		group: "Resilience",
		type: "number",
		default: 100,
		min: 1,
		max: 100000,
		description: "Concurrent executions of one action on a node before calls queue"
	}),
	BULKHEAD_MAX_QUEUE: setting({
		group: "Resilience",
		type: "number",
		default: 1000,
		min: 0,
		max: 1000000,
		description: "Queued calls per action before new ones are refused"
	}),

	OPENAI_API_KEY: setting({
		group: "Models",
		type: "string",
		secret: true,
		description: "Enables the provider `openai` (OpenAI's API, or OPENAI_BASE_URL)"
	}),
	OPENAI_BASE_URL: setting({
		group: "Models",
		type: "url",
		schemes: ["http", "https"],
		description: "An OpenAI-compatible server for the provider `openai` (Ollama: http://localhost:11434/v1)"
	}),
	OPENAI_MODELS: setting({
		group: "Models",
		type: "string",
		default: "gpt-4o-mini,gpt-4o",
		description: "Comma-separated models the provider `openai` serves; the first is its default"
	}),
	ANTHROPIC_API_KEY: setting({
		group: "Models",
		type: "string",
		secret: true,
		description: "Enables the provider `anthropic`"
	}),
	ANTHROPIC_BASE_URL: setting({
		group: "Models",
		type: "url",
		schemes: ["http", "https"],
		description: "Another endpoint for the provider `anthropic`"
	}),
	ANTHROPIC_MODELS: setting({
		group: "Models",
		type: "string",
		default: "claude-haiku-4-5,claude-sonnet-4-6",
		description: "Comma-separated models the provider `anthropic` serves; the first is its default"
	}),
	LLM_PROVIDERS: setting({
		group: "Models",
		type: "string",
		secret: true,
		description: 'More providers, as JSON: [{"name","type":"openai|anthropic|offline","baseUrl","apiKey","models":[…],"embeddingModel","concurrency","timeoutMs"}]'
	}),
	LLM_DEFAULT_MODEL: setting({
		group: "Models",
		type: "string",
		description: "Model of a request that names none (default: the first configured provider's first model, else the offline model)"
	}),
	LLM_EMBEDDING_MODEL: setting({
		group: "Models",
		type: "string",
		description: "Model for embeddings, as `model` or `provider/model` (default: text-embedding-3-small with OPENAI_API_KEY and no OPENAI_BASE_URL, else offline-hash-384; with OPENAI_BASE_URL it names a model that server has)"
	}),
	LLM_MODEL_ALIASES: setting({
		group: "Models",
		type: "string",
		description: 'Names for models, as JSON: {"fast":"gpt-4o-mini","smart":"claude-sonnet-4-6"} (fast and smart default to the default model)'
	}),
	LLM_FAILOVER: setting({
		group: "Models",
		type: "string",
		description: "Comma-separated providers to fail over to, in order (default: every other configured provider but offline)"
	}),
	LLM_PRICING: setting({
		group: "Models",
		type: "string",
		description: 'Prices in USD per million tokens, as JSON, over the built-in table: {"my-model":{"input":0.5,"output":1.5}}'
	}),
	LLM_MAX_RETRIES: setting({
		group: "Models",
		type: "number",
		default: 2,
		min: 0,
		max: 10,
		description: "Retries of a failed call on one provider before failing over"
	}),
	LLM_RETRY_BASE_MS: setting({
		group: "Models",
		type: "number",
		default: 250,
		min: 0,
		max: 60000,
		description: "First retry delay (doubling, with jitter); a provider's retry-after wins when it is longer"
	}),
	LLM_RETRY_MAX_MS: setting({
		group: "Models",
		type: "number",
		default: 10000,
		min: 0,
		max: 600000,
		description: "Longest wait before a retry; a longer retry-after fails over instead"
	}),
	LLM_TIMEOUT_MS: setting({
		group: "Models",
		type: "number",
		default: 120000,
		min: 100,
		max: 3600000,
		description: "Time limit of one provider call"
	}),
	LLM_CONCURRENCY: setting({
		group: "Models",
		type: "number",
		default: 16,
		min: 1,
		max: 10000,
		description: "Calls in flight at once to each provider (more wait in its queue)"
	}),
	LLM_BREAKER_HALF_OPEN_MS: setting({
		group: "Models",
		type: "number",
		default: 30000,
		min: 100,
		max: 3600000,
		description: "How long a provider whose circuit opened is left alone before it is probed again"
	}),
	LLM_MAX_PROMPT_CHARS: setting({
		group: "Models",
		type: "number",
		default: 1000000,
		min: 1,
		max: 100000000,
		description: "Largest prompt (all message text) accepted"
	}),
	CHAT_STREAM_CHUNK_SIZE: setting({
		group: "Models",
		type: "number",
		default: 0,
		min: 0,
		max: 1000000,
		description: "WebSocket chat_stream re-cuts text into pieces of at most this many characters (0: as the provider sends them)"
	}),

	ALLOWED_DOMAINS: setting({
		group: "Tools",
		type: "string",
		description: "Comma-separated hosts (host or host:port; *.example.com) http_fetch, browser_snapshot and a2a_send may reach; private addresses only when named exactly"
	}),
	ALLOW_ALL_DOMAINS: setting({
		group: "Tools",
		type: "boolean",
		default: false,
		description: "Let the web tools reach any public host (never private ones; refused in production)"
	}),
	ALLOWED_PATHS: setting({
		group: "Tools",
		type: "string",
		default: "./data/workspace",
		description: "Comma-separated folders the file tools and shell_exec may work in"
	}),
	ALLOW_ALL_PATHS: setting({
		group: "Tools",
		type: "boolean",
		default: false,
		description: "Let the file tools touch any path (refused in production)"
	}),
	ALLOWED_COMMANDS: setting({
		group: "Tools",
		type: "string",
		description:
			'Comma-separated commands shell_exec may run, each with its arguments checked by its own rules (e.g. git,ls,find). "npm test" also allows that subcommand, which runs the project\'s own code; "make *" allows a command with ANY arguments, unchecked (dangerous: code execution for whoever may call the tool)'
	}),
	ALLOW_ALL_COMMANDS: setting({
		group: "Tools",
		type: "boolean",
		default: false,
		description: "Let shell_exec run any command on the PATH: the known ones still with their argument rules, others with any arguments (refused in production)"
	}),
	AGENT_EGRESS_PROXY_URL: setting({
		group: "Tools",
		type: "url",
		schemes: ["http", "https"],
		description: "HTTP proxy the web tools send their traffic through"
	}),
	TOOL_TIMEOUT_MS: setting({
		group: "Tools",
		type: "number",
		default: 30000,
		min: 100,
		max: 3600000,
		description: "Time limit of one tool call"
	}),
	TOOL_MAX_OUTPUT_BYTES: setting({
		group: "Tools",
		type: "number",
		default: 1048576,
		min: 1024,
		max: 104857600,
		description: "Largest output a tool returns (more is cut, and says so)"
	}),
	MCP_SERVERS: setting({
		group: "Tools",
		type: "string",
		secret: true,
		description: 'MCP servers whose tools agents may use, as JSON: [{"name","transport":"stdio|http","command","args","url","tools":["*"]}]'
	}),

	SOCIAL_POST_RATE_PER_MINUTE: setting({
		group: "Society",
		type: "number",
		default: 30,
		min: 0,
		max: 100000,
		description: "Forum posts and replies an agent may make a minute, on all nodes together when REDIS_URL is set (0: no limit)"
	}),
	SANCTION_THROTTLE_PER_MINUTE: setting({
		group: "Society",
		type: "number",
		default: 10,
		min: 1,
		max: 100000,
		description: "Calls a minute a throttled agent may make (on all nodes together when REDIS_URL is set), unless its sanction names a rate"
	}),
	POLICY_EVALUATION: setting({
		group: "Society",
		type: "boolean",
		default: true,
		description: "Evaluate governance policies on this node's audit stream as it is recorded"
	}),

	LOG_LEVEL: setting({
		group: "Observability",
		type: "enum",
		values: ["fatal", "error", "warn", "info", "debug", "trace"],
		default: "info",
		description: "Least severe log level printed"
	}),
	LOG_FORMAT: setting({
		group: "Observability",
		type: "enum",
		values: ["auto", "pretty", "json"],
		default: "auto",
		description: "auto prints readable lines in a terminal and JSON otherwise"
	}),
	METRICS_ENABLED: setting({
		group: "Observability",
		type: "boolean",
		default: true,
		description: "Collect metrics and serve them at GET /metrics (Prometheus text)"
	}),
	TRACING_ENABLED: setting({
		group: "Observability",
		type: "boolean",
		default: false,
		description: "Trace action calls"
	}),
	TRACING_EXPORTER: setting({
		group: "Observability",
		type: "enum",
		values: ["console", "event"],
		default: "console",
		description: "Where traces go when tracing is on"
	})
} as const satisfies Record<string, SettingSpec>;

export type ConfigKey = keyof typeof CONFIG_SCHEMA;

type ValueOf<S extends SettingSpec> = S["type"] extends "number"
	? number
	: S["type"] extends "boolean"
		? boolean
		: S extends { values: readonly (infer V)[] }
			? V
			: string;

/** The validated configuration: a setting with a default is always present. */
type ValueOrUndefined<S extends SettingSpec> = S extends { default: string | number | boolean } ? ValueOf<S> : ValueOf<S> | undefined;

export type Config = {
	readonly [K in ConfigKey]: ValueOrUndefined<(typeof CONFIG_SCHEMA)[K]>;
};
