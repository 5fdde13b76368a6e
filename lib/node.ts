import path from "node:path";
import { ServiceBroker, type BrokerOptions } from "moleculer";
import { createBrokerOptions } from "../moleculer.config";
import { EnvelopeSigner } from "../actors/envelope";
import createAgentsService from "../services/agents.service";
import createApiService from "../services/api.service";
import createHealthService from "../services/health.service";
import createProviderService from "../services/llm-provider.service";
import createMalService from "../services/mal.service";
import { loadMalConfig } from "./mal/mal-config";
import { createProvider } from "./mal/providers/registry";
import type { Config } from "./kernel/config";
import { Kernel } from "./kernel/kernel";
import { NodeMetrics } from "./kernel/metrics";
import { loadAdminToken, loadSecret, type AdminToken } from "./kernel/secrets";

/** One running AgentOS node: its broker, its kernel and the services it hosts. */
export interface AgentOSNode {
	readonly broker: ServiceBroker;
	readonly kernel: Kernel;
	readonly adminToken: AdminToken;
	/** Resolves when the database is migrated and ready; rejects if it never can be. */
	readonly ready: Promise<void>;
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
	const metrics = config.METRICS_ENABLED ? new NodeMetrics() : undefined;
	const broker = new ServiceBroker({ ...createBrokerOptions(config, metrics), ...brokerOverrides });
	const dataDir = path.resolve(config.AGENTOS_DATA_DIR);
	const adminToken = loadAdminToken(config.GATEWAY_AUTH_TOKEN, dataDir);
	const clusterSecret = loadSecret(config.CLUSTER_SECRET, dataDir, "cluster-secret");
	const kernel = await Kernel.open(config, broker.getLogger("kernel"), broker.nodeID);

	for (const provider of mal.providers) broker.createService(createProviderService(provider, createProvider(provider), { halfOpenMs: mal.halfOpenMs }));
	const services = [
		createHealthService(kernel),
		createAgentsService(kernel, new EnvelopeSigner(clusterSecret.token), metrics),
		createMalService(kernel, mal, metrics)
	];
	for (const schema of services) broker.createService(schema);
	const api = broker.createService(createApiService(kernel, adminToken.token, services, metrics));
	try {
		await broker.start();
	} catch (err) {
		await kernel.close();
		throw err;
	}
	const ready = kernel.start();
	// A rejection is reported through `ready`; this keeps it from being "unhandled" meanwhile.
	ready.catch(() => undefined);

	let stopping: Promise<void> | undefined;
	return {
		broker,
		kernel,
		adminToken,
		ready,
		url: () => (api as unknown as { listeningUrl(): string | undefined }).listeningUrl(),
		stop: () =>
			(stopping ??= (async () => {
				await broker.stop();
				await kernel.close();
			})())
	};
}
