import type { ServiceBroker } from "moleculer";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { providerCircuit } from "./circuit-state";
import type { UsageRecord } from "./usage-store";

/** Model calls in Prometheus terms. A model call takes milliseconds, so prom-client's per-call cost does not matter here. */
export class LlmMetrics {
	private readonly tokens: Counter<"provider" | "model" | "kind">;
	private readonly cost: Counter<"provider" | "model">;
	private readonly latency: Histogram<"provider">;
	private readonly failovers: Counter<"from">;
	private readonly retries: Counter<"provider">;

	constructor(registry: Registry, broker: ServiceBroker, providers: string[]) {
		const registers = [registry];
		this.tokens = new Counter({ name: "agentos_llm_tokens_total", help: "Tokens by provider, model and kind (prompt, completion)", labelNames: ["provider", "model", "kind"], registers });
		this.cost = new Counter({ name: "agentos_llm_cost_usd_total", help: "Cost of model calls in USD", labelNames: ["provider", "model"], registers });
		this.latency = new Histogram({
			name: "agentos_llm_call_duration_seconds",
			help: "Duration of answered model calls",
			labelNames: ["provider"],
			buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
			registers
		});
		this.failovers = new Counter({ name: "agentos_llm_failovers_total", help: "Calls that left a provider for the next in the chain", labelNames: ["from"], registers });
		this.retries = new Counter({ name: "agentos_llm_retries_total", help: "Retries of a call on the same provider", labelNames: ["provider"], registers });
		new Gauge({
			name: "agentos_llm_circuit_open",
			help: "1 while a provider's circuit breaker keeps calls away from it",
			labelNames: ["provider"],
			registers,
			collect() {
				for (const provider of providers) this.set({ provider }, providerCircuit(broker, provider) === "open" ? 1 : 0);
			}
		});
	}

	answered(r: UsageRecord): void {
		this.tokens.inc({ provider: r.provider, model: r.model, kind: "prompt" }, r.promptTokens);
		this.tokens.inc({ provider: r.provider, model: r.model, kind: "completion" }, r.completionTokens);
		this.cost.inc({ provider: r.provider, model: r.model }, r.costUsd);
		this.latency.observe({ provider: r.provider }, r.latencyMs / 1000);
	}

	failedOver(from: string): void {
		this.failovers.inc({ from });
	}

	retried(provider: string): void {
		this.retries.inc({ provider });
	}
}
