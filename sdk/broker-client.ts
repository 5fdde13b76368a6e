import os from "node:os";
import { jsonLines } from "../lib/kernel/json-lines";
import type { Readable } from "node:stream";
import { ServiceBroker, Transporters } from "moleculer";
import type { AgentManifest } from "../actors/manifest-types";
import { NatsTransporter } from "../lib/kernel/nats-transporter";
import type { ChatRequest } from "../lib/mal/types";
import type { AgentView } from "../lib/cluster/agent-view";
import type { ChatResult, StreamLine } from "../lib/mal/results";
import type { Page, TaskOutcome } from "./http-client";

/** How long `ask` waits for an agent it has not heard of yet (it may have just been spawned). */
const AGENT_DISCOVERY_MS = 5000;

export interface AgentOSClientOptions {
	/** The cluster's transporter, e.g. nats://user:pass@nats:4222. */
	transporter: string;
	/** The cluster's NAMESPACE (default "agentos"). */
	namespace?: string;
	/** Who calls, as the audit log names them (default "sdk"). */
	user?: string;
	/** How long to wait for the cluster's services when connecting (default 10 s). */
	connectTimeoutMs?: number;
	requestTimeoutMs?: number;
}

/**
 * A client that joins the cluster itself, through its transporter, as a node with no
 * services: calls go straight to the agents and services wherever they run, with no
 * gateway in between. Whoever reaches the transporter is inside the cluster's trust
 * boundary — protect it (NATS credentials and TLS) as you would the database.
 *
 * The surface mirrors the HTTP client's (`agents.*`, `llm.*`, `node()`), plus `ask`,
 * which calls an agent's actor directly.
 */
export class AgentOSClient {
	private constructor(
		readonly broker: ServiceBroker,
		private readonly user: string
	) {}

	static async connect(options: AgentOSClientOptions): Promise<AgentOSClient> {
		const broker = new ServiceBroker({
			namespace: options.namespace ?? "agentos",
			nodeID: `sdk-${os.hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 6)}`,
			transporter: options.transporter.startsWith("nats:") ? new NatsTransporter(options.transporter) : new Transporters.Redis(options.transporter),
			logger: false,
			requestTimeout: options.requestTimeoutMs ?? 60_000,
			skipProcessEventRegistration: true
		});
		await broker.start();
		try {
			await broker.waitForServices(["agents", "mal"], options.connectTimeoutMs ?? 10_000);
		} catch (err) {
			await broker.stop();
			throw new Error(`No AgentOS node answered on ${redact(options.transporter)} (namespace ${options.namespace ?? "agentos"}): ${(err as Error).message}`, { cause: err });
		}
		return new AgentOSClient(broker, options.user ?? "sdk");
	}

	private call<T>(action: string, params: object, timeout?: number): Promise<T> {
		return this.broker.call<T, object>(action, params, { meta: { user: { id: this.user } }, ...(timeout ? { timeout } : {}) });
	}

	/** The nodes of the cluster this client sees (itself excluded). */
	nodes(): string[] {
		return this.broker.registry.nodes
			.list({ onlyAvailable: true, withServices: false })
			.map(n => n.id)
			.filter(id => id !== this.broker.nodeID);
	}

	/** Sends a task straight to the agent's actor, on whichever node it runs, and waits for its result. */
	async ask<R = unknown>(agentId: string, task: { type: string } & Record<string, unknown>, options: { timeoutMs?: number } = {}): Promise<R> {
		const service = `agent.${agentId}`;
		// A just-spawned agent's service reaches this client with its node's next INFO packet.
		if (!this.broker.registry.getActionEndpoints(`${service}.ask`)?.hasAvailable()) {
			await this.broker.waitForServices(service, AGENT_DISCOVERY_MS).catch(() => undefined);
		}
		return this.call<R>(`${service}.ask`, { task, ...options }, options.timeoutMs ? options.timeoutMs + 5000 : undefined);
	}

	readonly agents = {
		list: (opts: { state?: string; limit?: number; offset?: number } = {}): Promise<Page<AgentView>> => this.call("agents.list", opts),
		get: (id: string): Promise<AgentView> => this.call("agents.get", { id }),
		spawn: (manifest: AgentManifest | Record<string, unknown>): Promise<AgentView> => this.call("agents.spawn", { manifest }),
		stop: (id: string): Promise<AgentView> => this.call("agents.stop", { id }),
		start: (id: string): Promise<AgentView> => this.call("agents.start", { id }),
		restart: (id: string): Promise<AgentView> => this.call("agents.restart", { id }),
		remove: (id: string): Promise<AgentView> => this.call("agents.remove", { id }),
		/** Recorded like a REST task (GET /api/v1/tasks/:id). */
		task: <R = unknown>(id: string, task: { type: string } & Record<string, unknown>, opts: { async?: boolean; timeoutMs?: number } = {}): Promise<TaskOutcome<R>> =>
			this.call("agents.submitTask", { id, task, ...opts })
	};

	readonly llm = {
		chat: (request: ChatRequest & { agentId?: string }): Promise<ChatResult> => this.call("mal.chat", request),
		/** Text and tool calls as they come, ending with `{type: "end", result}`. */
		stream: async function* (this: AgentOSClient, request: ChatRequest & { agentId?: string }): AsyncIterable<StreamLine> {
			const source = await this.call<Readable>("mal.stream", request);
			yield* jsonLines<StreamLine>(source);
		}.bind(this) as (request: ChatRequest & { agentId?: string }) => AsyncIterable<StreamLine>
	};

	close(): Promise<void> {
		return this.broker.stop();
	}
}

function redact(url: string): string {
	return url.replace(/\/\/[^@/]*@/, "//***@");
}
