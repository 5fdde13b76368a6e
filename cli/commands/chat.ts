import readline from "node:readline";
import type { ChatMessage } from "../../lib/mal/types";
import { connect, EXIT, parseClientArgs, runClientCommand } from "./common";

export const CHAT_USAGE = `Usage: agent-os chat [MESSAGE] [--model M] [--system TEXT]
       with a MESSAGE: one streamed answer; without: an interactive conversation (Ctrl-D or /quit ends it)`;

/**
 * `agent-os chat`: talk to the node's model layer, streaming the answer as it comes.
 * The conversation's history stays in this process and goes with every turn.
 */
export function chatCommand(argv: readonly string[]): Promise<number> {
	return runClientCommand(CHAT_USAGE, argv, async () => {
		const args = parseClientArgs(argv, { strings: ["model", "system"] });
		const client = connect(args);
		const messages: ChatMessage[] = args.strings.system ? [{ role: "system", content: args.strings.system }] : [];
		const turn = async (text: string) => {
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
