import crypto from "node:crypto";
import { A2AError } from "@a2a-js/sdk/errors";
import { ClientFactory, DefaultAgentCardResolver, JsonRpcTransportFactory, type Client } from "@a2a-js/sdk/client";
import { Role, TaskState, type AgentCard, type Message, type Part, type Task } from "@a2a-js/sdk";
import { A2aInvalidCardError, A2aRemoteError, A2aUnauthorizedError, A2aUnreachableError } from "./a2a-errors";

/** What a remote agent's card says, as the directory keeps it. */
export interface RemoteCard {
	name: string;
	description: string;
	/** The JSON-RPC endpoint the card names. */
	url: string;
	skills: string[];
	card: AgentCard;
}

/** A remote agent's answer, as a tool result: a message, or a task (finished or still to poll). */
export interface RemoteAnswer {
	kind: "message" | "task";
	text: string;
	data: unknown[];
	taskId?: string;
	contextId?: string;
	/** For a task: submitted, working, completed, failed, canceled, input_required, rejected, auth_required. */
	state?: string;
}

// Peers that still speak 0.3 (Mastra, VoltAgent, LangGraph) are answered through the SDK's compat layer.
const LEGACY = { enabled: true };

/** Reads and checks a card through `fetchImpl` (the guarded fetch). */
export async function resolveCard(cardUrl: string, fetchImpl: typeof fetch, toolId: string): Promise<RemoteCard> {
	let card: AgentCard;
	try {
		card = await new DefaultAgentCardResolver({ fetchImpl, legacyCompat: LEGACY }).resolve(cardUrl, "");
	} catch (err) {
		if (typeof (err as { type?: unknown }).type === "string") throw err;
		if (err instanceof SyntaxError) throw new A2aInvalidCardError(cardUrl, "it is not JSON");
		const message = (err as Error).message;
		// The resolver's "Failed to fetch Agent Card … : 404" is the remote's answer, not an outage.
		const status = /: (4\d\d)$/.exec(message)?.[1];
		if (status === "401" || status === "403") throw new A2aUnauthorizedError(toolId, new URL(cardUrl).origin, Number(status));
		if (status !== undefined) throw new A2aInvalidCardError(cardUrl, `it answered ${status}`);
		throw new A2aUnreachableError(toolId, new URL(cardUrl).origin, message);
	}
	if (typeof card.name !== "string" || card.name.trim() === "") throw new A2aInvalidCardError(cardUrl, "it has no name");
	const rpc = (card.supportedInterfaces ?? []).find(i => i.protocolBinding === "JSONRPC" && typeof i.url === "string" && i.url !== "");
	if (!rpc) throw new A2aInvalidCardError(cardUrl, "it names no JSON-RPC interface (supportedInterfaces)");
	const skills = (card.skills ?? []).map(s => (s.id || s.name || "").toLowerCase()).filter(Boolean);
	return { name: card.name, description: card.description ?? "", url: rpc.url, skills, card };
}

export function clientFor(card: AgentCard, fetchImpl: typeof fetch): Promise<Client> {
	const factory = new ClientFactory({
		transports: [new JsonRpcTransportFactory({ fetchImpl, legacyCompat: LEGACY })],
		cardResolver: new DefaultAgentCardResolver({ fetchImpl, legacyCompat: LEGACY })
	});
	return factory.createFromAgentCard(card);
}

/** A user message with the text, and the data as a data part when there is some. */
export function userMessage(text: string, data: unknown, ids: { taskId?: string; contextId?: string }): Message {
	const parts: Part[] = [{ content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "text/plain" }];
	if (data !== undefined) parts.push({ content: { $case: "data", value: data }, metadata: undefined, filename: "", mediaType: "application/json" });
	return { messageId: crypto.randomUUID(), contextId: ids.contextId ?? "", taskId: ids.taskId ?? "", role: Role.ROLE_USER, parts, metadata: undefined, extensions: [], referenceTaskIds: [] };
}

function isTask(result: Message | Task): result is Task {
	return "status" in result || "artifacts" in result;
}

function collect(parts: Part[], into: { text: string[]; data: unknown[] }): void {
	for (const p of parts) {
		if (p.content?.$case === "text") into.text.push(p.content.value);
		else if (p.content?.$case === "data") into.data.push(p.content.value);
	}
}

/** `TASK_STATE_INPUT_REQUIRED` → `input_required`. */
export function stateName(state: TaskState): string {
	return (TaskState[state] ?? "TASK_STATE_UNSPECIFIED").replace(/^TASK_STATE_/, "").toLowerCase();
}

/** The answer's text and data: a message's parts, or a task's artifacts and status message. */
export function summarise(result: Message | Task): RemoteAnswer {
	const out = { text: [] as string[], data: [] as unknown[] };
	if (!isTask(result)) {
		collect(result.parts ?? [], out);
		return { kind: "message", text: out.text.join("\n"), data: out.data, ...(result.taskId ? { taskId: result.taskId } : {}), ...(result.contextId ? { contextId: result.contextId } : {}) };
	}
	for (const a of result.artifacts ?? []) collect(a.parts ?? [], out);
	// The status message often repeats the artifacts; it is the answer only when there are none (a failure's reason, a question).
	if (out.text.length === 0 && out.data.length === 0 && result.status?.message) collect(result.status.message.parts ?? [], out);
	return { kind: "task", text: out.text.join("\n"), data: out.data, taskId: result.id, contextId: result.contextId, state: stateName(result.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED) };
}

/** The SDK's errors as AgentOS errors: a JSON-RPC error keeps the remote's code and message; anything else untyped is an outage. */
export function remoteError(err: unknown, toolId: string, origin: string): Error {
	if (typeof (err as { type?: unknown }).type === "string") return err as Error;
	if (err instanceof A2AError) {
		const e = err as A2AError & { code?: unknown; envelopeCode?: unknown };
		const code = typeof e.code === "number" ? e.code : typeof e.envelopeCode === "number" ? e.envelopeCode : -32603;
		return new A2aRemoteError(toolId, code, e.message);
	}
	const message = (err as Error).message ?? String(err);
	// The SDK's "HTTP error for SendMessage! Status: 401 …": the credentials, not the network.
	const status = /Status: (401|403)\b/.exec(message)?.[1];
	if (status !== undefined) return new A2aUnauthorizedError(toolId, origin, Number(status));
	// The reason may quote the remote's answer: short, so an error never carries a whole page.
	return new A2aUnreachableError(toolId, origin, message.length > 300 ? `${message.slice(0, 300)}…` : message);
}
