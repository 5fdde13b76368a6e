import type { ChatMessage } from "../mal/types";
import type { ConversationStore, HistoryMessage, SessionKey } from "./conversation-store";

/** Summaries are rewritten in steps of half a window, not after every message. */
const STEP_FRACTION = 0.5;
const MAX_SUMMARY_CHARS = 4000;

export interface SummaryOptions {
	window: number;
	/** Asks a model for the summary; when it fails the summary is made without one. */
	summarize(prompt: ChatMessage[]): Promise<string>;
}

function transcript(messages: HistoryMessage[]): string {
	return messages.map(m => `${m.role}: ${m.content}`).join("\n");
}

/** Without a model: the earlier summary and the first sentence of each message, cut to size. */
export function extractiveSummary(previous: string | null, messages: HistoryMessage[]): string {
	const lines = messages.map(m => `${m.role}: ${(m.content.split(/(?<=[.!?])\s/)[0] ?? "").slice(0, 200)}`);
	const text = [previous, ...lines].filter(Boolean).join("\n");
	return text.length > MAX_SUMMARY_CHARS ? text.slice(text.length - MAX_SUMMARY_CHARS) : text;
}

/**
 * Keeps a session's context bounded: once the messages that have slid out of the window
 * (and are not yet summarised) reach half a window, they are folded into the running
 * summary. `total` is the session's message count (its last seq: seqs run from 1).
 * Returns whether the summary changed.
 */
export async function foldIntoSummary(store: ConversationStore, key: SessionKey, total: number, options: SummaryOptions): Promise<boolean> {
	const outside = total - options.window;
	const step = Math.max(1, Math.floor(options.window * STEP_FRACTION));
	// Most appends end here, without reading anything: not even half a window has slid out.
	if (outside < step) return false;
	const current = await store.summary(key);
	if (outside - current.summaryCovers < step) return false;
	const folding = await store.between(key, current.summaryCovers, outside);
	if (!folding.length) return false;
	const prompt: ChatMessage[] = [
		{
			role: "system",
			content: "You keep the running summary of a conversation. Rewrite the summary to include the new messages: keep facts, names, decisions, open questions; drop pleasantries. Answer with the summary alone."
		},
		{ role: "user", content: `Summary so far:\n${current.summary ?? "(none)"}\n\nNew messages:\n${transcript(folding)}` }
	];
	const asked = await options.summarize(prompt).then(
		text => text.trim(),
		() => ""
	);
	const summary = asked || extractiveSummary(current.summary, folding);
	await store.saveSummary(key, summary.slice(0, MAX_SUMMARY_CHARS), folding[folding.length - 1].seq);
	return true;
}
