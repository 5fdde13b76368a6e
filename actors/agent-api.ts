/**
 * The agent programming API: what an agent module exports and what its code may use.
 * A module exports `defineAgent({ onStart, onTask, onMessage, onStop })`; every `ctx`
 * call leaves the worker, goes through its actor and reaches the cluster with the agent's
 * identity, where the action it reaches checks the agent's grants. Agent code never holds
 * a secret. Types only: `agents`, `state`, `log` and `waitFor` are the runtime's own; `llm`,
 * `memory`, `tools`, `society`, `node` and `human` are the methods the node's layers register
 * (actors/ctx-registry.ts), typed here as a node with every layer offers them.
 */
import type { Caller } from "../lib/kernel/caller";
import type { SocietyApi } from "./society-api";

export type { Caller };

/** A person's answer to ctx.waitFor (approvals.waitFor). */
export interface HumanDecision {
	approved: boolean;
	note: string | null;
	decidedBy: string | null;
	decidedAt: string | null;
	approvalId: string;
}

export interface AgentTask {
	type: string;
	[key: string]: unknown;
}

export interface AgentContext {
	readonly agentId: string;
	llm: {
		chat(request: Record<string, unknown>): Promise<unknown>;
		embed(request: Record<string, unknown>): Promise<unknown>;
		/**
		 * The framework's tool-calling loop: the model, then the named tools (as this agent,
		 * under its grants), then the model again, to an answer or a limit. Resolves with
		 * the answer, the steps taken, usage and cost.
		 */
		run(request: {
			message: string;
			instructions?: string;
			model?: string;
			tools?: string[];
			history?: unknown[];
			maxSteps?: number;
			maxTokens?: number;
			maxUsd?: number;
		}): Promise<unknown>;
	};
	memory: {
		store(memory: Record<string, unknown>): Promise<unknown>;
		search(query: Record<string, unknown>): Promise<unknown>;
		get(id: string): Promise<unknown>;
		forget(id: string): Promise<unknown>;
		list(query?: Record<string, unknown>): Promise<unknown>;
		/** A chat session's recent messages and the running summary of older ones. */
		/** `owner`: whose session; when absent, the sender's of the task the call runs for (the agent's own outside a task). */
		history(sessionId: string, window?: number, owner?: string): Promise<unknown>;
		appendHistory(sessionId: string, messages: { role: "user" | "assistant" | "system" | "tool"; content: string }[], owner?: string): Promise<unknown>;
	};
	tools: {
		list(): Promise<unknown>;
		invoke(toolId: string, args: Record<string, unknown>): Promise<unknown>;
	};
	agents: {
		/** Sends a task to another agent and waits for its result. */
		ask(agentId: string, task: AgentTask, options?: { timeoutMs?: number }): Promise<unknown>;
		/** Delivers a task to another agent's mailbox; resolves with its task id. */
		send(agentId: string, task: AgentTask): Promise<{ taskId: string }>;
	};
	/** Key/value state that survives restarts, private to the agent. */
	state: {
		get<T = unknown>(key: string): Promise<T | undefined>;
		set(key: string, value: unknown): Promise<void>;
		delete(key: string): Promise<void>;
		list(): Promise<string[]>;
	};
	/** Forums, jobs, reputation, the directory (actors/society-api.ts). */
	society: SocietyApi;
	/** Watching the node (needs `node.monitor`): what the monitor agent uses. */
	node: {
		/** This node's health, the cluster's nodes, the model providers' circuits and a probe of each MONITOR_AGENT_URLS. */
		health(): Promise<unknown>;
		/** Raises an alert: the `monitor.alert` event, an audit entry and a POST to ALERT_WEBHOOK_URL. */
		alert(alert: { check: string; state: "down" | "up"; message: string; severity?: "critical" | "warning" | "info"; details?: Record<string, unknown> }): Promise<unknown>;
	};
	/**
	 * Asks a person and resolves with the decision — `approved` or not, the person's `note`,
	 * who decided and when — a denial included. The question is an approval (action
	 * `task.waitFor`, `data` shown with it) that people see in GET /api/v1/approvals and the
	 * console. A durable task is suspended meanwhile, holding nothing in memory, and resumed
	 * with the answer; otherwise the call waits up to APPROVAL_TIMEOUT_MS. Nobody deciding in
	 * time rejects with APPROVAL_EXPIRED. The same as `ctx.human.waitFor`.
	 */
	waitFor(reason: string, data?: Record<string, unknown>): Promise<HumanDecision>;
	/** A person asked (ctx.waitFor is short for human.waitFor). */
	human: {
		waitFor(reason: string, data?: Record<string, unknown>): Promise<HumanDecision>;
	};
	log: {
		debug(msg: string): void;
		info(msg: string): void;
		warn(msg: string): void;
		error(msg: string): void;
	};
}

export interface TaskInfo {
	id: string;
	caller: Caller;
}

export interface AgentDefinition {
	onStart?(ctx: AgentContext): unknown;
	onTask?(task: AgentTask, ctx: AgentContext, info: TaskInfo): unknown;
	onMessage?(message: unknown, ctx: AgentContext, info: TaskInfo): unknown;
	onStop?(ctx: AgentContext): unknown;
}

/** Declares an agent; the identity function, there for its types. */
export function defineAgent<T extends AgentDefinition>(definition: T): T {
	return definition;
}
