import os from "node:os";
import type { Context, ServiceSchema } from "moleculer";
import { Gauge } from "prom-client";
import { NoLeaderError } from "../lib/cluster/errors";
import type { LeaderElection, Leadership } from "../lib/cluster/leader-election";
import { hostingNodes, placesAcrossNodes, registryNode } from "../lib/cluster/nodes";
import { Placer } from "../lib/cluster/placer";
import type { ClusterNodeView, ClusterStatus, NodeSelf } from "../lib/cluster/cluster-view";
import type { Kernel } from "../lib/kernel/kernel";
import type { NodeMetrics } from "../lib/kernel/metrics";
import { requiresDatabase } from "../mixins/requires-database.mixin";
import { defineService } from "../lib/kernel/define-service";

/** Runs once: the broker must not repeat a placement on a retryable error. */
const ONCE = { retryPolicy: { enabled: false } };
/** How long a placement request waits for a leader during an election. */
const LEADER_WAIT_MS = 5000;
const SELF_TIMEOUT_MS = 2000;

export interface PlaceParams {
	ids: string[];
	reason?: string;
}

/** What the cluster service's own `methods` put on `this`. */
interface ClusterMethods {
	awaitLeader(): Promise<Leadership>;
}

/**
 * The cluster: its nodes and leader (GET /api/v1/cluster), and — on the leader — the
 * placement of agents onto nodes and their re-placement when a node is lost.
 */
export default function createClusterService(kernel: Kernel, election: LeaderElection, tags: string[], metrics?: NodeMetrics): ServiceSchema {
	const { config, db } = kernel;
	const across = placesAcrossNodes(config);
	let placer: Placer | undefined;
	let sweeper: NodeJS.Timeout | undefined;

	return defineService<ClusterMethods>({
		name: "cluster",
		mixins: [requiresDatabase(kernel)],
		settings: { rest: "/" },

		actions: {
			status: {
				rest: "GET /cluster",
				description: "The nodes of the cluster, each with how many agents are placed on it and running.",
				scope: "cluster:read",
				async handler(ctx: Context): Promise<ClusterStatus> {
					const { rows } = await db.query<{ node_id: string; placed: string; running: string }>(
						`SELECT node_id, count(*) FILTER (WHERE desired_state = 'running') AS placed, count(*) FILTER (WHERE state = 'running') AS running
						 FROM agents WHERE node_id IS NOT NULL GROUP BY node_id`
					);
					const counts = new Map(rows.map(r => [r.node_id, { placed: Number(r.placed), running: Number(r.running) }]));
					const live = hostingNodes(this.broker);
					const ids = [...new Set([...live.map(n => n.id), ...(across ? counts.keys() : [this.broker.nodeID])])].sort();
					const leader = election.leader();
					const selves = await Promise.all(
						live.map(n => ctx.call<NodeSelf, Record<string, never>>("cluster.self", {}, { nodeID: n.id, timeout: SELF_TIMEOUT_MS }).catch(() => undefined))
					);
					const nodes = ids.map((id): ClusterNodeView => {
						const known = registryNode(this.broker, id);
						const self = selves.find(s => s?.id === id);
						const { id: _id, tags: selfTags, leader: _leader, ...load } = self ?? ({} as NodeSelf);
						return {
							id,
							available: live.some(n => n.id === id),
							leader: leader?.nodeID === id,
							tags: selfTags ?? known?.metadata?.tags ?? [],
							cpu: known?.cpu ?? null,
							agents: counts.get(id) ?? { placed: 0, running: 0 },
							load: self ? load : null
						};
					});
					return { leader: leader ? { node: leader.nodeID, term: leader.term } : null, lock: election.kind, placement: config.CLUSTER_PLACEMENT, nodes };
				}
			},

			self: {
				handler(): NodeSelf {
					const mem = process.memoryUsage();
					const mb = (n: number) => Math.round(n / 1048576);
					return {
						id: this.broker.nodeID,
						hostname: os.hostname(),
						tags,
						leader: election.isLeader,
						uptimeSeconds: Math.round(process.uptime()),
						loadAverage: os.loadavg().map(n => Math.round(n * 100) / 100),
						cpus: os.cpus().length,
						memory: { rssMb: mb(mem.rss), heapUsedMb: mb(mem.heapUsed), freeMb: mb(os.freemem()), totalMb: mb(os.totalmem()) }
					};
				}
			},

			/** Places agents on nodes: done by the leader; any other node hands the request to it. */
			place: {
				...ONCE,
				params: { ids: { type: "array", items: "string", min: 1 }, reason: { type: "string", optional: true } },
				async handler(ctx: Context<PlaceParams>): Promise<Record<string, string>> {
					if (election.isLeader && placer) return placer.place(ctx.params.ids, ctx.params.reason ?? "placed");
					const leader = await this.awaitLeader();
					if (leader.nodeID === this.broker.nodeID) throw new NoLeaderError();
					return ctx.call("cluster.place", ctx.params, { nodeID: leader.nodeID, retries: 0, timeout: config.AGENT_START_TIMEOUT_MS + 10_000 });
				}
			}
		},

		events: {
			"$node.disconnected"(ctx: Context<{ node: { id: string } }>) {
				placer?.nodeLost(ctx.params.node.id);
				if (election.isLeader && placer) void placer.sweep().catch((err: Error) => this.logger.warn(`Re-placing the agents of ${ctx.params.node.id} failed: ${err.message}`));
			},
			"$node.connected"() {
				if (election.isLeader && placer && config.CLUSTER_REBALANCE_ON_JOIN) {
					// The joining node's actor host must be registered before agents are moved to it.
					setTimeout(() => void placer?.rebalance().catch((err: Error) => this.logger.warn(`Rebalancing failed: ${err.message}`)), 1000).unref();
				}
			},
			"cluster.leader.changed"(ctx: Context<Leadership>) {
				election.observe(ctx.params);
			}
		},

		methods: {
			/** The leader, waiting a little for one during an election. */
			async awaitLeader(): Promise<Leadership> {
				const deadline = Date.now() + LEADER_WAIT_MS;
				for (;;) {
					const leader = election.leader();
					if (leader && (leader.nodeID === this.broker.nodeID ? election.isLeader : registryNode(this.broker, leader.nodeID)?.available)) return leader;
					if (Date.now() > deadline) throw new NoLeaderError();
					await new Promise(resolve => setTimeout(resolve, 100));
				}
			}
		},

		started() {
			if (metrics) {
				new Gauge({
					name: "agentos_cluster_leader",
					help: "1 while this node leads the cluster (fires schedules, places agents)",
					registers: [metrics.registry],
					collect() {
						this.set(election.isLeader ? 1 : 0);
					}
				});
			}
			if (across) placer = new Placer({ broker: this.broker, db, config, logger: this.logger });
			election.onChange(change => {
				if (!change.self || !change.leader) return;
				this.broker.broadcast("cluster.leader.changed", change.leader).catch(() => undefined);
				// A new leader first re-places what the old one may have left behind.
				placer?.startedLeading();
				void placer?.sweep().catch((err: Error) => this.logger.warn(`Sweeping unplaced agents failed: ${err.message}`));
			});
			kernel.start().then(
				() => {
					election.start();
					if (!placer) return;
					sweeper = setInterval(() => {
						if (election.isLeader) void placer?.sweep().catch((err: Error) => this.logger.warn(`Sweeping unplaced agents failed: ${err.message}`));
					}, Math.max(1000, Math.floor(config.CLUSTER_NODE_TIMEOUT_MS / 2)));
					sweeper.unref();
				},
				() => undefined
			);
		},

		async stopped() {
			clearInterval(sweeper);
			await election.stop();
		}
	});
}
