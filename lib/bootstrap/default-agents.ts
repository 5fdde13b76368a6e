/**
 * The default agents (agents/researcher, agents/monitor, agents/coder), deployed when a
 * node starts unless AGENTOS_BOOTSTRAP_AGENTS=false. Agents already there are kept as
 * they are — a restart, or an admin's edits, are never undone — and the monitor's
 * schedule is created once. Each manifest is signed with MANIFEST_SIGNING_SECRET when
 * one is set, exactly as a person would sign it (`agent-os sign`).
 */
import fs from "node:fs";
import path from "node:path";
import type { Logger, ServiceBroker } from "moleculer";
import { signManifest } from "../../actors/manifest-signature";
import type { ScheduleView } from "../cluster/schedule-store";
import type { Config } from "../kernel/config";
import { projectRoot } from "../kernel/paths";

export const DEFAULT_AGENTS = ["researcher", "monitor", "coder"] as const;
export const MONITOR_SCHEDULE = "monitor: check";

const SYSTEM = { meta: { caller: { kind: "system", id: "bootstrap" } } };

export interface BootstrapResult {
	/** Spawned now. */
	deployed: string[];
	/** Already there, left as they are. */
	kept: string[];
	/** Could not be deployed, with the reason (the node runs on without them). */
	failed: { id: string; reason: string }[];
}

/** A default agent's manifest, its entryPoint made absolute (the node may run from another folder), signed when the node wants signatures. */
export function defaultManifest(id: string, config: Pick<Config, "MANIFEST_SIGNING_SECRET">, root = projectRoot()): Record<string, unknown> {
	const dir = path.join(root, "agents", id);
	const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as Record<string, unknown>;
	manifest.entryPoint = path.join(dir, "index.js");
	delete manifest.signature;
	return config.MANIFEST_SIGNING_SECRET ? signManifest(manifest, config.MANIFEST_SIGNING_SECRET) : manifest;
}

/** The monitor's checks as a scheduled task: MONITOR_AGENT_CRON when set, else every MONITOR_AGENT_INTERVAL_MS. */
export function monitorCadence(config: Pick<Config, "MONITOR_AGENT_CRON" | "MONITOR_AGENT_INTERVAL_MS">): { cron: string } | { intervalMs: number } {
	return config.MONITOR_AGENT_CRON ? { cron: config.MONITOR_AGENT_CRON } : { intervalMs: config.MONITOR_AGENT_INTERVAL_MS };
}

async function exists(broker: ServiceBroker, id: string): Promise<boolean> {
	try {
		await broker.call("agents.get", { id }, SYSTEM);
		return true;
	} catch (err) {
		if ((err as { type?: string }).type === "AGENT_NOT_FOUND") return false;
		throw err;
	}
}

/** Deploys the default agents that are missing, and the monitor's schedule. Never throws: a node runs on without them. */
export async function bootstrapDefaultAgents(broker: ServiceBroker, config: Config, logger: Logger): Promise<BootstrapResult> {
	const result: BootstrapResult = { deployed: [], kept: [], failed: [] };
	for (const id of DEFAULT_AGENTS) {
		try {
			if (await exists(broker, id)) {
				result.kept.push(id);
				continue;
			}
			await broker.call("agents.spawn", { manifest: defaultManifest(id, config) }, SYSTEM);
			result.deployed.push(id);
		} catch (err) {
			const e = err as Error & { type?: string };
			// Another node of the cluster deployed it first.
			if (e.type === "AGENT_EXISTS") result.kept.push(id);
			else result.failed.push({ id, reason: e.message });
		}
	}
	if (result.deployed.includes("monitor") || result.kept.includes("monitor")) {
		await ensureMonitorSchedule(broker, config).catch((err: Error) => result.failed.push({ id: "monitor", reason: `its schedule: ${err.message}` }));
	}
	if (result.deployed.length) logger.info(`Deployed the default agents ${result.deployed.join(", ")} (AGENTOS_BOOTSTRAP_AGENTS=false skips them)`);
	for (const f of result.failed) logger.warn(`Default agent ${f.id} was not deployed: ${f.reason}`);
	return result;
}

/** One schedule named MONITOR_SCHEDULE with the configured cadence: created, or replaced when the cadence changed. */
async function ensureMonitorSchedule(broker: ServiceBroker, config: Config): Promise<void> {
	const cadence = monitorCadence(config);
	const list = async () => (await broker.call<{ items: ScheduleView[] }, object>("scheduler.list", { limit: 1000 }, SYSTEM)).items.filter(s => s.name === MONITOR_SCHEDULE);
	const same = (s: ScheduleView) => ("cron" in cadence ? s.cron === cadence.cron : s.intervalMs === cadence.intervalMs && !s.cron);
	const found = await list();
	for (const stale of found.filter(s => !same(s))) await broker.call("scheduler.remove", { id: stale.id }, SYSTEM);
	if (found.some(same)) return;
	await broker.call("scheduler.create", { name: MONITOR_SCHEDULE, ...cadence, target: { agent: "monitor", task: { type: "check" } } }, SYSTEM);
	// Two nodes booting together may both have created it: the oldest stays.
	const now = (await list()).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
	for (const extra of now.slice(1)) await broker.call("scheduler.remove", { id: extra.id }, SYSTEM).catch(() => undefined);
}
