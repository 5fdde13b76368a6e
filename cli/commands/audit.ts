import { once } from "node:events";
import type { AuditFilters } from "../../sdk/http-client";
import { expectPositionals, intFlag, UsageError, type ParsedArgs } from "../args";
import { connect, EXIT, parseClientArgs, printJson, printTable, runClientCommand } from "./common";

export const AUDIT_USAGE = `Usage: agent-os audit [--agent ID] [--actor ID] [--principal ID] [--target ID] [--action A] [--outcome O] [--since ISO] [--until ISO] [--limit N] [--json]
       agent-os audit verify [--json]
       agent-os audit export [--agent ID] [--actor ID] [--principal ID] [--target ID] [--action A] [--outcome O] [--since ISO] [--until ISO]`;

const FILTER_FLAGS = ["agent", "actor", "principal", "target", "action", "outcome", "since", "until"];
const OUTCOMES = ["allowed", "denied", "succeeded", "failed"];

/** `agent-os audit [verify|export]`: read the audit log, check its hash chain, export it. */
export function auditCommand(argv: readonly string[]): Promise<number> {
	return runClientCommand(AUDIT_USAGE, argv, async () => {
		const sub = argv[0] === "verify" || argv[0] === "export" ? argv[0] : undefined;
		const rest = sub ? argv.slice(1) : argv;
		if (sub === "verify") {
			const args = parseClientArgs(rest, { booleans: ["json"] });
			expectPositionals(args, []);
			const result = await connect(args).audit.verify();
			const anchor = result.checkpoint ? `, checkpoint seq ${result.checkpoint.seq} of ${result.checkpoint.at}` : ", no checkpoint yet";
			if (args.booleans.has("json")) printJson(result);
			else if (result.ok) console.log(`audit chain ok (${result.checked} entries checked${anchor})`);
			else console.log(`audit chain BROKEN (${result.firstBad?.check}) at seq ${result.firstBad?.seq}: ${result.firstBad?.reason}`);
			// A broken chain is the node refusing to vouch for its log: the same code as a refusal.
			return result.ok ? EXIT.ok : EXIT.refused;
		}
		if (sub === "export") {
			const args = parseClientArgs(rest, { strings: FILTER_FLAGS });
			expectPositionals(args, []);
			const filters = auditFilters(args);
			const client = connect(args);
			// `agent-os audit export | head` closes the pipe early; that is not an error.
			process.stdout.on("error", err => {
				if ((err as NodeJS.ErrnoException).code === "EPIPE") process.exit(EXIT.ok);
				throw err;
			});
			for await (const line of client.audit.export(filters)) {
				if (!process.stdout.write(`${line}\n`)) await once(process.stdout, "drain");
			}
			return EXIT.ok;
		}
		const args = parseClientArgs(rest, { strings: [...FILTER_FLAGS, "limit"], booleans: ["json"] });
		expectPositionals(args, []);
		const page = await connect(args).audit.query({ ...auditFilters(args), limit: intFlag(args, "limit", 1, 1000) });
		if (args.booleans.has("json")) printJson(page);
		else {
			const rows = page.items.map(e => [e.seq, e.at, e.principal?.id ?? "", `${e.actor.kind}:${e.actor.id}`, e.action, e.target, e.outcome]);
			printTable(["SEQ", "TIME", "PRINCIPAL", "ACTOR", "ACTION", "TARGET", "OUTCOME"], rows);
		}
		return EXIT.ok;
	});
}

/** Checked here so a typo is a usage error with the usage line, not a 422 from the node. */
function auditFilters(args: ParsedArgs): AuditFilters {
	const { agent, actor, principal, target, action, outcome, since, until } = args.strings;
	if (outcome !== undefined && !OUTCOMES.includes(outcome)) throw new UsageError(`--outcome must be one of ${OUTCOMES.join(", ")} (got "${outcome}")`);
	for (const [name, value] of [["since", since], ["until", until]] as const) {
		if (value !== undefined && Number.isNaN(Date.parse(value))) throw new UsageError(`--${name} must be an ISO date or time, e.g. 2025-01-31T12:00:00Z (got "${value}")`);
	}
	return { agentId: agent, actorId: actor, principalId: principal, target, action, outcome: outcome as AuditFilters["outcome"], since, until };
}
