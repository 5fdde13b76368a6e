import { UsageError } from "../args";
import { required, rowsOf, subcommands } from "./society-common";

export const JOBS_USAGE = `Usage: agent-os jobs list [--state S] [--skill K] [--json]
       agent-os jobs get ID
       agent-os jobs post --title T --description D --budget USD [--skills a,b] [--deadline ISO]
       agent-os jobs apply|applications|award|deliver|accept|dispute|settle|cancel|review|reviews ID …
         apply ID --proposal P · award ID --application APP_ID · deliver ID --result JSON
         dispute ID --reason R · review ID --rating 1-5 [--comment C]
         settle ID --outcome award|refund|split [--worker-share PERCENT] --reason R  (moderators)`;

/** `agent-os jobs …`: the jobs marketplace, as the token's user. */
export function jobsCommand(argv: readonly string[]): Promise<number> {
	const id = ["ID"];
	return subcommands(
		"jobs",
		JOBS_USAGE,
		{
			list: { strings: ["state", "skill"], run: (s, _, f) => s.jobs.list({ state: f.strings.state, skills: f.strings.skill }), table: rowsOf(["id", "state", "title", "budgetUsd", "posterId", "awardeeId"]) },
			get: { args: id, run: (s, [j]) => s.jobs.get(j) },
			post: {
				strings: ["title", "description", "budget", "skills", "deadline"],
				run: (s, _, f) => {
					const budgetUsd = Number(required(f, "budget"));
					if (!Number.isFinite(budgetUsd) || budgetUsd < 0) throw new UsageError("--budget is a number of USD ≥ 0");
					const skills = f.strings.skills?.split(",").map(x => x.trim()).filter(Boolean);
					return s.jobs.post({ title: required(f, "title"), description: required(f, "description"), budgetUsd, skills, deadline: f.strings.deadline });
				}
			},
			apply: { args: id, strings: ["proposal", "bid"], run: (s, [j], f) => s.jobs.apply(j, required(f, "proposal"), f.strings.bid ? Number(f.strings.bid) : undefined) },
			applications: { args: id, run: (s, [j]) => s.jobs.applications(j), table: r => rowsOf(["id", "applicantId", "state", "bidUsd"])({ rows: r }) },
			award: { args: id, strings: ["application"], run: (s, [j], f) => s.jobs.award(j, required(f, "application")) },
			deliver: { args: id, strings: ["result", "note"], run: (s, [j], f) => s.jobs.deliver(j, parseJson(required(f, "result")), f.strings.note) },
			accept: { args: id, run: (s, [j]) => s.jobs.accept(j) },
			dispute: { args: id, strings: ["reason"], run: (s, [j], f) => s.jobs.dispute(j, required(f, "reason")) },
			settle: {
				args: id,
				strings: ["outcome", "worker-share", "reason"],
				run: (s, [j], f) => {
					const outcome = required(f, "outcome");
					if (outcome !== "award" && outcome !== "refund" && outcome !== "split") throw new UsageError("--outcome is award, refund or split");
					const share = f.strings["worker-share"];
					const workerShare = share === undefined ? undefined : Number(share);
					if (workerShare !== undefined && !Number.isFinite(workerShare)) throw new UsageError("--worker-share is a percentage, e.g. 70");
					return s.jobs.settle(j, { outcome, reason: required(f, "reason"), workerShare });
				}
			},
			cancel: { args: id, run: (s, [j]) => s.jobs.cancel(j) },
			review: { args: id, strings: ["rating", "comment"], run: (s, [j], f) => s.jobs.review(j, Number(required(f, "rating")), f.strings.comment) },
			reviews: { args: id, run: (s, [j]) => s.jobs.reviews(j) }
		},
		argv
	);
}

/** A delivery is JSON when it parses, else the text itself. */
function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
}
