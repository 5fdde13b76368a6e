import crypto from "node:crypto";
import type { Context, ServiceSchema } from "moleculer";
import type { Config } from "../lib/kernel/config";
import { ConfigError } from "../lib/kernel/errors";
import type { Kernel } from "../lib/kernel/kernel";
import type { AuditLog } from "../lib/security/audit-log";
import { callerOf, principalOf, type SecuredMeta } from "../lib/security/security-guard";
import { activitySeries, type ActivitySeries } from "../lib/cluster/activity-series";
import type { ClusterStatus } from "../lib/cluster/cluster-view";
import type { HealthReport } from "./health.service";
import { defineService } from "../lib/kernel/define-service";

export interface ProbeResult {
	url: string;
	ok: boolean;
	status: number | null;
	ms: number;
	error?: string;
}

export interface MonitoringReport {
	node: { id: string; status: string; subsystems: Record<string, string> };
	cluster: { leader: string | null; nodes: { id: string; available: boolean }[] } | null;
	providers: { name: string; type: string; available: boolean }[];
	urls: ProbeResult[];
	at: string;
}

export interface AlertParams {
	/** What is watched, e.g. `url:https://example.org/` or `node:database`. */
	check: string;
	state: "down" | "up";
	message: string;
	severity?: "critical" | "warning" | "info";
	details?: Record<string, unknown>;
}

export interface Alert extends AlertParams {
	id: string;
	agentId: string;
	node: string;
	severity: "critical" | "warning" | "info";
	at: string;
}

/** MONITOR_AGENT_URLS as a list, or a ConfigError naming the bad entry (checked before the node opens anything). */
export function monitorUrls(config: Pick<Config, "MONITOR_AGENT_URLS">): string[] {
	const urls = (config.MONITOR_AGENT_URLS ?? "")
		.split(",")
		.map(u => u.trim())
		.filter(Boolean);
	for (const url of urls) {
		let scheme = "";
		try {
			scheme = new URL(url).protocol;
		} catch {
			// reported below
		}
		if (scheme !== "http:" && scheme !== "https:") {
			throw new ConfigError(`Invalid configuration: MONITOR_AGENT_URLS must be comma-separated http(s) URLs (got ${JSON.stringify(url)})`, "MONITOR_AGENT_URLS");
		}
	}
	return urls;
}

async function probe(url: string, timeoutMs: number): Promise<ProbeResult> {
	const started = Date.now();
	try {
		const res = await fetch(url, { method: "GET", redirect: "manual", signal: AbortSignal.timeout(timeoutMs), headers: { "user-agent": "AgentOS-monitor/0.1" } });
		await res.body?.cancel().catch(() => undefined);
		return { url, ok: res.status < 400, status: res.status, ms: Date.now() - started };
	} catch (err) {
		const e = err as Error & { cause?: { code?: string } };
		const error = e.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
		return { url, ok: false, status: null, ms: Date.now() - started, error };
	}
}

/** What the report needs of a node's health check. */
type NodeHealth = Pick<HealthReport, "status"> & { subsystems: Partial<HealthReport["subsystems"]> };

/** What the monitoring service's own `methods` put on `this`. */
interface MonitoringMethods {
	postWebhook(alert: Alert): Promise<"sent" | "failed" | "off">;
}

/**
 * What the monitor agent watches, and how it raises alerts; for agents granted
 * `node.monitor` (through `ctx.node`). `report` gathers this node's health, the cluster's
 * nodes, the model providers' circuits and a probe of each MONITOR_AGENT_URLS; `alert`
 * broadcasts `monitor.alert`, writes an audit entry and POSTs to ALERT_WEBHOOK_URL.
 * The probed URLs are the operator's (configuration), not the agent's choice, so they are
 * reached whatever ALLOWED_DOMAINS says, and only their status comes back.
 */
export default function createMonitoringService(kernel: Kernel, audit: AuditLog): ServiceSchema {
	const { config } = kernel;
	const urls = monitorUrls(config);
	const timeoutMs = config.MONITOR_PROBE_TIMEOUT_MS;

	return defineService<MonitoringMethods>({
		name: "monitoring",
		settings: { rest: "/" },

		actions: {
			activity: {
				rest: "GET /metrics/activity",
				description: "The cluster's last minutes of work, minute by minute: tasks finished and failed, their p95 duration, model tokens and dollars.",
				scope: "node:read",
				params: { minutes: { type: "number", integer: true, min: 1, max: 1440, optional: true, convert: true } },
				handler(ctx: Context<{ minutes?: number }>): Promise<ActivitySeries> {
					return activitySeries(kernel.db, ctx.params.minutes ?? 60);
				}
			},


			report: {
				permission: "node.monitor",
				async handler(ctx: Context): Promise<MonitoringReport> {
					const system = { meta: { caller: undefined } };
					const [health, cluster, models, probes] = await Promise.all([
						// A node whose health check cannot answer is down, with no subsystem known.
						ctx.call<HealthReport, object>("health.check", {}, system).then(
							(h): NodeHealth => h,
							(): NodeHealth => ({ status: "down", subsystems: {} })
						),
						ctx.call<ClusterStatus, object>("cluster.status", {}, system).catch(() => null),
						ctx.call<{ providers: { name: string; type: string }[] }, object>("mal.models", {}, system).catch(() => ({ providers: [] })),
						Promise.all(urls.map(url => probe(url, timeoutMs)))
					]);
					const endpoints = (name: string) => this.broker.registry.getActionEndpoints(`llm.${name}.chat`) as { hasAvailable(): boolean } | undefined;
					return {
						node: {
							id: this.broker.nodeID,
							status: health.status,
							subsystems: Object.fromEntries(Object.entries(health.subsystems).map(([k, s]) => [k, s.state]))
						},
						cluster: cluster && { leader: cluster.leader?.node ?? null, nodes: cluster.nodes.map(n => ({ id: n.id, available: n.available })) },
						providers: models.providers.map(p => ({ name: p.name, type: p.type, available: endpoints(p.name)?.hasAvailable() ?? false })),
						urls: probes,
						at: new Date().toISOString()
					};
				}
			},

			alert: {
				permission: "node.monitor",
				retryPolicy: { enabled: false },
				params: {
					check: { type: "string", min: 1, max: 500 },
					state: { type: "enum", values: ["down", "up"] },
					message: { type: "string", min: 1, max: 2000 },
					severity: { type: "enum", values: ["critical", "warning", "info"], optional: true },
					details: { type: "object", optional: true }
				},
				async handler(ctx: Context<AlertParams, SecuredMeta>): Promise<Alert & { webhook: "sent" | "failed" | "off" }> {
					const caller = callerOf(ctx);
					const alert: Alert = {
						...ctx.params,
						id: crypto.randomUUID(),
						agentId: caller.id,
						node: this.broker.nodeID,
						severity: ctx.params.severity ?? (ctx.params.state === "down" ? "critical" : "info"),
						at: new Date().toISOString()
					};
					audit.record({
						actor: { kind: caller.kind === "agent" ? "agent" : "system", id: caller.id },
						principal: principalOf(ctx),
						action: "monitor.alert",
						target: alert.check,
						outcome: "succeeded",
						data: { state: alert.state, severity: alert.severity, message: alert.message }
					});
					await ctx.broadcast("monitor.alert", alert).catch(() => undefined);
					return { ...alert, webhook: await this.postWebhook(alert) };
				}
			}
		},

		methods: {
			/** One POST, time-limited; a failing webhook is logged, never fatal to the alert. */
			async postWebhook(alert: Alert): Promise<"sent" | "failed" | "off"> {
				const url = config.ALERT_WEBHOOK_URL;
				if (!url) return "off";
				try {
					const res = await fetch(url, {
						method: "POST",
						headers: { "content-type": "application/json", "user-agent": "AgentOS-monitor/0.1" },
						body: JSON.stringify({ type: "monitor.alert", alert }),
						signal: AbortSignal.timeout(timeoutMs)
					});
					await res.body?.cancel().catch(() => undefined);
					if (res.ok) return "sent";
					this.logger.warn(`The alert webhook answered ${res.status}`);
				} catch (err) {
					this.logger.warn(`The alert webhook could not be reached: ${(err as Error).message}`);
				}
				return "failed";
			}
		}
	});
}
