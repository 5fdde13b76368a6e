/**
 * `ctx.llm` for agent code: model calls as the agent, and the framework's tool-calling
 * loop (`llm.run`), registered in the node's ctx registry by the composition root.
 */
import { actionMethod, asObject, type CtxMethod } from "../../actors/ctx-registry";
import type { ChatResult } from "../mal/results";
import type { ChatMessage } from "../mal/types";
import type { ToolInfo } from "../tools/tool";
import { isStreamTarget, relayTo, streamedChat } from "./chat-stream-relay";
import { confirmingTools, toolsToConfirm } from "./tool-confirmation";
import { runToolLoop, type LoopEvent } from "./tool-loop";

/** Steps of ctx.llm.run when the agent names none, and the most it may ask for. */
const DEFAULT_MAX_STEPS = 8;
const MAX_STEPS = 50;

const optional = <T>(value: unknown, is: (v: unknown) => boolean): T | undefined => (is(value) ? (value as T) : undefined);
const isString = (v: unknown) => typeof v === "string";
const isNumber = (v: unknown) => typeof v === "number";

/** The manifest's preferredModel answers the agent's calls that name no model. */
const chat = actionMethod("llm.chat", "mal.chat", "llm.execute", ([req], agent) => {
	const model = (asObject(req).model as string | undefined) ?? agent.manifest.preferredModel;
	return { ...asObject(req), ...(model ? { model } : {}), agentId: agent.id };
});

const embed = actionMethod("llm.embed", "mal.embed", "llm.execute", ([req], agent) => ({ ...asObject(req), agentId: agent.id }));

/**
 * The framework's loop as the agent: its model calls are `mal.chat` (`mal.stream` when the
 * caller streams) and its tool calls `tools.invoke`, each checked against the agent's grants
 * where it runs; the manifest's tools marked requiresConfirmation wait for a person first.
 * With `stream`, tokens and the loop's events go to the node holding the client's stream as
 * they happen.
 */
const run: CtxMethod = {
	name: "llm.run",
	capability: "llm.execute",
	async handle([req], call, agent) {
		const r = asObject(req);
		const id = agent.id;
		const wanted = Array.isArray(r.tools) ? r.tools.map(String) : [];
		// Only the agent's tools: the answer is a step of a durable run, journaled whole.
		const tools = wanted.length ? ((await call("tools.list", { ids: wanted })) as ToolInfo[]) : [];
		const relay = isStreamTarget(r.stream) ? relayTo(agent.broker, r.stream) : undefined;
		const result = await runToolLoop(
			String(r.message ?? ""),
			{
				chat: request =>
					relay
						? streamedChat(call, { ...request, agentId: id }, text => relay.emit({ type: "token", text }))
						: (call("mal.chat", { ...request, agentId: id }) as Promise<ChatResult>),
				// Tools the manifest marks requiresConfirmation are asked of a person first.
				...confirmingTools(call, toolsToConfirm(agent.manifest, tools), async (toolId, args) => ((await call("tools.invoke", { agentId: id, toolId, arguments: args })) as { content: unknown }).content)
			},
			{
				model: optional<string>(r.model, isString) ?? agent.manifest.model ?? agent.manifest.preferredModel,
				instructions: optional<string>(r.instructions, isString),
				// mal.chat checks each message when the loop sends them.
				history: Array.isArray(r.history) ? (r.history as ChatMessage[]) : [],
				tools,
				maxSteps: Math.min(Number(r.maxSteps) || DEFAULT_MAX_STEPS, MAX_STEPS),
				maxTokens: optional<number>(r.maxTokens, isNumber),
				maxUsd: optional<number>(r.maxUsd, isNumber),
				...(relay && { onEvent: (event: LoopEvent) => relay.emit(event) })
			}
		);
		await relay?.flushed();
		return result;
	}
};

export const frameworkCtxMethods: readonly CtxMethod[] = [chat, embed, run];
