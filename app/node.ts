import fs from "node:fs";
import path from "node:path";
import { ServiceBroker, type BrokerOptions } from "moleculer";
import { Gauge } from "prom-client";
import { createBrokerOptions } from "../moleculer.config";
import { ctxMethodsOf } from "../actors/ctx-registry";
import { EnvelopeSigner } from "../actors/envelope";
import createAgentsService from "../services/agents.service";
import createApiService from "../services/api.service";
import createApprovalsService from "../services/approvals.service";
import createAuditService from "../services/audit.service";
import createAuthService from "../services/auth.service";
import createChatService from "../services/chat.service";
import createClusterService from "../services/cluster.service";
import createHealthService from "../services/health.service";
import createProviderService from "../services/llm-provider.service";
import createSchedulerService from "../services/scheduler.service";
import createTasksService from "../services/tasks.service";
import createMalService from "../services/mal.service";
import createMemoryService from "../services/memory.service";
import createMonitoringService, { monitorUrls } from "../services/monitoring.service";
import createPermissionsService from "../services/permissions.service";
import { createSocietyServices } from "../services/society";
import createToolsService from "../services/tools.service";
import { bootstrapDefaultAgents, type BootstrapResult } from "../lib/bootstrap/default-agents";
import { createLeaderElection, schedulerElection } from "../lib/cluster/leader-election";
import { nodeCtxMethods } from "../lib/cluster/ctx-methods";
import { heartbeatOptions } from "../lib/cluster/nodes";
import { parseNodeTags } from "../lib/cluster/placement";
import { frameworkCtxMethods } from "../lib/framework/ctx-methods";
import { governanceCtxMethods } from "../lib/governance/ctx-methods";
import type { Config } from "../lib/kernel/config";
import { Kernel } from "../lib/kernel/kernel";
import { NodeMetrics } from "../lib/kernel/metrics";
import { deriveKey, loadAdminToken, loadSecret, type AdminToken } from "../lib/kernel/secrets";
import { loadMalConfig } from "../lib/mal/mal-config";
import { createProvider } from "../lib/mal/providers/registry";
import { memoryCtxMethods } from "../lib/memory/ctx-methods";
import { ApprovalGate } from "../lib/security/approval-gate";
import { ApprovalStore } from "../lib/security/approval-store";
import { CheckpointStore } from "../lib/security/audit-checkpoints";
import { AuditKey, AuditLog } from "../lib/security/audit-log";
import { GrantRequests } from "../lib/security/grant-requests";
import { GrantStore } from "../lib/security/grant-store";
import { securityCtxMethods } from "../lib/security/ctx-methods";
import { SecurityGuard } from "../lib/security/security-guard";
import { TokenStore } from "../lib/security/token-store";
import { societyCtxMethods } from "../lib/society/ctx-methods";
import { RemoteAgentStore } from "../lib/tools/a2a/remote-agent-store";
import { RemoteAgents } from "../lib/tools/a2a/remote-agents";
import { builtinTools } from "../lib/tools/builtins";
import { toolsCtxMethods } from "../lib/tools/ctx-methods";
import { parseMcpServers } from "../lib/tools/mcp/mcp-config";
import { McpManager } from "../lib/tools/mcp/mcp-manager";
import { toolPolicy } from "../lib/tools/tool-policy";

/** One running AgentOS node: its broker, its kernel and the services it hosts. */
export interface AgentOSNode {
	readonly broker: ServiceBroker;
	readonly kernel: Kernel;
	readonly adminToken: AdminToken;
	readonly audit: AuditLog;
	/** Resolves when the database is migrated and ready; rejects if it never can be. */
	readonly ready: Promise<void>;
	/** The default agents' deployment once ready (null with AGENTOS_BOOTSTRAP_AGENTS=false); never rejects. */
	readonly defaultAgents: Promise<BootstrapResult | null>;
	/** The gateway's base URL, once started. */
	url(): string | undefined;
	stop(): Promise<void>;
}

/**
 * Boots a node: the embedded database is opened (PGlite takes a second or more), then
 * the broker and its services start — so health answers even while a PostgreSQL server
 * is unreachable — and the kernel connects and migrates in the background.
 * `brokerOverrides` is for tests and embedding (e.g. another transporter).
 */
export async function startNode(config: Config, brokerOverrides: Partial<BrokerOptions> = {}): Promise<AgentOSNode> {
	// Every configuration problem is found before anything is opened.
	const mal = loadMalConfig(config);
	const mcpServers = parseMcpServers(config.MCP_SERVERS);
	const policy = toolPolicy(config);
	monitorUrls(config);
	const metrics = config.METRICS_ENABLED ? new NodeMetrics() : undefined;
	const security = new SecurityGuard();
	const tags = parseNodeTags(config.NODE_TAGS);
	// Heartbeats find a lost node within CLUSTER_NODE_TIMEOUT_MS; the tags travel with the node's info, for placement.
	const broker = new ServiceBroker({ ...createBrokerOptions(config, { metrics, security }), ...heartbeatOptions(config), metadata: { tags }, ...brokerOverrides });
	const dataDir = path.resolve(config.AGENTOS_DATA_DIR);
	const adminToken = loadAdminToken(config.GATEWAY_AUTH_TOKEN, dataDir);
	const clusterSecret = loadSecret(config.CLUSTER_SECRET, dataDir, "cluster-secret");
	const kernel = await Kernel.open(config, broker.getLogger("kernel"), broker.nodeID);

	const election = createLeaderElection(config, kernel.db, broker.nodeID, broker.getLogger("cluster"));
	const logger = broker.getLogger("security");
	const grants = new GrantStore(kernel.db);
	const tokens = new TokenStore(kernel.db);
	const approvals = new ApprovalStore(kernel.db);
	const gate = new ApprovalGate(approvals, {
		timeoutMs: config.APPROVAL_TIMEOUT_MS,
		onRequested: a => void broker.broadcast("approvals.requested", a).catch(() => undefined)
	});
	const audit: AuditLog = new AuditLog(kernel.db, {
		node: broker.nodeID,
		key: AuditKey.from(config.AUDIT_HMAC_KEY, clusterSecret.token),
		checkpoints: { store: new CheckpointStore(path.join(dataDir, "audit-checkpoints.json")), every: config.AUDIT_CHECKPOINT_EVERY, intervalMs: config.AUDIT_CHECKPOINT_INTERVAL_MS },
		aggregateWindowMs: config.AUDIT_ANONYMOUS_WINDOW_MS,
		maxBuffer: config.AUDIT_BUFFER_MAX,
		flushIntervalMs: 200,
		batchSize: 500,
		onError: (err: Error) => logger.warn(`Audit entries wait in memory (${audit.buffered} buffered): ${err.message}`)
	});
	if (metrics) {
		new Gauge({
			name: "agentos_audit_buffered",
			help: "Audit entries waiting in memory to be written (privileged actions are refused when AUDIT_BUFFER_MAX is reached)",
			registers: [metrics.registry],
			collect() {
				this.set(audit.buffered);
			}
		});
		const checkpointSeq = new Gauge({ name: "agentos_audit_checkpoint_seq", help: "The audit chain's seq at this node's latest signed checkpoint", registers: [metrics.registry] });
		audit.onCheckpoint(cp => checkpointSeq.set(cp.seq));
	}
	const requests = new GrantRequests(grants, approvals, audit, config.GRANT_REQUEST_TIMEOUT_DAYS * 86_400_000);
	const societyLogger = broker.getLogger("society");
	// Remote A2A agents' tokens are sealed under a key every node of the cluster derives alike.
	const remotes = new RemoteAgentStore(() => kernel.db, deriveKey(clusterSecret.token, "remote-agent-tokens"));
	const society = createSocietyServices(kernel, audit, err => societyLogger.warn(`Society counters: Redis failed, counting on this node meanwhile: ${err.message}`), {
		remotes: new RemoteAgents(remotes, policy)
	});
	security.attach({
		grants,
		audit,
		sanctions: society.sanctions,
		approvals: gate,
		requests
	});

	const mcpLogger = broker.getLogger("mcp");
	const mcp = new McpManager(mcpServers, { defaultTimeoutMs: config.TOOL_TIMEOUT_MS, logger: mcpLogger });
	ensureWorkspace(policy.allowedPaths, dataDir);

	// What agent code finds on its ctx beyond the runtime's own: each layer's methods, with the capability each needs.
	ctxMethodsOf(broker).register(...frameworkCtxMethods, ...memoryCtxMethods, ...toolsCtxMethods, ...nodeCtxMethods, ...societyCtxMethods, ...governanceCtxMethods, ...securityCtxMethods);
	for (const provider of mal.providers) broker.createService(createProviderService(provider, createProvider(provider), { halfOpenMs: mal.halfOpenMs }));
	const services = [
		createHealthService(kernel),
		createAgentsService(kernel, new EnvelopeSigner(clusterSecret.token), { grants, requests }, metrics),
		createTasksService(kernel, approvals),
		createClusterService(kernel, election, tags, metrics),
		createSchedulerService(kernel, schedulerElection(election, kernel.db, broker.getLogger("scheduler")), metrics),
		createMalService(kernel, mal, metrics, society.heldBudgets),
		createMemoryService(kernel),
		createChatService(),
		createMonitoringService(kernel, audit),
		createAuthService(kernel, tokens),
		createPermissionsService(kernel, grants, requests),
		createAuditService(kernel, audit),
		createApprovalsService(kernel, gate, requests),
		createToolsService(kernel, { builtins: builtinTools(policy, remotes), mcpTools: () => mcp.tools(), grants, requests, approvals: gate, policy })
	];
	services.push(...society.schemas);
	for (const schema of services) broker.createService(schema);
	const api = createApiService({ kernel, adminToken: adminToken.token, tokens, audit, schemas: services, metrics });
	broker.createService(api.schema);
	try {
		await broker.start();
	} catch (err) {
		await kernel.close();
		throw err;
	}
	// MCP servers connect in the background; their tools appear as each one is up.
	void mcp.start();
	const ready = kernel.start();
	// Entries recorded before the database is ready wait in the audit buffer.
	ready.then(() => audit.start(), () => undefined);
	const defaultAgents = config.AGENTOS_BOOTSTRAP_AGENTS
		? ready.then(
				() => bootstrapDefaultAgents(broker, config, broker.getLogger("bootstrap")),
				() => null
			)
		: Promise.resolve(null);

	let stopping: Promise<void> | undefined;
	return {
		broker,
		kernel,
		adminToken,
		audit,
		ready,
		defaultAgents,
		url: () => api.listeningUrl(),
		stop: () =>
			(stopping ??= (async () => {
				await broker.stop();
				await society.close();
				await mcp.stop();
				await audit.stop();
				await kernel.close();
			})())
	};
}

/** The default workspace lives in the data dir; create the allowed folders that do, so the file tools have somewhere to work. */
function ensureWorkspace(allowedPaths: string[], dataDir: string): void {
	for (const dir of allowedPaths) if (dir.startsWith(dataDir + path.sep)) fs.mkdirSync(dir, { recursive: true });
}
