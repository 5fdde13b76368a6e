import fs from "node:fs";
import { UsageError } from "../args";
import { rowsOf, subcommands } from "./society-common";

export const POLICIES_USAGE = `Usage: agent-os policies list [--json]
       agent-os policies create NAME (--source TEXT | --file FILE) [--mode enforce|dry-run|disabled]
       agent-os policies check (--source TEXT | --file FILE)
       agent-os policies dry-run (ID | --source TEXT | --file FILE) [--since ISO] [--until ISO]
       agent-os policies mode ID enforce|dry-run|disabled
       agent-os policies firings ID`;

type Mode = "enforce" | "dry-run" | "disabled";
const MODES: readonly string[] = ["enforce", "dry-run", "disabled"];

function sourceOf(f: { strings: Record<string, string | undefined> }): string {
	if (f.strings.file) return fs.readFileSync(f.strings.file, "utf8");
	if (f.strings.source) return f.strings.source;
	throw new UsageError("Give the policy as --source TEXT or --file FILE");
}

function mode(value: string | undefined): Mode | undefined {
	if (value !== undefined && !MODES.includes(value)) throw new UsageError(`The mode is one of ${MODES.join(", ")}`);
	return value as Mode | undefined;
}

/** `agent-os policies …`: governance policies in the policy language. */
export function policiesCommand(argv: readonly string[]): Promise<number> {
	const src = ["source", "file"];
	return subcommands(
		"policies",
		POLICIES_USAGE,
		{
			list: { run: s => s.policies.list(), table: rowsOf(["id", "name", "mode", "source"]) },
			create: { args: ["NAME"], strings: [...src, "mode"], run: (s, [name], f) => s.policies.create({ name, source: sourceOf(f), mode: mode(f.strings.mode) }) },
			check: { strings: src, run: (s, _, f) => s.policies.validate(sourceOf(f)) },
			"dry-run": {
				strings: [...src, "id", "since", "until"],
				run: (s, _, f) => s.policies.dryRun({ ...(f.strings.id ? { id: f.strings.id } : { source: sourceOf(f) }), since: f.strings.since, until: f.strings.until })
			},
			mode: { args: ["ID", "MODE"], run: (s, [id, m]) => s.policies.setMode(id, mode(m)!) },
			firings: { args: ["ID"], run: (s, [id]) => s.policies.firings(id), table: r => rowsOf(["at", "subjectId", "mode", "caseId"])({ rows: r }) },
			remove: { args: ["ID"], run: (s, [id]) => s.policies.remove(id) }
		},
		argv
	);
}
