import type { ServiceBroker } from "moleculer";
import { inputProblem } from "../lib/kernel/input-guard";
import type { Caller } from "./agent-api";
import { isStreamTarget, relayTo, streamedChat } from "./chat-stream-relay";
import type { EnvelopeSigner } from "./envelope";
import { PermissionDeniedError, SelfAskError } from "./errors";
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

type Handler = (args: unknown[], caller: Caller) => Promise<unknown>;

const obj = (value: unknown): Record<string, unknown> => (value && typeof value === "object" ? (value as Record<string, unknown>) : {});

/**
 * What agent code may ask of the cluster. Every call goes out with the agent's identity
 * in `meta.caller`; the actions it reaches declare the capability they need, and the
 * security middleware checks the agent's grants (and audits) wherever they run. Anything
 * not listed here does not exist for agent code.
 */
export function createCtxBridge(deps: BridgeDeps): (method: CtxMethod, args: unknown[]) => Promise<unknown> {
	const { broker, manifest, signer, state, toolLoop } = deps;
	const id = manifest.id;
	const call = (action: string, params: unknown, caller: Caller, timeout?: number) =>
		broker.call(action, params, { meta: { caller }, ...(timeout ? { timeout } : {}) });

	const routes: Record<CtxMethod, Handler> = {
		// The manifest's preferredModel routes the agent's calls that name no model.
		"llm.chat": ([req], c) => {
			const model = (obj(req).model as string | undefined) ?? manifest.preferredModel;
			return call("mal.chat", { ...obj(req), ...(model ? { model } : {}), agentId: id }, c);
		},
		"llm.embed": ([req], c) => call("mal.embed", { ...obj(req), agentId: id }, c),
		"llm.run": async ([req], c) => {
			const r = obj(req);
			const wanted = Array.isArray(r.tools) ? (r.tools as string[]) : [];
			if (!toolLoop) throw new PermissionDeniedError(id, "llm.run");
			const tools = wanted.length ? ((await call("tools.list", {}, c)) as { id: string }[]).filter(t => wanted.includes(t.id)) : [];
			// With `stream`, tokens and the loop's events go to the node holding the client's stream as they happen.
			const relay = isStreamTarget(r.stream) ? relayTo(broker, r.stream) : undefined;
			const result = await toolLoop(
				String(r.message ?? ""),
				{
					chat: request =>
						relay
							? streamedChat(broker, { ...request, agentId: id }, c, text => relay.emit({ type: "token", text }))
							: call("mal.chat", { ...request, agentId: id }, c),
					invokeTool: async (toolId, args) => ((await call("tools.invoke", { agentId: id, toolId, arguments: args }, c)) as { content: unknown }).content
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
		"memory.store": ([m], c) => call("memory.store", { ...obj(m), agentId: id }, c),
		"memory.search": ([q], c) => call("memory.search", { ...obj(q), agentId: id }, c),
		"memory.get": ([memoryId], c) => call("memory.get", { memoryId, agentId: id }, c),
		"memory.forget": ([memoryId], c) => call("memory.forget", { memoryId, agentId: id }, c),
		"memory.list": ([q], c) => call("memory.list", { ...obj(q), agentId: id }, c),
		"memory.history": ([q], c) => call("memory.history", { ...obj(q), agentId: id }, c),
		"memory.appendHistory": ([q], c) => call("memory.appendHistory", { ...obj(q), agentId: id }, c),
		"tools.list": (_args, c) => call("tools.list", {}, c),
		"tools.invoke": ([toolId, args], c) => call("tools.invoke", { agentId: id, toolId, arguments: obj(args) }, c),
		"agents.ask": ([target, task, options], c) => {
			if (String(target) === id && manifest.limits.maxConcurrency <= 1) throw new SelfAskError(id);
			const timeoutMs = obj(options).timeoutMs as number | undefined;
			const envelope = signer.seal(id, String(target), broker.nodeID, task);
			// The transport may wait a little longer than the task itself, so the agent's own timeout answers first.
			return call(`agent.${String(target)}.ask`, { task, envelope, ...(timeoutMs ? { timeoutMs } : {}) }, c, timeoutMs ? timeoutMs + 5000 : undefined);
		},
		"agents.send": ([target, task], c) => call(`agent.${String(target)}.tell`, { task, envelope: signer.seal(id, String(target), broker.nodeID, task) }, c),
		society: ([name, params], c) => {
			const action = societyAction(name);
			if (!action) throw new PermissionDeniedError(id, `society.${String(name)}`);
			return call(action, obj(params), c);
		},
		"node.health": (_args, c) => call("monitoring.report", {}, c),
		"node.alert": ([alert], c) => call("monitoring.alert", obj(alert), c),
		"state.get": ([key]) => state.get(id, String(key)),
		"state.set": ([key, value]) => state.set(id, String(key), value),
		"state.delete": ([key]) => state.delete(id, String(key)),
		"state.list": () => state.list(id)
	};

	const caller: Caller = { kind: "agent", id, node: broker.nodeID, trustLevel: manifest.trustLevel };
	return async (method, args) => {
		const route = Object.hasOwn(routes, method) ? routes[method] : undefined;
		if (!route) throw new PermissionDeniedError(id, method);
		// The input rules, also for what goes straight to the database (ctx.state) rather than through an action.
		const problem = inputProblem(args);
		if (problem) throw problem;
		return route(Array.isArray(args) ? args : [], caller);
	};
}
