import { expectPositionals, intFlag, UsageError } from "../args";
import { connect, EXIT, parseClientArgs, printJson, runClientCommand } from "./common";

export const ASK_USAGE = `Usage: agent-os ask ID TASK_JSON [--async] [--timeout-ms N] [--json]
       e.g. agent-os ask hello '{"type":"greet","name":"Ada"}'`;

/**
 * `agent-os ask`: run a task on an agent and print its result as JSON (with --async, the
 * task id to look up later; with --json, the whole answer: task id, status and result).
 */
export function askCommand(argv: readonly string[]): Promise<number> {
	return runClientCommand(ASK_USAGE, argv, async () => {
		const args = parseClientArgs(argv, { strings: ["timeout-ms"], booleans: ["async", "json"] });
		const [id, taskJson] = expectPositionals(args, ["ID", "TASK_JSON"]);
		const task = parseTask(taskJson);
		const async = args.booleans.has("async");
		const outcome = await connect(args).agents.task(id, task, { async, timeoutMs: intFlag(args, "timeout-ms", 1, 86_400_000) });
		printJson(async || args.booleans.has("json") ? outcome : (outcome.result ?? null));
		return EXIT.ok;
	});
}

function parseTask(text: string): { type: string } & Record<string, unknown> {
	let task: unknown;
	try {
		task = JSON.parse(text);
	} catch (err) {
		throw new UsageError(`TASK_JSON is not JSON: ${(err as Error).message}`);
	}
	const t = task as Record<string, unknown> | null;
	if (!t || typeof t !== "object" || Array.isArray(t) || typeof t.type !== "string") {
		throw new UsageError('TASK_JSON must be a JSON object with a "type", e.g. {"type":"greet"}');
	}
	return t as { type: string } & Record<string, unknown>;
}
