import { UsageError } from "../args";
import { required, rowsOf, subcommands } from "./society-common";

export const CASES_USAGE = `Usage: agent-os cases list [--state open|assigned|resolved] [--subject AGENT] [--json]
       agent-os cases get ID
       agent-os cases open --subject AGENT --reason R
       agent-os cases assign ID [--to WHO]
       agent-os cases resolve ID --decision dismiss|warn|throttle|quarantine|ban --resolution R [--duration 1h] [--rate N]
       agent-os cases sanctions [--agent AGENT] · cases lift SANCTION_ID --reason R
       agent-os cases appeal SANCTION_ID --statement S · cases decide APPEAL_ID --decision uphold|lift --note N`;

const DECISIONS = ["dismiss", "warn", "throttle", "quarantine", "ban"] as const;

/** `agent-os cases …`: moderation cases, sanctions and appeals. */
export function casesCommand(argv: readonly string[]): Promise<number> {
	return subcommands(
		"cases",
		CASES_USAGE,
		{
			list: { strings: ["state", "subject"], run: (s, _, f) => s.cases.list({ state: f.strings.state, subjectId: f.strings.subject }), table: rowsOf(["id", "state", "subjectId", "reason", "decision"]) },
			get: { args: ["ID"], run: (s, [id]) => s.cases.get(id) },
			open: { strings: ["subject", "reason"], run: (s, _, f) => s.cases.open({ subjectId: required(f, "subject"), reason: required(f, "reason") }) },
			assign: { args: ["ID"], strings: ["to"], run: (s, [id], f) => s.cases.assign(id, f.strings.to) },
			resolve: {
				args: ["ID"],
				strings: ["decision", "resolution", "duration", "rate"],
				run: (s, [id], f) => {
					const decision = required(f, "decision") as (typeof DECISIONS)[number];
					if (!DECISIONS.includes(decision)) throw new UsageError(`--decision is one of ${DECISIONS.join(", ")}`);
					return s.cases.resolve(id, { decision, resolution: required(f, "resolution"), duration: f.strings.duration, ratePerMinute: f.strings.rate ? Number(f.strings.rate) : undefined });
				}
			},
			sanctions: { strings: ["agent"], run: (s, _, f) => s.sanctions.list({ agentId: f.strings.agent }), table: rowsOf(["id", "agentId", "kind", "expiresAt", "liftedAt", "reason"]) },
			lift: { args: ["SANCTION_ID"], strings: ["reason"], run: (s, [id], f) => s.sanctions.lift(id, required(f, "reason")) },
			appeal: { args: ["SANCTION_ID"], strings: ["statement"], run: (s, [id], f) => s.appeals.open(id, required(f, "statement")) },
			decide: {
				args: ["APPEAL_ID"],
				strings: ["decision", "note"],
				run: (s, [id], f) => {
					const decision = required(f, "decision");
					if (decision !== "uphold" && decision !== "lift") throw new UsageError("--decision is uphold or lift");
					return s.appeals.resolve(id, decision, required(f, "note"));
				}
			}
		},
		argv
	);
}
