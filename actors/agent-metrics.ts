import { Gauge } from "prom-client";
import type { NodeMetrics } from "../lib/kernel/metrics";
import type { AgentRuntime } from "./agent-runtime";

/** The gauges of the agents hosted on this node, read from their runtimes when scraped. */
export function registerAgentMetrics(metrics: NodeMetrics, runtimes: () => Iterable<AgentRuntime>): void {
	const register = [metrics.registry];
	new Gauge({
		name: "agentos_agents",
		help: "Agents hosted on this node, by state",
		labelNames: ["state"],
		registers: register,
		collect() {
			this.reset();
			for (const runtime of runtimes()) this.inc({ state: runtime.state });
		}
	});
	new Gauge({
		name: "agentos_agent_restarts",
		help: "Restarts of each agent on this node since it was spawned here",
		labelNames: ["agent"],
		registers: register,
		collect() {
			this.reset();
			for (const runtime of runtimes()) this.set({ agent: runtime.id }, runtime.status().restarts);
		}
	});
	new Gauge({
		name: "agentos_agent_mailbox_depth",
		help: "Tasks waiting in each agent's mailbox",
		labelNames: ["agent"],
		registers: register,
		collect() {
			this.reset();
			for (const runtime of runtimes()) this.set({ agent: runtime.id }, runtime.status().mailbox.queued);
		}
	});
}
