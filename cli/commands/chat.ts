import readline from "node:readline";
import type { ChatMessage } from "../../lib/mal/types";
import { AgentOSApiError, type AgentChatAnswer } from "../../sdk/http-client";
import { apiErrorLine, connect, EXIT, parseClientArgs, runClientCommand } from "./common";

export const CHAT_USAGE = `Usage: agent-os chat [MESSAGE] [--model M] [--system TEXT]
       agent-os chat [MESSAGE] --agent ID [--session S]
       with a MESSAGE: one streamed answer; without: an interactive conversation (Ctrl-D or /quit ends it;
       an error is shown and the conversation goes on).
       --agent talks to an agent (its tools and memory; the session's history is kept by the node, default session "cli")`;

/** An error that came as a stream's last event: the same as one that came as the response. */
function streamError(error: { type: string; message: string; code?: number; data?: unknown }): AgentOSApiError {
	return new AgentOSApiError(error.code ?? 0, error.type, error.message, error.data);
}

/**
 * The line after an agent's answer. A declarative agent's loop reports its model, tokens,
 * cost and why it stopped; a code agent's result has what its code put there.
 */
function answerFooter(r: Partial<AgentChatAnswer>): string {
	const parts = [r.provider && r.model ? `${r.provider}/${r.model}` : r.model, r.usage && `${r.usage.totalTokens} tokens`, typeof r.costUsd === "number" ? `$${r.costUsd.toFixed(4)}` : undefined, r.stopReason];
	const shown = parts.filter(p => typeof p === "string" && p !== "");
	return shown.length ? `\n(${shown.join(", ")})\n` : "\n";
}

/**
 * `agent-os chat`: talk to the node's model layer, streaming the answer as it comes.
 * The conversation's history stays in this process and goes with every turn.
 */
export function chatCommand(argv: readonly string[]): Promise<number> {
	return runClientCommand(CHAT_USAGE, argv, async () => {
		const args = parseClientArgs(argv, { strings: ["model", "system", "agent", "session"] });
		const client = connect(args);
		const messages: ChatMessage[] = args.strings.system ? [{ role: "system", content: args.strings.system }] : [];
		const agentId = args.strings.agent;
		const toAgent = async (text: string) => {
			let streamed = false;
			for await (const event of client.agents.chatStream(agentId!, text, { sessionId: args.strings.session ?? "cli" })) {
				if (event.type === "token") {
					streamed = true;
					process.stdout.write(event.text);
				} else if (event.type === "tool_call") process.stdout.write(`\n[tool call ${event.call.name} ${JSON.stringify(event.call.arguments)}]\n`);
				else if (event.type === "tool_result") process.stdout.write(`[${event.ok ? "ok" : "failed"}]\n`);
				else if (event.type === "end") {
					const r: Partial<AgentChatAnswer> = event.result;
					// A code agent answers at the end, in one piece.
					if (!streamed && typeof r.answer === "string") process.stdout.write(r.answer);
					process.stderr.write(answerFooter(r));
				} else if (event.type === "error") throw streamError(event.error);
			}
		};
		const turn = async (text: string) => {
			if (agentId) return toAgent(text);
			messages.push({ role: "user", content: text });
			let answer = "";
			try {
				for await (const line of client.llm.stream({ messages, ...(args.strings.model ? { model: args.strings.model } : {}) })) {
					if (line.type === "text") {
						answer += line.text;
						process.stdout.write(line.text);
					} else if (line.type === "tool_call") process.stdout.write(`\n[tool call ${line.call.name} ${JSON.stringify(line.call.arguments)}]`);
					else if (line.type === "end") process.stderr.write(`\n(${line.result.provider}/${line.result.model}, ${line.result.usage.totalTokens} tokens)\n`);
					else if (line.type === "error") throw streamError(line.error);
				}
			} catch (err) {
				// A turn that failed is not part of the conversation the model sees next.
				messages.pop();
				throw err;
			}
			messages.push({ role: "assistant", content: answer });
		};

		const message = args.positionals.join(" ").trim();
		if (message) {
			await turn(message);
			return EXIT.ok;
		}
		const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
		rl.setPrompt("you> ");
		rl.prompt();
		for await (const line of rl) {
			const text = line.trim();
			if (text === "/quit" || text === "/exit") break;
			if (text) {
				try {
					await turn(text);
				} catch (err) {
					// A refused turn is shown, and the conversation goes on.
					if (!(err instanceof AgentOSApiError)) throw err;
					process.stderr.write(`\n${apiErrorLine(err)}\n`);
				}
			}
			rl.prompt();
		}
		rl.close();
		return EXIT.ok;
	});
}
