/**
 * The CLI's argument parser: positionals, `--flag value`, `--flag=value` and boolean
 * flags. Each command declares its flags, so a typo is an error rather than ignored.
 */

/** Bad usage: the command prints the message with its usage line and exits 1. */
export class UsageError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "UsageError";
	}
}

export interface FlagSpec {
	/** Flags that take a value. */
	strings?: readonly string[];
	/** Flags that are on when present. */
	booleans?: readonly string[];
}

export interface ParsedArgs {
	positionals: string[];
	strings: Record<string, string>;
	booleans: Set<string>;
}

export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
	const strings = new Set(spec.strings ?? []);
	const booleans = new Set(spec.booleans ?? []);
	const out: ParsedArgs = { positionals: [], strings: {}, booleans: new Set() };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		// "--" ends the flags, so a positional may start with dashes.
		if (arg === "--") {
			out.positionals.push(...argv.slice(i + 1));
			break;
		}
		if (!arg.startsWith("--") || arg.length === 2) {
			out.positionals.push(arg);
			continue;
		}
		const eq = arg.indexOf("=");
		const name = arg.slice(2, eq === -1 ? undefined : eq);
		const inline = eq === -1 ? undefined : arg.slice(eq + 1);
		if (booleans.has(name)) {
			if (inline !== undefined && inline !== "true" && inline !== "false") throw new UsageError(`--${name} takes no value`);
			if (inline === "false") out.booleans.delete(name);
			else out.booleans.add(name);
		} else if (strings.has(name)) {
			const value = inline ?? argv[++i];
			if (value === undefined || (inline === undefined && value.startsWith("--"))) throw new UsageError(`--${name} needs a value`);
			out.strings[name] = value;
		} else {
			throw new UsageError(`Unknown option --${name}`);
		}
	}
	return out;
}

/** A flag's value as a whole number within bounds, or undefined when absent. */
export function intFlag(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
	const raw = args.strings[name];
	if (raw === undefined) return undefined;
	const n = Number(raw);
	if (!/^\d+$/.test(raw.trim()) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
	return n;
}

/** Exactly one positional per name (the names make the error say what is missing). */
export function expectPositionals(args: ParsedArgs, names: readonly string[]): string[] {
	const given = args.positionals;
	if (given.length < names.length) throw new UsageError(`Missing ${names.slice(given.length).join(" ")}`);
	if (given.length > names.length) throw new UsageError(`Unexpected argument "${given[names.length]}"`);
	return given;
}
