import type { CreateScheduleParams, ScheduleView } from "../../sdk/cluster";
import { expectPositionals, intFlag, UsageError, type ParsedArgs } from "../args";
import { clusterClient } from "./cluster";
import { EXIT, parseClientArgs, printJson, printTable, runClientCommand } from "./common";

export const SCHEDULES_USAGE = `Usage: agent-os schedules list [--json]
       agent-os schedules create (--cron EXPR [--timezone TZ] | --every MS) (--agent ID --task JSON | --action NAME [--params JSON])
                                 [--name NAME] [--max-failures N] [--timeout-ms MS] [--paused] [--json]
       agent-os schedules get|pause|resume|trigger|delete ID [--json]
       agent-os schedules runs ID [--limit N] [--json]`;

/** `agent-os schedules …`: scheduled jobs, fired once per tick by the cluster's leader. */
export function schedulesCommand(argv: readonly string[]): Promise<number> {
	return runClientCommand(SCHEDULES_USAGE, argv, async () => {
		const [sub, ...rest] = argv;
		switch (sub) {
			case "list": {
				const args = parseClientArgs(rest, { booleans: ["json"] });
				expectPositionals(args, []);
				const page = await clusterClient(args).schedules.list();
				if (args.booleans.has("json")) printJson(page);
				else printTable(["ID", "NAME", "WHEN", "STATE", "NEXT RUN", "FAILURES"], page.items.map(s => [s.id, s.name, when(s), s.state, s.nextRunAt, s.consecutiveFailures]));
				return EXIT.ok;
			}
			case "create": {
				const args = parseClientArgs(rest, { strings: ["cron", "timezone", "every", "agent", "task", "action", "params", "name", "max-failures", "timeout-ms"], booleans: ["paused", "json"] });
				expectPositionals(args, []);
				show(args, await clusterClient(args).schedules.create(createParams(args)));
				return EXIT.ok;
			}
			case "runs": {
				const args = parseClientArgs(rest, { strings: ["limit"], booleans: ["json"] });
				const [id] = expectPositionals(args, ["ID"]);
				const runs = await clusterClient(args).schedules.runs(id, intFlag(args, "limit", 1, 1000));
				if (args.booleans.has("json")) printJson(runs);
				else printTable(["RUN", "TICK", "TRIGGER", "NODE", "STATUS", "ERROR"], runs.map(r => [r.id, r.tickAt ?? r.startedAt, r.trigger, r.node, r.status, r.error?.message]));
				return EXIT.ok;
			}
			case "get":
			case "pause":
			case "resume":
			case "trigger":
			case "delete": {
				const args = parseClientArgs(rest, { booleans: ["json"] });
				const [id] = expectPositionals(args, ["ID"]);
				const client = clusterClient(args).schedules;
				if (sub === "trigger") {
					const run = await client.trigger(id);
					if (args.booleans.has("json")) printJson(run);
					else console.log(`run ${run.id} ${run.status}${run.error ? `: ${run.error.message}` : ""}`);
					return run.status === "failed" ? EXIT.refused : EXIT.ok;
				}
				show(args, await (sub === "get" ? client.get(id) : sub === "pause" ? client.pause(id) : sub === "resume" ? client.resume(id) : client.remove(id)));
				return EXIT.ok;
			}
			default:
				throw new UsageError(sub ? `Unknown schedules command "${sub}"` : "Missing a schedules command");
		}
	});
}

function when(s: ScheduleView): string {
	return s.cron ? `cron ${s.cron} (${s.timezone})` : `every ${s.intervalMs} ms`;
}

function show(args: ParsedArgs, s: ScheduleView): void {
	if (args.booleans.has("json")) printJson(s);
	else console.log(`${s.id} ${s.name}: ${when(s)}, ${s.state}${s.pausedReason ? ` (${s.pausedReason})` : ""}, next run ${s.nextRunAt ?? "none"}`);
}

function json(args: ParsedArgs, flag: string): Record<string, unknown> | undefined {
	const text = args.strings[flag];
	if (text === undefined) return undefined;
	try {
		const value: unknown = JSON.parse(text);
		if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
	} catch {
		// reported below
	}
	throw new UsageError(`--${flag} must be a JSON object, e.g. '{"type": "report"}' (got ${text})`);
}

function createParams(args: ParsedArgs): CreateScheduleParams {
	const { cron, timezone, agent, action, name } = args.strings;
	const every = intFlag(args, "every", 100, 366 * 24 * 3600 * 1000);
	if ((cron === undefined) === (every === undefined)) throw new UsageError("Give one of --cron EXPR and --every MS");
	if ((agent === undefined) === (action === undefined)) throw new UsageError("Give one of --agent ID (with --task JSON) and --action NAME");
	return {
		...(cron !== undefined && { cron, timezone }),
		...(every !== undefined && { intervalMs: every }),
		target: { agent, action, task: json(args, "task"), params: json(args, "params") },
		name,
		maxFailures: intFlag(args, "max-failures", 0, 1000),
		timeoutMs: intFlag(args, "timeout-ms", 100, 86_400_000),
		...(args.booleans.has("paused") && { paused: true })
	};
}
