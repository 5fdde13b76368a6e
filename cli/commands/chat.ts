import readline from "node:readline";
import type { ChatMessage } from "../../lib/mal/types";
import { connect, EXIT, parseClientArgs, runClientCommand } from "./common";

export const CHAT_USAGE = `Usage: agent-os chat [MESSAGE] [--model M] [--system TEXT]
       agent-os chat [MESSAGE] --agent ID [--session S]
       with a MESSAGE: one streamed answer; without: an interactive conversation (Ctrl-D or /quit ends it).
       --agent talks to an agent (its tools and memory; the session's history is kept by the node, default session "cli")`;

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
			for await (const event of client.agents.chatStream(agentId!, text, { sessionId: args.strings.session ?? "cli" })) {
				if (event.type === "token") process.stdout.write(event.text);
				else if (event.type === "tool_call") process.stdout.write(`\n[tool call ${event.call.name} ${JSON.stringify(event.call.arguments)}]\n`);
				else if (event.type === "tool_result") process.stdout.write(`[${event.ok ? "ok" : "failed"}]\n`);
				else if (event.type === "end") {
					const r = event.result;
					process.stderr.write(`\n(${r.provider}/${r.model}, ${r.usage.totalTokens} tokens, $${r.costUsd.toFixed(4)}, ${r.stopReason})\n`);
				} else if (event.type === "error") throw Object.assign(new Error(event.error.message), { type: event.error.type });
			}
		};
		const turn = async (text: string) => {
			if (agentId) return toAgent(text);
			messages.push({ role: "user", content: text });
			let answer = "";
			for await (const line of client.llm.stream({ messages, ...(args.strings.model ? { model: args.strings.model } : {}) })) {
				if (line.type === "text") {
					answer += line.text;
					process.stdout.write(line.text);
				} else if (line.type === "tool_call") process.stdout.write(`\n[tool call ${line.call.name} ${JSON.stringify(line.call.arguments)}]`);
				else if (line.type === "end") process.stderr.write(`\n(${line.result.provider}/${line.result.model}, ${line.result.usage.totalTokens} tokens)\n`);
				else if (line.type === "error") throw Object.assign(new Error(line.error.message), { type: line.error.type });
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
			if (text) await turn(text);
			rl.prompt();
		}
		rl.close();
		return EXIT.ok;
	});
}
