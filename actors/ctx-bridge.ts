import { Errors, type CallingOptions, type ServiceBroker } from "moleculer";
import { inputProblem } from "../lib/kernel/input-guard";
import type { Caller } from "./agent-api";
import type { AgentCallPort, TaskOrigin } from "./agent-calls";
import { isStreamTarget, relayTo, streamedChat } from "./chat-stream-relay";
import type { EnvelopeSigner } from "./envelope";
import { PermissionDeniedError } from "../lib/security/errors";
import { SelfAskError } from "./errors";
import type { AgentManifest } from "./manifest-types";
import { societyAction } from "./society-api";
import type { StateStore } from "./state-store";

import type { CtxMethod } from "./workers/protocol";

/** Steps of ctx.llm.run when the agent names none, and the most it may ask for. */
const DEFAULT_MAX_STEPS = 8;
const MAX_STEPS = 50;

/**
 * The framework's tool-calling loop, handed in by the layer above (the runtime does not
 * know the framework): model calls and tool calls as this agent, to an answer or a limit.
 */
export type ToolLoop = (
	message: string,
	deps: { chat(request: object): Promise<unknown>; invokeTool(toolId: string, args: Record<string, unknown>): Promise<unknown> },
	options: { model?: string; instructions?: string; history: unknown[]; tools: { id: string }[]; maxSteps: number; maxTokens?: number; maxUsd?: number; onEvent?(event: unknown): void }
) => Promise<unknown>;

export interface BridgeDeps {
	broker: ServiceBroker;
	manifest: AgentManifest;
	signer: EnvelopeSigner;
	state: StateStore;
	toolLoop?: ToolLoop;
}

/** An action call as the agent, for the task at hand; `timeout` only ever shortens the task's remaining time. */
type Call = (action: string, params: unknown, timeout?: number) => Promise<unknown>;
type Handler = (args: unknown[], call: Call) => Promise<unknown>;

const obj = (value: unknown): Record<string, unknown> => (value && typeof value === "object" ? (value as Record<string, unknown>) : {});

/**
 * What agent code may ask of the cluster. Every call goes out with the agent's identity
 * in `meta.caller`; the actions it reaches declare the capability they need, and the
 * security middleware checks the agent's grants (and audits) wherever they run. Anything
 * not listed here does not exist for agent code.
 */
export function createCtxBridge(deps: BridgeDeps): AgentCallPort {
	const { broker, manifest, signer, state, toolLoop } = deps;
	const id = manifest.id;

	const routes: Record<CtxMethod, Handler> = {
		// The manifest's preferredModel routes the agent's calls that name no model.
		"llm.chat": ([req], call) => {
			const model = (obj(req).model as string | undefined) ?? manifest.preferredModel;
			return call("mal.chat", { ...obj(req), ...(model ? { model } : {}), agentId: id });
		},
		"llm.embed": ([req], call) => call("mal.embed", { ...obj(req), agentId: id }),
		"llm.run": async ([req], call) => {
			const r = obj(req);
			const wanted = Array.isArray(r.tools) ? (r.tools as string[]) : [];
			if (!toolLoop) throw new PermissionDeniedError(id, "llm.run");
			const tools = wanted.length ? ((await call("tools.list", {})) as { id: string }[]).filter(t => wanted.includes(t.id)) : [];
			// With `stream`, tokens and the loop's events go to the node holding the client's stream as they happen.
			const relay = isStreamTarget(r.stream) ? relayTo(broker, r.stream) : undefined;
			const result = await toolLoop(
				String(r.message ?? ""),
				{
					chat: request =>
						relay
							? streamedChat(call, { ...request, agentId: id }, text => relay.emit({ type: "token", text }))
							: call("mal.chat", { ...request, agentId: id }),
					invokeTool: async (toolId, args) => ((await call("tools.invoke", { agentId: id, toolId, arguments: args })) as { content: unknown }).content
				},
				{
					model: (r.model as string | undefined) ?? manifest.model ?? manifest.preferredModel,
					instructions: r.instructions as string | undefined,
					history: Array.isArray(r.history) ? r.history : [],
					tools,
					maxSteps: Math.min(Number(r.maxSteps) || DEFAULT_MAX_STEPS, MAX_STEPS),
					maxTokens: r.maxTokens as number | undefined,
					maxUsd: r.maxUsd as number | undefined,
					...(relay && { onEvent: (event: unknown) => relay.emit(event) })
				}
			);
			await relay?.flushed();
			return result;
		},
		"memory.store": ([m], call) => call("memory.store", { ...obj(m), agentId: id }),
		"memory.search": ([q], call) => call("memory.search", { ...obj(q), agentId: id }),
		"memory.get": ([memoryId], call) => call("memory.get", { memoryId, agentId: id }),
		"memory.forget": ([memoryId], call) => call("memory.forget", { memoryId, agentId: id }),
		"memory.list": ([q], call) => call("memory.list", { ...obj(q), agentId: id }),
		"memory.history": ([q], call) => call("memory.history", { ...obj(q), agentId: id }),
		"memory.appendHistory": ([q], call) => call("memory.appendHistory", { ...obj(q), agentId: id }),
		"tools.list": (_args, call) => call("tools.list", {}),
		"tools.invoke": ([toolId, args], call) => call("tools.invoke", { agentId: id, toolId, arguments: obj(args) }),
		"agents.ask": ([target, task, options], call) => {
			if (String(target) === id && manifest.limits.maxConcurrency <= 1) throw new SelfAskError(id);
			const timeoutMs = obj(options).timeoutMs as number | undefined;
			const envelope = signer.seal(id, String(target), broker.nodeID, task);
			// The transport may wait a little longer than the task itself, so the agent's own timeout answers first.
			return call(`agent.${String(target)}.ask`, { task, envelope, ...(timeoutMs ? { timeoutMs } : {}) }, timeoutMs ? timeoutMs + 5000 : undefined);
		},
		"agents.send": ([target, task], call) => call(`agent.${String(target)}.tell`, { task, envelope: signer.seal(id, String(target), broker.nodeID, task) }),
		society: ([name, params], call) => {
			const action = societyAction(name);
			if (!action) throw new PermissionDeniedError(id, `society.${String(name)}`);
			return call(action, obj(params));
		},
		"node.health": (_args, call) => call("monitoring.report", {}),
		"node.alert": ([alert], call) => call("monitoring.alert", obj(alert)),
		"state.get": ([key]) => state.get(id, String(key)),
		"state.set": ([key, value]) => state.set(id, String(key), value),
		"state.delete": ([key]) => state.delete(id, String(key)),
		"state.list": () => state.list(id)
	};

	const caller: Caller = { kind: "agent", id, node: broker.nodeID, trustLevel: manifest.trustLevel };
	const rootCall: Call = (action, params, timeout) => broker.call(action, params, { meta: { caller }, ...(timeout ? { timeout } : {}) });
	return async (method, args, origin) => {
		const route = Object.hasOwn(routes, method) ? routes[method] : undefined;
		if (!route) throw new PermissionDeniedError(id, method);
		// The input rules, also for what goes straight to the database (ctx.state) rather than through an action.
		const problem = inputProblem(args);
		if (problem) throw problem;
		const call: Call = origin ? (action, params, timeout) => broker.call(action, params, childOf(origin, caller, action, broker.nodeID, timeout)) : rootCall;
		return route(Array.isArray(args) ? args : [], call);
	};
}

/**
 * A call as a child of the task's context: the same request id (so audit entries and traces
 * follow the task), the task's context as parent, and no more time than the task has left.
 * The task's meta goes along, but never who the task's caller was: the call is the agent's
 * (a user's token scopes or another agent's grant on it would let the agent act as them).
 * Through `broker.call` with `parentCtx` rather than `ctx.call`, so what the call sets in
 * its meta does not flow back into the task caller's answer.
 */
function childOf(origin: TaskOrigin, caller: Caller, action: string, nodeID: string, timeout?: number): CallingOptions {
	const left = origin.deadline - Date.now();
	if (left <= 0) throw new Errors.RequestSkippedError({ action, nodeID });
	return { parentCtx: origin.ctx, meta: { caller, user: undefined, grant: undefined }, timeout: timeout ? Math.min(timeout, left) : left };
}
