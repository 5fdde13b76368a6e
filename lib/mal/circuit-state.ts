import type { ServiceBroker } from "moleculer";

/**
 * Where a provider's circuit breaker stands, as its callers on this node see it:
 * `closed` (calls go through), `open` (cut off after failures), `half-open` (one probe
 * allowed, or awaited) or `unavailable` (no node serves the provider's service).
 */
export type CircuitState = "closed" | "open" | "half-open" | "unavailable";

/** Moleculer's breaker store (broker.CircuitBreakerStore): its items by endpoint name, `<node>:<action>`. */
type BreakerStore = Map<string, { state: string }>;

const HALF_OPEN = new Set(["half_open", "half_open_wait"]);

/** The circuit of the provider's chat action, `llm.<provider>.chat` (llm-provider.service.ts). */
export function providerCircuit(broker: ServiceBroker, provider: string): CircuitState {
	const endpoints = broker.registry.getActionEndpoints(`llm.${provider}.chat`)?.endpoints ?? [];
	if (!endpoints.length) return "unavailable";
	const store = (broker as ServiceBroker & { CircuitBreakerStore?: BreakerStore }).CircuitBreakerStore;
	if (endpoints.some(e => HALF_OPEN.has(store?.get(e.name)?.state ?? ""))) return "half-open";
	return endpoints.every(e => !e.state) ? "open" : "closed";
}
