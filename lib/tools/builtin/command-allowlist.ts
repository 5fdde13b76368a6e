import type { ToolPolicy } from "../tool";
import { checkArguments, type CheckedArguments } from "./command-args";
import type { CommandRule } from "./command-rule";
import { COMMAND_RULES } from "./command-rules";
import { refuse, refuseArgument } from "./shell-refusal";

/** A command is a bare program name: no path, no shell syntax, no spaces. */
export const BARE_NAME = /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/;

/**
 * One ALLOWED_COMMANDS entry:
 * - `git`: git, its arguments checked against its rules;
 * - `npm test`: npm, and also its subcommand that runs the project's own code;
 * - `make *`: make with ANY arguments, unchecked — code execution for whoever may call the tool.
 */
export interface CommandEntry {
	unchecked: boolean;
	projectCode: Set<string>;
}

export function parseAllowedCommands(entries: readonly string[]): Map<string, CommandEntry> {
	const out = new Map<string, CommandEntry>();
	for (const raw of entries) {
		const [command, extra, ...more] = raw.trim().split(/\s+/);
		if (!BARE_NAME.test(command ?? "") || more.length) continue; // never matches a command: the refusal lists the entries
		const entry = out.get(command) ?? { unchecked: false, projectCode: new Set<string>() };
		if (extra === "*") entry.unchecked = true;
		else if (extra) entry.projectCode.add(extra);
		out.set(command, entry);
	}
	return out;
}

export interface CommandPlan {
	/** `git status`, `make`: what the policy saw. */
	name: string;
	/** Null when the arguments run unchecked. */
	checked: CheckedArguments | null;
	argv: string[];
}

/**
 * Checks the command against the node's allowlist and the grant's narrowing, then its
 * arguments against the command's rules. A command without rules runs only when the
 * operator allowed it unchecked (`make *`) or allows every command (development).
 */
export function planCommand(command: unknown, args: string[], policy: ToolPolicy, narrowed?: string[]): CommandPlan {
	if (typeof command !== "string" || !BARE_NAME.test(command)) {
		refuse(`command must be a bare program name (no path, spaces or shell syntax), got ${JSON.stringify(command)}`, { command });
	}
	const entry = parseAllowedCommands(policy.allowedCommands).get(command);
	if (!policy.allowAllCommands && !entry) {
		refuse(`command ${command} is not on the allowed commands (${policy.allowedCommands.join(", ") || "none"})`, { command });
	}
	if (narrowed && !narrowed.includes(command)) {
		refuse(`command ${command} is not among the commands this grant allows (${narrowed.join(", ") || "none"})`, { command });
	}
	const rule: CommandRule | undefined = COMMAND_RULES[command];
	if (entry?.unchecked || (!rule && policy.allowAllCommands)) return { name: command, checked: null, argv: args };
	if (!rule) {
		refuse(
			`command ${command} has no argument rules, so its arguments cannot be checked; to run it anyway with ANY arguments, the operator writes "${command} *" in ALLOWED_COMMANDS (dangerous: whoever may call the tool can then make ${command} do anything it can)`,
			{ command, rule: "no-rules" }
		);
	}
	const checked = checkArguments(command, rule, args);
	if (checked.runsProjectCode && !policy.allowAllCommands) {
		const sub = checked.name.split(" ")[1] ?? "";
		if (!entry?.projectCode.has(sub)) {
			refuseArgument(
				command,
				sub,
				"runs-project-code",
				`is refused: ${checked.name} ${checked.runsProjectCode}, which is code execution; the operator allows it by writing "${checked.name}" in ALLOWED_COMMANDS`
			);
		}
	}
	return { name: checked.name, checked, argv: checked.argv };
}
