import os from "node:os";
import { Cachers, Errors, Transporters, type BrokerOptions } from "moleculer";
import type { Config } from "./lib/kernel/config";
import type { NodeMetrics } from "./lib/kernel/metrics";
import type { SecurityGuard } from "./lib/security/security-guard";
import { GuardedValidator } from "./lib/kernel/guarded-validator";
import { NatsTransporter } from "./lib/kernel/nats-transporter";
import { NodeLogger } from "./lib/kernel/node-logger";

/**
 * The broker options of an AgentOS node, derived from its validated configuration:
 * single node or cluster (TRANSPORTER), memory or Redis cache (REDIS_URL), and the
 * circuit breaker, retry policy and bulkhead that guard every call. `metrics`, when
 * given, counts and times every action (METRICS_ENABLED); `security` checks agents'
 * grants, approvals and audits privileged calls.
 *
 * It is a function of the configuration rather than a module-level object so that a
 * bad environment is reported once, cleanly, by the process that boots the node.
 */
export interface NodeMiddlewares {
	metrics?: NodeMetrics;
	security?: SecurityGuard;
}

export function createBrokerOptions(config: Config, { metrics, security }: NodeMiddlewares = {}): BrokerOptions {
	return {
		namespace: config.NAMESPACE,
		nodeID: config.NODE_ID ?? `${os.hostname()}-${process.pid}`,
		logger: loggerFor(config),
		logLevel: config.LOG_LEVEL,

		transporter: transporterFor(config.TRANSPORTER),
		cacher: config.REDIS_URL ? redisCacher(config.NAMESPACE, config.REDIS_URL) : "Memory",
		serializer: "JSON",

		requestTimeout: config.REQUEST_TIMEOUT_MS,
		retryPolicy: {
			enabled: config.RETRY_MAX_ATTEMPTS > 0,
			retries: config.RETRY_MAX_ATTEMPTS,
			delay: 100,
			maxDelay: 2000,
			factor: 2,
			check: err => Boolean((err as Errors.MoleculerError).retryable)
		},
		circuitBreaker: {
			enabled: config.CIRCUIT_BREAKER_ENABLED,
			threshold: 0.5,
			minRequestCount: 20,
			windowTime: 60,
			halfOpenTime: 10_000,
			check: isCalleeFailure
		},
		bulkhead: {
			enabled: true,
			concurrency: config.BULKHEAD_CONCURRENCY,
			maxQueueSize: config.BULKHEAD_MAX_QUEUE
		},
		tracking: { enabled: true, shutdownTimeout: config.SHUTDOWN_TIMEOUT_MS },
		registry: { strategy: "RoundRobin", preferLocal: true },
		// fastest-validator, after the input rules every call meets (depth, storable text, no __proto__).
		validator: new GuardedValidator(),

		// Moleculer's built-in metrics are off: NodeMetrics measures calls far more cheaply.
		metrics: false,
		middlewares: [...(metrics ? [metrics.middleware()] : []), ...(security ? [security.middleware()] : [])],
		tracing: {
			enabled: config.TRACING_ENABLED,
			exporter: { type: config.TRACING_EXPORTER === "event" ? "Event" : "Console" }
		},
		// The node's own signal handlers stop the kernel after the broker.
		skipProcessEventRegistration: true
	};
}

/**
 * 5xx errors that report the one thing a request addressed failing — an agent's code, its
 * worker, a task's own deadline (which the caller picks), a tool's remote site, an
 * encrypted memory — not the service that relayed it. They are named by `type`, which
 * survives the trip between nodes (an error's class does not). Counting them would let one
 * failing agent, or any caller with `timeoutMs: 1`, open the circuit of `agents.submitTask`
 * or `tools.invoke` for every agent and tool.
 */
const ONE_TARGET_FAILURES = new Set(["AGENT_TASK_FAILED", "WORKER_CRASHED", "TASK_TIMEOUT", "AGENT_UNAVAILABLE", "TOOL_FAILED", "TOOL_TIMEOUT", "MEMORY_LOCKED"]);

/**
 * What opens a circuit: a failure of the callee or what it depends on — a Moleculer error
 * of 5xx (timeouts, an unreachable database or provider, a lost node). A caller's bad
 * input (4xx) never counts, nor does a plain JavaScript error (TypeError, RangeError, a
 * driver's SQL error): those are bugs one request's input triggers — logged as 500s and
 * to be fixed — and must not switch the service off for every other caller. Nor does the
 * failure of the one agent or tool a request addressed (ONE_TARGET_FAILURES).
 */
export function isCalleeFailure(err: unknown): boolean {
	return err instanceof Errors.MoleculerError && typeof err.code === "number" && err.code >= 500 && !ONE_TARGET_FAILURES.has(String(err.type));
}

function redisCacher(namespace: string, url: string): InstanceType<typeof Cachers.Redis> {
	// ioredis takes a URL string where Moleculer's typings expect its options object.
	return new Cachers.Redis({ prefix: `${namespace}-cache`, redis: url as unknown as Record<string, string> });
}

function transporterFor(url: string | undefined): BrokerOptions["transporter"] {
	if (!url) return null;
	return url.startsWith("nats:") ? new NatsTransporter(url) : new Transporters.Redis(url);
}

function loggerFor(config: Config): NodeLogger {
	const pretty = config.LOG_FORMAT === "pretty" || (config.LOG_FORMAT === "auto" && process.stdout.isTTY === true);
	return new NodeLogger({ level: config.LOG_LEVEL, pretty });
}
