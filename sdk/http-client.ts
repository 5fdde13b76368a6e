/**
 * A client for a running node's REST API (`/api/v1`), for scripts and the `agent-os`
 * CLI. Every failure is an AgentOSApiError: the API's own `{error: {type, message, data}}`,
 * or type `UNREACHABLE` (status 0) when the node cannot be reached at all.
 */
import type { AgentManifest } from "../actors/manifest-types";
import type { RecallReport } from "../actors/workers/declarative-worker";
import type { Approval, ApprovalStatus } from "../lib/security/approval-store";
import type { AuditRecord, AuditVerifyResult } from "../lib/security/audit-log";
import type { TaskDetail, TaskPage, TaskQuery } from "../actors/task-store";
import type { Scope } from "../lib/security/capabilities";
import type { PendingGrant } from "../lib/security/grant-requests";
import type { Grant } from "../lib/security/grant-store";
import type { ApiToken } from "../lib/security/token-store";
import type { AgentView } from "../lib/cluster/agent-view";
import { MemoryClient } from "./memory";
import { queryString } from "./query-string";
import { SocietyClient } from "./society";

import type { ChatRequest } from "../lib/mal/types";
import type { ChatResult, StreamLine } from "../lib/mal/results";
export type { AgentView } from "../lib/cluster/agent-view";
export type { ApiToken } from "../lib/security/token-store";
export type { AuditRecord, AuditVerifyResult, LiveAuditEntry } from "../lib/security/audit-log";
export type { ChildTask, TaskDetail, TaskPage, TaskQuery, TaskRecord, TaskStatus, TaskSummary } from "../actors/task-store";
export type { JournalStep, StepError } from "../actors/run-journal";
export type { RunWait } from "../actors/errors";
export type { TaskChange } from "../actors/durable-runs";
export type { Approval, ApprovalStatus } from "../lib/security/approval-store";
export type { PendingGrant } from "../lib/security/grant-requests";
export type { Grant } from "../lib/security/grant-store";
export type { Scope } from "../lib/security/capabilities";

export interface AgentOSHttpClientOptions {
	/** The node's base URL, e.g. `http://127.0.0.1:3000`. */
	url: string;
	token: string;
	/** For tests or a custom agent; defaults to the global fetch. */
	fetch?: typeof fetch;
}

export interface Page<T> {
	items: T[];
	total: number;
	limit: number;
	offset: number;
}

export interface AuditFilters {
	actorId?: string;
	/** Entries where the agent is the actor or the target. */
	agentId?: string;
	/** Entries made by this authenticated principal (`admin`, `token:<id>`, or an agent for its own calls). */
	principalId?: string;
	/** The id the entry is about (an agent, a tool, a task…). */
	target?: string;
	/** Exact, or a prefix ending in "*" ("agents.*"). */
	action?: string;
	outcome?: "allowed" | "denied" | "succeeded" | "failed";
	/** Inclusive. */
	since?: Date | string;
	/** Exclusive. */
	until?: Date | string;
}


export interface TaskOutcome<R = unknown> {
	taskId: string;
	status: "succeeded" | "queued";
	/** Absent when the task was handed over with `async: true`. */
	result?: R;
}

/** An agent's latest output lines (its console and ctx.log), oldest first, from the node that runs it. */
export interface AgentLogs {
	id: string;
	node: string;
	lines: string[];
}

export interface NodeInfo {
	node: string;
	version: string;
	instanceId: string | null;
	startedAt: string;
	config: Record<string, unknown>;
}

export class AgentOSApiError extends Error {
	constructor(
		/** The HTTP status; 0 when no answer came. */
		readonly status: number,
		readonly type: string,
		message: string,
		readonly data?: unknown
	) {
		super(message);
		this.name = "AgentOSApiError";
	}
}

const API = "/api/v1";
const seg = encodeURIComponent;

/** A declarative agent's answer: the loop's result, with the session and what was recalled. */
export interface AgentChatAnswer {
	taskId: string;
	sessionId: string;
	answer: string | null;
	stopReason: "answer" | "max_steps" | "budget_tokens" | "budget_usd";
	steps: { step: number; toolCalls: { id: string; toolId: string; arguments: Record<string, unknown>; ok: boolean; result: string }[] }[];
	usage: { promptTokens: number; completionTokens: number; totalTokens: number };
	costUsd: number;
	provider: string | null;
	model: string | null;
	recalled: { id: string; content: string; score: number }[];
	/** How recall went (absent when the agent recalls nothing): the query's embedding model and how many memories it could not compare, or why it was skipped. */
	recall?: RecallReport;
}

export type AgentChatEvent =
	| { type: "token"; text: string }
	| { type: "model"; step: number; usage: AgentChatAnswer["usage"]; costUsd: number }
	| { type: "tool_call"; step: number; call: { id: string; name: string; arguments: Record<string, unknown> } }
	| { type: "tool_result"; step: number; callId: string; ok: boolean; summary: string }
	| { type: "answer"; text: string }
	| { type: "end"; result: AgentChatAnswer }
	| { type: "error"; error: { type: string; message: string; code?: number; data?: unknown } };

export class AgentOSHttpClient {
	readonly url: string;
	private readonly token: string;
	private readonly fetchImpl: typeof fetch;

	/** Forums, jobs, reputation, the directory, policies, cases, sanctions and appeals. */
	readonly society = new SocietyClient((method, path, body) => this.request(method, path, body));

	/** Agents' memories: store, hybrid search, list, forget, restore, share; chat sessions. */
	readonly memory = new MemoryClient((method, path, body) => this.request(method, path, body));

	constructor(opts: AgentOSHttpClientOptions) {
		this.url = opts.url.replace(/\/+$/, "");
		this.token = opts.token;
		this.fetchImpl = opts.fetch ?? fetch;
	}

	/** `path` is taken from the node's root (`/api/v1/agents`, `/health`). */
	async request<T>(method: string, path: string, body?: unknown): Promise<T> {
		const res = await this.send(method, path, body);
		const text = await res.text().catch(err => {
			throw this.unreachable(err);
		});
		if (!text) return undefined as T;
		try {
			return JSON.parse(text) as T;
		} catch {
			throw new AgentOSApiError(res.status, "BAD_RESPONSE", `${method} ${path} answered ${res.status} with a body that is not JSON`);
		}
	}

	node(): Promise<NodeInfo> {
		return this.request("GET", `${API}/node`);
	}

	readonly tokens = {
		/** The answer is the only time the token itself is seen. */
		create: (opts: { name: string; scopes: Scope[]; expiresInDays?: number }): Promise<ApiToken & { token: string }> =>
			this.request("POST", `${API}/tokens`, opts),
		list: (): Promise<ApiToken[]> => this.request("GET", `${API}/tokens`),
		revoke: (id: string): Promise<ApiToken> => this.request("DELETE", `${API}/tokens/${seg(id)}`)
	};

	readonly audit = {
		/** Newest first. */
		query: (filters: AuditFilters & { limit?: number; offset?: number } = {}): Promise<Page<AuditRecord>> =>
			this.request("GET", `${API}/audit${queryString(filters)}`),
		verify: (): Promise<AuditVerifyResult> => this.request("GET", `${API}/audit/verify`),
		/** One JSON object a line (without the newline), oldest first, as the node streams them. */
		export: (filters: AuditFilters = {}): AsyncIterable<string> => this.lines(`${API}/audit/export${queryString(filters)}`)
	};

	readonly tasks = {
		/** Recent tasks of every agent, newest first, with status, duration and error. */
		list: (q: Omit<TaskQuery, "since"> & { since?: Date | string } = {}): Promise<TaskPage> => this.request("GET", `${API}/tasks${queryString(q)}`),
		/** The task with its run: the steps it made (timings, costs), attempts, what a suspended run waits for, the step it failed at. */
		get: (id: string): Promise<TaskDetail> => this.request("GET", `${API}/tasks/${seg(id)}`),
		/** Cancels a task that has not ended (409 TASK_ENDED when it has); answers it as it is now. */
		cancel: (id: string): Promise<TaskDetail> => this.request("POST", `${API}/tasks/${seg(id)}/cancel`),
		/** Queues a failed durable run again from its last good step (409 TASK_NOT_RESUMABLE otherwise). */
		resume: (id: string): Promise<TaskDetail> => this.request("POST", `${API}/tasks/${seg(id)}/resume`)
	};

	readonly approvals = {
		/** Newest first. */
		list: (opts: { status?: ApprovalStatus; limit?: number; offset?: number } = {}): Promise<Page<Approval>> => this.request("GET", `${API}/approvals${queryString(opts)}`),
		/** A grant request (`action: "permissions.grant"`) needs an admin token; approving it grants the capability. */
		approve: (id: string, note?: string): Promise<Approval> => this.request("POST", `${API}/approvals/${seg(id)}/approve`, note ? { note } : {}),
		deny: (id: string, note?: string): Promise<Approval> => this.request("POST", `${API}/approvals/${seg(id)}/deny`, note ? { note } : {})
	};

	readonly agents = {
		/** The agent's grants, and the capabilities its manifest asked for that wait for an admin. */
		grants: (id: string): Promise<{ items: Grant[]; pending: PendingGrant[] }> => this.request("GET", `${API}/agents/${seg(id)}/grants`),
		/** `q`: a part of the id or name; `sort`: created, id, name or state, `-` first for descending. */
		list: (opts: { state?: string; q?: string; sort?: string; limit?: number; offset?: number } = {}): Promise<Page<AgentView>> =>
			this.request("GET", `${API}/agents${queryString(opts)}`),
		get: (id: string): Promise<AgentView> => this.request("GET", `${API}/agents/${seg(id)}`),
		spawn: (manifest: AgentManifest | Record<string, unknown>): Promise<AgentView> => this.request("POST", `${API}/agents`, { manifest }),
		stop: (id: string): Promise<AgentView> => this.request("POST", `${API}/agents/${seg(id)}/stop`),
		start: (id: string): Promise<AgentView> => this.request("POST", `${API}/agents/${seg(id)}/start`),
		restart: (id: string): Promise<AgentView> => this.request("POST", `${API}/agents/${seg(id)}/restart`),
		remove: (id: string): Promise<AgentView> => this.request("DELETE", `${API}/agents/${seg(id)}`),
		task: <R = unknown>(id: string, task: { type: string } & Record<string, unknown>, opts: { async?: boolean; timeoutMs?: number } = {}): Promise<TaskOutcome<R>> =>
			this.request("POST", `${API}/agents/${seg(id)}/tasks`, { task, ...opts }),
		/** A chat message for the agent (declarative agents answer them; code agents get a `chat` task). */
		chat: (id: string, message: string, opts: { sessionId?: string; timeoutMs?: number } = {}): Promise<AgentChatAnswer> =>
			this.request("POST", `${API}/agents/${seg(id)}/chat`, { message, ...opts }),
		/** The chat's events as they happen — `token`, `model`, `tool_call`, `tool_result`, `answer` — then `end` with the answer (or `error`). */
		chatStream: (id: string, message: string, opts: { sessionId?: string; timeoutMs?: number } = {}): AsyncIterable<AgentChatEvent> =>
			this.events<AgentChatEvent>(`${API}/agents/${seg(id)}/chat`, { message, ...opts, stream: true }),
		/** `lines`: how many of the latest (1–200; the node's default is 100). */
		logs: (id: string, lines?: number): Promise<AgentLogs> => this.request("GET", `${API}/agents/${seg(id)}/logs${queryString({ lines })}`)
	};

	readonly llm = {
		chat: (request: ChatRequest & { agentId?: string }): Promise<ChatResult> => this.request("POST", `${API}/llm/chat`, request),
		/** The answer as it comes (server-sent events): text, tool calls, then `{type: "end", result}`. */
		stream: (request: ChatRequest & { agentId?: string }): AsyncIterable<StreamLine> => this.events(`${API}/llm/chat`, { ...request, stream: true })
	};

	/** The `data:` lines of a server-sent event stream, parsed. */
	private async *events<T = StreamLine>(path: string, body: unknown): AsyncIterable<T> {
		const res = await this.send("POST", path, body);
		if (!res.body) return;
		// A reader rather than `for await`: browsers' ReadableStream is not async-iterable everywhere.
		const reader = res.body.getReader();
		const decoder = new TextDecoder();
		let pending = "";
		try {
			for (;;) {
				const { done, value } = await reader.read();
				if (done) break;
				pending += decoder.decode(value, { stream: true });
				const events = pending.split("\n\n");
				pending = events.pop() ?? "";
				for (const event of events) {
					const data = event.split("\n").find(l => l.startsWith("data: "));
					if (data) yield JSON.parse(data.slice(6)) as T;
				}
			}
		} finally {
			// A consumer that stops early must not leave the connection open.
			await reader.cancel().catch(() => undefined);
		}
	}

	/** The raw response, once its status says success. */
	private async send(method: string, path: string, body?: unknown): Promise<Response> {
		const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: "application/json" };
		if (body !== undefined) headers["content-type"] = "application/json";
		let res: Response;
		try {
			res = await this.fetchImpl(`${this.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
		} catch (err) {
			throw this.unreachable(err);
		}
		if (!res.ok) throw await apiError(res);
		return res;
	}

	private async *lines(path: string): AsyncIterable<string> {
		const res = await this.send("GET", path);
		if (!res.body) return;
		const reader = res.body.getReader();
		const decoder = new TextDecoder();
		let pending = "";
		try {
			for (;;) {
				const { done, value } = await reader.read().catch(err => {
					throw this.unreachable(err);
				});
				pending += done ? decoder.decode() : decoder.decode(value, { stream: true });
				const parts = pending.split("\n");
				pending = parts.pop() ?? "";
				for (const line of parts) if (line) yield line;
				if (done) break;
			}
			if (pending) yield pending;
		} finally {
			// A consumer that stops early must not leave the connection open.
			await reader.cancel().catch(() => undefined);
		}
	}

	private unreachable(err: unknown): AgentOSApiError {
		const e = err as Error & { cause?: { code?: string; message?: string } };
		const reason = e.cause?.code ?? e.cause?.message ?? e.message;
		return new AgentOSApiError(0, "UNREACHABLE", `Cannot reach the AgentOS node at ${this.url} (${reason})`);
	}
}

/** The API's error body when there is one; otherwise the status and the start of the text (a proxy's page, say). */
async function apiError(res: Response): Promise<AgentOSApiError> {
	const text = await res.text().catch(() => "");
	try {
		const { error } = JSON.parse(text) as { error?: { type?: string; message?: string; data?: unknown } };
		if (error?.type) return new AgentOSApiError(res.status, error.type, error.message ?? res.statusText, error.data);
	} catch {
		// Not JSON: fall through.
	}
	const snippet = text.trim().slice(0, 200);
	return new AgentOSApiError(res.status, `HTTP_${res.status}`, snippet || res.statusText || `HTTP ${res.status}`);
}

