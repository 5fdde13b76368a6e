import type { Approval } from "../../sdk/http-client";
import { expectPositionals, UsageError } from "../args";
import { connect, EXIT, parseClientArgs, printJson, printTable, runClientCommand } from "./common";

export const APPROVALS_USAGE = `Usage: agent-os approvals list [--all] [--json]
       agent-os approvals approve|deny ID [--note TEXT] [--json]`;

/** What is asked: the capability of a grant request; an action's arguments otherwise. */
function what(a: Approval): string {
	const params = (a.params ?? {}) as Record<string, unknown>;
	return typeof params.capability === "string" ? params.capability : JSON.stringify(params);
}

/** `agent-os approvals …`: actions and grant requests waiting for a person, and deciding them. */
export function approvalsCommand(argv: readonly string[]): Promise<number> {
	return runClientCommand(APPROVALS_USAGE, argv, async () => {
		const [sub, ...rest] = argv;
		if (sub === "list") {
			const args = parseClientArgs(rest, { booleans: ["all", "json"] });
			expectPositionals(args, []);
			const page = await connect(args).approvals.list({ status: args.booleans.has("all") ? undefined : "pending", limit: 1000 });
			if (args.booleans.has("json")) printJson(page);
			else printTable(["ID", "AGENT", "ACTION", "WHAT", "STATUS", "REQUESTED"], page.items.map(a => [a.id, a.agentId, a.action, what(a), a.status, a.requestedAt]));
			return EXIT.ok;
		}
		if (sub === "approve" || sub === "deny") {
			const args = parseClientArgs(rest, { strings: ["note"], booleans: ["json"] });
			const [id] = expectPositionals(args, ["ID"]);
			const client = connect(args).approvals;
			const decided = await (sub === "approve" ? client.approve(id, args.strings.note) : client.deny(id, args.strings.note));
			if (args.booleans.has("json")) printJson(decided);
			else console.log(`${decided.status === "approved" ? "Approved" : "Denied"} ${decided.action} ${what(decided)} for ${decided.agentId}`);
			return EXIT.ok;
		}
		throw new UsageError(sub ? `Unknown approvals command "${sub}"` : "Missing an approvals command");
	});
}
