import type { TaskQuery, TaskStatus } from "../../sdk/http-client";
import { expectPositionals, intFlag, UsageError } from "../args";
import { connect, EXIT, parseClientArgs, printJson, printTable, runClientCommand } from "./common";
import { errorOf, printTaskDetail } from "./task-detail";

export const TASKS_USAGE = `Usage: agent-os tasks [--agent ID] [--status queued|running|suspended|succeeded|failed|cancelled] [--since ISO] [--limit N] [--offset N] [--json]
       agent-os tasks show ID [--json]     One task: state, attempts, what it waits for, the failed step, its steps
       agent-os tasks cancel ID [--json]   Cancel a task that has not ended
       agent-os tasks resume ID [--json]   Run a failed durable task again from its last good step`;

const STATUSES: readonly TaskStatus[] = ["queued", "running", "suspended", "succeeded", "failed", "cancelled"];

/** `agent-os tasks [show|cancel|resume ID]`: the recent tasks of every agent, one task with its run, and acting on a run. */
export function tasksCommand(argv: readonly string[]): Promise<number> {
	return runClientCommand(TASKS_USAGE, argv, async () => {
		const [sub, ...rest] = argv;
		if (sub === "show" || sub === "get" || sub === "cancel" || sub === "resume") {
			const args = parseClientArgs(rest, { booleans: ["json"] });
			const [id] = expectPositionals(args, ["ID"]);
			const tasks = connect(args).tasks;
			const task = await (sub === "cancel" ? tasks.cancel(id) : sub === "resume" ? tasks.resume(id) : tasks.get(id));
			if (args.booleans.has("json")) printJson(task);
			else if (sub === "cancel") console.log(`Task ${task.id} is ${task.status}`);
			else if (sub === "resume") console.log(`Task ${task.id} is ${task.status} again; it goes on after its ${task.steps.length} journaled steps`);
			else printTaskDetail(task);
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
			printTable(["ID", "AGENT", "TYPE", "STATUS", "ATTEMPTS", "MS", "CREATED", "ERROR"], page.items.map(t => [t.id, t.agentId, t.type, t.status, t.attempts, t.durationMs ?? "", t.createdAt, errorOf(t)]));
			console.log(`${page.offset + page.items.length} of ${page.total}`);
		}
		return EXIT.ok;
	});
}
