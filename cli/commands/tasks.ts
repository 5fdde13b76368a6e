import type { TaskQuery, TaskStatus, TaskSummary } from "../../sdk/http-client";
import { expectPositionals, intFlag, UsageError } from "../args";
import { connect, EXIT, parseClientArgs, printJson, printTable, runClientCommand } from "./common";

export const TASKS_USAGE = `Usage: agent-os tasks [--agent ID] [--status queued|running|succeeded|failed] [--since ISO] [--limit N] [--offset N] [--json]
       agent-os tasks get ID [--json]`;

const STATUSES: readonly TaskStatus[] = ["queued", "running", "succeeded", "failed"];

function errorOf(t: TaskSummary): string {
	const e = t.error as { type?: string; message?: string } | null;
	return e ? [e.type, e.message].filter(Boolean).join(": ") : "";
}

/** `agent-os tasks [get ID]`: the recent tasks of every agent, and one task. */
export function tasksCommand(argv: readonly string[]): Promise<number> {
	return runClientCommand(TASKS_USAGE, argv, async () => {
		if (argv[0] === "get") {
			const args = parseClientArgs(argv.slice(1), { booleans: ["json"] });
			const [id] = expectPositionals(args, ["ID"]);
			const task = await connect(args).tasks.get(id);
			if (args.booleans.has("json")) printJson(task);
			else printTable(["ID", "AGENT", "TYPE", "STATUS", "MS", "CREATED", "ERROR"], [[task.id, task.agentId, task.type, task.status, task.durationMs ?? "", task.createdAt, errorOf(task)]]);
			return EXIT.ok;
		}
		const args = parseClientArgs(argv, { strings: ["agent", "status", "since", "limit", "offset"], booleans: ["json"] });
		expectPositionals(args, []);
		const { agent, status, since } = args.strings;
		const known = STATUSES.find(s => s === status);
		if (status !== undefined && !known) throw new UsageError(`--status must be one of ${STATUSES.join(", ")} (got "${status}")`);
		if (since !== undefined && Number.isNaN(Date.parse(since))) throw new UsageError(`--since must be an ISO date or time, e.g. 2025-01-31T12:00:00Z (got "${since}")`);
		const query: Omit<TaskQuery, "since"> & { since?: string } = { agentId: agent, status: known, since, limit: intFlag(args, "limit", 1, 500), offset: intFlag(args, "offset", 0, 2_147_483_647) };
		const page = await connect(args).tasks.list(query);
		if (args.booleans.has("json")) printJson(page);
		else {
			printTable(["ID", "AGENT", "TYPE", "STATUS", "MS", "CREATED", "ERROR"], page.items.map(t => [t.id, t.agentId, t.type, t.status, t.durationMs ?? "", t.createdAt, errorOf(t)]));
			console.log(`${page.offset + page.items.length} of ${page.total}`);
		}
		return EXIT.ok;
	});
}
