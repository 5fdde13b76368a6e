import { MetricReporters } from "moleculer";
import type { MetricRegistry } from "moleculer";

type BaseInit = (this: unknown, registry: MetricRegistry) => void;

/**
 * Moleculer's Prometheus reporter, without its own HTTP server: the gateway serves the
 * text at GET /metrics on the node's one port, so there is no second port to secure.
 */
export class GatewayPrometheusReporter extends MetricReporters.Prometheus {
	override init(registry: MetricRegistry): void {
		const baseInit = Object.getPrototypeOf(MetricReporters.Prometheus.prototype).init as BaseInit;
		baseInit.call(this, registry);
		const self = this as unknown as { defaultLabels: Record<string, unknown> };
		self.defaultLabels = { namespace: registry.broker.namespace, nodeID: registry.broker.nodeID };
	}

	override async stop(): Promise<void> {
		// No server to close.
	}

	/** Finds this reporter among a broker's metric reporters, if metrics are on. */
	static of(registry: MetricRegistry | undefined | null): GatewayPrometheusReporter | undefined {
		const reporters = (registry as unknown as { reporter?: unknown[] } | undefined)?.reporter ?? [];
		return reporters.find((r): r is GatewayPrometheusReporter => r instanceof GatewayPrometheusReporter);
	}
}
