import path from "node:path";
import type { ArgKind, CommandRule } from "./command-rule";
import { refuseArgument } from "./shell-refusal";

/** An argument that names a file, to be checked against the allowed folders before the command runs. */
export interface PathArgument {
	command: string;
	argument: string;
}

export interface CheckedArguments {
	/** `git status`, `npm test`, `ls`: the command and the subcommand that was chosen. */
	name: string;
	/** Set when the chosen (sub)command runs the project's own code. */
	runsProjectCode?: string;
	/** The arguments to pass, with the rule's own fixed arguments put in after the (sub)command. */
	argv: string[];
	paths: PathArgument[];
}

const NUMBER = /^[+-]?\d+(\.\d+)?$/;
const PACKAGE = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

/** A revision that is also a path: absolute, a `..` segment or a leading `~`. */
function looksLikePath(value: string): boolean {
	return path.isAbsolute(value) || value.startsWith("~") || value.split(/[/\\]/).includes("..");
}

function listOf(rule: CommandRule): string {
	const names = [...(rule.flags ?? []), ...Object.keys(rule.options ?? {}).map(o => (o.endsWith("=") ? `${o}…` : `${o} …`))];
	return names.length ? names.join(", ") : "none";
}

class ArgumentWalker {
	private readonly operands: string[] = [];
	/** Options given, without their values: grep's -e changes what its first operand is. */
	private readonly seen = new Set<string>();
	private readonly paths: PathArgument[] = [];
	private i = 0;

	constructor(
		private readonly name: string,
		private readonly rule: CommandRule,
		private readonly args: readonly string[]
	) {}

	run(): CheckedArguments {
		let endOfOptions = false;
		while (this.i < this.args.length) {
			const a = this.args[this.i++];
			// find's `--` ends only its -H/-L/-P options, and an expression still follows: refused there.
			if (!endOfOptions && a === "--" && this.rule.operands && !this.rule.wordOptions) {
				endOfOptions = true;
			} else if (endOfOptions || !a.startsWith("-") || a === "-") {
				if (endOfOptions || !this.rule.words?.includes(a)) {
					if (this.rule.subcommands && this.operands.length === 0) return this.subcommand(a);
					this.operand(a, endOfOptions);
				}
			} else if (a.startsWith("--") || this.rule.wordOptions) {
				this.longOption(a);
			} else {
				this.shortOptions(a);
			}
		}
		this.checkOperands();
		const runs = this.rule.runsProjectCode;
		return { name: this.name, argv: [...this.args], paths: this.paths, ...(runs ? { runsProjectCode: runs } : {}) };
	}

	private subcommand(word: string): CheckedArguments {
		const sub = this.rule.subcommands?.[word];
		if (!sub) {
			const known = Object.keys(this.rule.subcommands ?? {}).join(", ");
			refuseArgument(this.name, word, "subcommand-not-allowed", `is not a subcommand ${this.name} may run (allowed: ${known})`);
		}
		const before = this.args.slice(0, this.i - 1);
		const rest = new ArgumentWalker(`${this.name} ${word}`, sub, this.args.slice(this.i)).run();
		return { ...rest, argv: [...before, word, ...(sub.fixedArgs ?? []), ...rest.argv], paths: [...this.paths, ...rest.paths] };
	}

	/** `--name`, `--name=value`, `--name value`, and find's `-name value`. */
	private longOption(a: string): void {
		const eq = a.indexOf("=");
		const opt = eq > 0 ? a.slice(0, eq) : a;
		const options = this.rule.options ?? {};
		const isFlag = this.rule.flags?.includes(opt) ?? false;
		this.seen.add(opt);
		if (eq > 0) {
			const kind = options[`${opt}=`] ?? options[opt];
			if (kind) return this.check(a, a.slice(eq + 1), kind);
			if (isFlag) refuseArgument(this.name, a, "value-not-allowed", `is refused: ${opt} takes no value`);
		} else if (isFlag) {
			return;
		} else if (options[opt]) {
			return this.check(opt, this.next(opt), options[opt]);
		} else if (options[`${opt}=`]) {
			refuseArgument(this.name, a, "missing-value", `needs its value attached (${opt}=…)`);
		}
		refuseArgument(this.name, a, "option-not-allowed", `is not an option ${this.name} allows (allowed: ${listOf(this.rule)})`);
	}

	/** `-l`, `-la`, `-n5`, `-n 5`, `-U3`, and `-5` where a count is meant. */
	private shortOptions(a: string): void {
		if (this.rule.numericFlag && /^-\d+$/.test(a)) return;
		const options = this.rule.options ?? {};
		for (let j = 1; j < a.length; j++) {
			const flag = `-${a[j]}`;
			const rest = a.slice(j + 1);
			this.seen.add(flag);
			if (options[flag]) return this.check(a, rest || this.next(flag), options[flag]);
			if (rest && options[`${flag}=`]) return this.check(a, rest, options[`${flag}=`]);
			if (!this.rule.flags?.includes(flag)) {
				const which = a.length > 2 ? ` (its ${flag})` : "";
				refuseArgument(this.name, a, "option-not-allowed", `is not an option ${this.name} allows${which} (allowed: ${listOf(this.rule)})`);
			}
		}
	}

	private next(opt: string): string {
		if (this.i >= this.args.length) refuseArgument(this.name, opt, "missing-value", "needs a value");
		return this.args[this.i++];
	}

	private operand(a: string, afterDashes: boolean): void {
		if (!this.rule.operands) refuseArgument(this.name, a, "operand-not-allowed", `is refused: ${this.name} takes no operands`);
		this.operands.push(a);
		if (this.rule.firstOperand && this.operands.length === 1) return; // decided at the end: see checkOperands
		this.check(a, a, afterDashes && this.rule.operands === "revision" ? "path" : this.rule.operands);
	}

	private checkOperands(): void {
		const { maxOperands, firstOperand, firstOperandUnless = [] } = this.rule;
		if (maxOperands !== undefined && this.operands.length > maxOperands) {
			refuseArgument(this.name, this.operands[maxOperands], "too-many-operands", `is one too many: ${this.name} takes at most ${maxOperands}`);
		}
		// grep's pattern is its first operand, unless -e gave it: then that operand is a file.
		if (firstOperand && this.operands.length > 0) {
			const kind = firstOperandUnless.some(o => this.seen.has(o)) ? (this.rule.operands ?? firstOperand) : firstOperand;
			this.check(this.operands[0], this.operands[0], kind);
		}
	}

	private check(argument: string, value: string, kind: ArgKind): void {
		switch (kind) {
			case "text":
				return;
			case "number":
				if (!NUMBER.test(value)) refuseArgument(this.name, argument, "not-a-number", `needs a number, got ${JSON.stringify(value)}`);
				return;
			case "package":
				if (!PACKAGE.test(value)) refuseArgument(this.name, argument, "not-a-package", "is not a package name (a path or URL is refused)");
				return;
			case "revision":
				if (looksLikePath(value)) this.paths.push({ command: this.name, argument: value });
				return;
			case "path":
				if (value !== "-") this.paths.push({ command: this.name, argument: value });
		}
	}
}

/**
 * Checks `args` against the command's rule, without touching the disk: an unknown
 * option, subcommand or operand is refused, numbers must be numbers, and every
 * argument that names a file is returned for the path check.
 */
export function checkArguments(command: string, rule: CommandRule, args: readonly string[]): CheckedArguments {
	return new ArgumentWalker(command, rule, args).run();
}
