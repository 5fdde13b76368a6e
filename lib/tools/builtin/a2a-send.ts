import { ToolRefusedError } from "../errors";
import type { ToolContext, ToolDefinition, ToolPolicy, ToolResult } from "../tool";
import { checkUrl, type LookupFn } from "./url-guard";
import { CardCache } from "../a2a/card-cache";
import { clientFor, remoteError, resolveCard, summarise, userMessage } from "../a2a/a2a-remote";
import { guardedFetch } from "../a2a/guarded-fetch";
import type { RemoteAgentStore } from "../a2a/remote-agent-store";

const SEND = "builtin:a2a_send";
const GET_TASK = "builtin:a2a_get_task";

export interface A2aToolOptions {
	/** The directory's remote agents, so a call may name one by id and use its stored token. */
	remotes?: Pick<RemoteAgentStore, "get" | "tokenOf">;
	/** Shared by a2a_send and a2a_get_task, so polling a task does not read the card each time. */
	cards?: CardCache;
	lookup?: LookupFn;
}

const TARGET = {
	cardUrl: { type: "string", description: "The remote agent's Agent Card URL (e.g. https://host/a2a/echo/.well-known/agent-card.json)." },
	agent: { type: "string", description: "Or the directory id of a remote agent (GET /api/v1/directory?status=remote); its stored token is used." },
	token: { type: "string", description: "Bearer token for the remote, sent only to the card's host." }
} as const;

interface Target {
	cardUrl: string;
	token?: string;
}

/** The card URL and token of the call: given, or the directory entry's. */
async function targetOf(args: Record<string, unknown>, toolId: string, options: A2aToolOptions): Promise<Target> {
	const refuse = (reason: string): ToolRefusedError => new ToolRefusedError(toolId, reason);
	const token = typeof args.token === "string" && args.token !== "" ? args.token : undefined;
	if (typeof args.cardUrl === "string" && args.cardUrl !== "") return { cardUrl: args.cardUrl, token };
	if (typeof args.agent !== "string" || args.agent === "") throw refuse("name the remote agent: cardUrl, or agent (a remote directory id)");
	const entry = options.remotes ? await options.remotes.get(args.agent) : null;
	if (!entry) throw refuse(`${args.agent} is not a remote agent of the directory (POST /api/v1/directory/remote adds one)`);
	return { cardUrl: entry.cardUrl, token: token ?? (await options.remotes?.tokenOf(entry.id)) };
}

/** A client for the target's card, every request through the SSRF guard and allowlist of http_fetch. */
async function connect(target: Target, toolId: string, policy: ToolPolicy, ctx: ToolContext, options: A2aToolOptions, cards: CardCache) {
	// The card URL is checked first, for every caller (and its grant's domains), even when its card is cached.
	const origin = (await checkUrl(target.cardUrl, policy, ctx.constraints.domains, options.lookup, toolId)).url.origin;
	const fetchImpl = guardedFetch(policy, {
		toolId,
		narrowed: ctx.constraints.domains,
		token: target.token,
		tokenOrigin: origin,
		maxBytes: policy.maxOutputBytes,
		signal: ctx.signal,
		timeoutMs: policy.timeoutMs,
		lookup: options.lookup
	});
	try {
		let card = cards.get(target.cardUrl, target.token);
		if (!card) cards.set(target.cardUrl, target.token, (card = await resolveCard(target.cardUrl, fetchImpl, toolId)));
		return { client: await clientFor(card.card, fetchImpl), origin };
	} catch (err) {
		throw remoteError(err, toolId, origin);
	}
}

/** The built-in `a2a_send`: a message to a remote A2A agent; its answer, or the task to poll with `a2a_get_task`. */
export function a2aSendTool(policy: ToolPolicy, options: A2aToolOptions = {}): ToolDefinition {
	const cards = options.cards ?? new CardCache();
	return {
		id: SEND,
		description:
			"Send a message to a remote A2A agent (by its Agent Card URL or remote directory id) and get its answer; with wait=false, get the task id at once and poll it with a2a_get_task.",
		capability: "a2a.remote",
		source: "builtin",
		parameters: {
			type: "object",
			properties: {
				...TARGET,
				message: { type: "string", minLength: 1, description: "The text to send." },
				data: { description: "Structured input, sent as a data part beside the text." },
				contextId: { type: "string", description: "Continue this conversation." },
				taskId: { type: "string", description: "Continue this task (one that asked for input)." },
				wait: { type: "boolean", default: true, description: "false: return as soon as the remote has accepted the task." }
			},
			required: ["message"],
			additionalProperties: false
		},
		run: async (args, ctx): Promise<ToolResult> => {
			const target = await targetOf(args, SEND, options);
			const { client, origin } = await connect(target, SEND, policy, ctx, options, cards);
			const ids = { taskId: args.taskId as string | undefined, contextId: args.contextId as string | undefined };
			try {
				const result = await client.sendMessage(
					{
						tenant: "",
						message: userMessage(args.message as string, args.data, ids),
						configuration: { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately: args.wait === false },
						metadata: undefined
					},
					{ signal: ctx.signal }
				);
				return { content: summarise(result) };
			} catch (err) {
				throw remoteError(err, SEND, origin);
			}
		}
	};
}

/** The built-in `a2a_get_task`: where a remote task is, and its answer once it has one. */
export function a2aGetTaskTool(policy: ToolPolicy, options: A2aToolOptions = {}): ToolDefinition {
	const cards = options.cards ?? new CardCache();
	return {
		id: GET_TASK,
		description: "Read a task of a remote A2A agent (sent with a2a_send): its state, and its answer once it has one.",
		capability: "a2a.remote",
		source: "builtin",
		parameters: {
			type: "object",
			properties: { ...TARGET, taskId: { type: "string", minLength: 1 } },
			required: ["taskId"],
			additionalProperties: false
		},
		run: async (args, ctx): Promise<ToolResult> => {
			const target = await targetOf(args, GET_TASK, options);
			const { client, origin } = await connect(target, GET_TASK, policy, ctx, options, cards);
			try {
				return { content: summarise(await client.getTask({ tenant: "", id: args.taskId as string }, { signal: ctx.signal })) };
			} catch (err) {
				throw remoteError(err, GET_TASK, origin);
			}
		}
	};
}
