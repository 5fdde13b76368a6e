import { PromptTooLargeError } from "./errors";
import type { ChatMessage } from "./types";
import { INT_MAX } from "../schema/number-bounds";

/** fastest-validator schemas of the normalized request, shared by mal's actions. */
export const MESSAGE_RULE = {
	type: "object",
	props: {
		role: { type: "enum", values: ["system", "user", "assistant", "tool"] },
		content: { type: "string", nullable: true, optional: true },
		toolCalls: {
			type: "array",
			optional: true,
			items: { type: "object", props: { id: "string", name: "string", arguments: { type: "object", optional: true } } }
		},
		toolCallId: { type: "string", optional: true },
		name: { type: "string", optional: true }
	}
} as const;

export const CHAT_PARAMS = {
	model: { type: "string", optional: true, max: 200 },
	messages: { type: "array", min: 1, max: 10000, items: MESSAGE_RULE },
	tools: {
		type: "array",
		optional: true,
		max: 128,
		items: { type: "object", props: { name: { type: "string", pattern: /^[A-Za-z0-9_.:-]{1,64}$/ }, description: { type: "string", optional: true }, parameters: "object" } }
	},
	toolChoice: [
		{ type: "enum", values: ["auto", "none", "required"], optional: true },
		{ type: "object", props: { name: "string" }, optional: true }
	],
	temperature: { type: "number", min: 0, max: 2, optional: true },
	maxTokens: { type: "number", integer: true, positive: true, max: INT_MAX, optional: true },
	stop: { type: "array", items: "string", max: 4, optional: true },
	agentId: { type: "string", optional: true, max: 100 }
} as const;

/** The prompt's size in characters, refused with 413 when over the limit. */
export function checkPromptSize(messages: ChatMessage[], maxChars: number): void {
	const size = messages.reduce((n, m) => n + (m.content?.length ?? 0) + JSON.stringify(m.toolCalls ?? []).length, 0);
	if (size > maxChars) {
		throw new PromptTooLargeError(size, maxChars);
	}
}
