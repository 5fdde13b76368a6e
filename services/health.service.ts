import type { Context, ServiceSchema } from "moleculer";
import { cacherStatus, transporterStatus, watchTransporter } from "../lib/kernel/cluster-status";
import { redactConfig } from "../lib/kernel/config";
import type { Kernel, SubsystemStatus } from "../lib/kernel/kernel";
import { defineService } from "../lib/kernel/define-service";

export interface HealthMeta {
	$statusCode?: number;
}

export type OverallStatus = "ok" | "degraded" | "down";

export interface HealthReport {
	status: OverallStatus;
	node: string;
	version: string;
	instanceId: string | null;
	uptimeSeconds: number;
	subsystems: {
		database: SubsystemStatus;
		vectorStore: SubsystemStatus;
		transporter: SubsystemStatus;
		cacher: SubsystemStatus;
	};
}

export interface ReadinessReport {
	ready: boolean;
	checks: { database: SubsystemStatus; transporter: SubsystemStatus };
}

const usable = (s: SubsystemStatus) => s.state === "ready" || s.state === "disabled";

/**
 * Liveness, readiness and the detailed health of this node. Readiness needs what every
 * request needs (the database and, in a cluster, the transporter); the vector store
 * and cacher only degrade the node.
 */
export default function createHealthService(kernel: Kernel): ServiceSchema {
	return defineService({
		name: "health",
		settings: { rest: "/" },

		actions: {
			live: {
				handler(): { status: "ok"; uptimeSeconds: number } {
					return { status: "ok", uptimeSeconds: Math.round(process.uptime()) };
				}
			},

			ready: {
				async handler(ctx: Context<unknown, HealthMeta>): Promise<ReadinessReport> {
					const checks = { database: await kernel.checkDatabase(), transporter: transporterStatus(this.broker) };
					const ready = usable(checks.database) && usable(checks.transporter);
					if (!ready) ctx.meta.$statusCode = 503;
					return { ready, checks };
				}
			},

			check: {
				async handler(ctx: Context<unknown, HealthMeta>): Promise<HealthReport> {
					const subsystems = {
						database: await kernel.checkDatabase(),
						vectorStore: await kernel.checkVectors(),
						transporter: transporterStatus(this.broker),
						cacher: cacherStatus(this.broker)
					};
					const essential = usable(subsystems.database) && usable(subsystems.transporter);
					const status: OverallStatus = !essential ? "down" : Object.values(subsystems).every(usable) ? "ok" : "degraded";
					if (status === "down") ctx.meta.$statusCode = 503;
					return {
						status,
						node: this.broker.nodeID,
						version: kernel.version,
						instanceId: kernel.instanceId ?? null,
						uptimeSeconds: Math.round(process.uptime()),
						subsystems
					};
				}
			},

			info: {
				rest: "GET /node",
				description: "This node: its id, version, instance, start time and configuration, with secrets redacted.",
				scope: "node:read",
				handler(): Record<string, unknown> {
					return {
						node: this.broker.nodeID,
						version: kernel.version,
						instanceId: kernel.instanceId ?? null,
						startedAt: kernel.startedAt.toISOString(),
						config: redactConfig(kernel.config)
					};
				}
			}
		},

		started() {
			watchTransporter(this.broker);
		}
	});
}
