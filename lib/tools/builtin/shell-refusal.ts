import { ToolRefusedError } from "../errors";

export const SHELL_EXEC_ID = "builtin:shell_exec";

/** Which rule refused an argument, so a caller can tell them apart without reading the message. */
export type ArgumentRule =
	| "option-not-allowed"
	| "value-not-allowed"
	| "missing-value"
	| "subcommand-not-allowed"
	| "operand-not-allowed"
	| "too-many-operands"
	| "not-a-number"
	| "not-a-package"
	| "path-outside"
	| "runs-project-code";

export function refuse(reason: string, data: Record<string, unknown> = {}): never {
	throw new ToolRefusedError(SHELL_EXEC_ID, reason, data);
}

/** A 403 that names the command, the argument and the rule it broke. */
export function refuseArgument(command: string, argument: string, rule: ArgumentRule, reason: string): never {
	throw new ToolRefusedError(SHELL_EXEC_ID, `${command}: argument ${JSON.stringify(argument)} ${reason} [rule ${rule}]`, { command, argument, rule });
}
