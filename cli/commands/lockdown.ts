import type { Lockdown } from "../../sdk/society";
import { expectPositionals, UsageError } from "../args";
import { connect, EXIT, parseClientArgs, printJson, runClientCommand } from "./common";

export const LOCKDOWN_USAGE = `Usage: agent-os lockdown [status] [--json]
       agent-os lockdown start --reason TEXT [--agents ID,ID…] [--json]
       agent-os lockdown lift --reason TEXT [--json]`;

function describe(l: Lockdown): string {
	const who = l.selection ? `the agents ${l.selection.join(", ")}` : "every agent";
	return `Lockdown ${l.id} of ${who} since ${l.createdAt} by ${l.createdBy}: "${l.reason}"; quarantined: ${l.agents.join(", ") || "none"}`;
}

/** `agent-os lockdown …`: the incident lockdown — whether one is in force, starting one, lifting it. */
export function lockdownCommand(argv: readonly string[]): Promise<number> {
	return runClientCommand(LOCKDOWN_USAGE, argv, async () => {
		const [sub = "status", ...rest] = argv[0]?.startsWith("--") ? ["status", ...argv] : argv;
		if (sub === "status") {
			const args = parseClientArgs(rest, { booleans: ["json"] });
			expectPositionals(args, []);
			const { lockdown } = await connect(args).society.lockdown.status();
			if (args.booleans.has("json")) printJson({ lockdown });
			else console.log(lockdown ? describe(lockdown) : "No lockdown is in force");
			return EXIT.ok;
		}
		if (sub === "start" || sub === "lift") {
			const args = parseClientArgs(rest, { strings: sub === "start" ? ["reason", "agents"] : ["reason"], booleans: ["json"] });
			expectPositionals(args, []);
			const { reason, agents } = args.strings;
			if (!reason) throw new UsageError(`--reason is required: say why the lockdown ${sub === "start" ? "starts" : "ends"}`);
			const client = connect(args).society.lockdown;
			const ids = agents?.split(",").map(a => a.trim()).filter(Boolean);
			const done = sub === "start" ? await client.start(reason, ids) : await client.lift(reason);
			if (args.booleans.has("json")) printJson(done);
			else console.log(sub === "start" ? describe(done) : `Lifted lockdown ${done.id}: ${done.agents.length} quarantines ended ("${reason}")`);
			return EXIT.ok;
		}
		throw new UsageError(`Unknown lockdown command "${sub}"`);
	});
}
