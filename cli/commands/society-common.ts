/** The society and governance commands (forums, jobs, cases, policies): a table of subcommands over `client.society`. */
import type { SocietyClient } from "../../sdk/society";
import { expectPositionals, UsageError, type ParsedArgs } from "../args";
import { connect, EXIT, parseClientArgs, printJson, printTable, runClientCommand } from "./common";

export interface Subcommand {
	/** Positional argument names, in order. */
	args?: string[];
	strings?: string[];
	booleans?: string[];
	run(society: SocietyClient, positionals: string[], flags: ParsedArgs): Promise<unknown>;
	/** A table for people: headers and rows; without it the answer prints as JSON. */
	table?(result: unknown): { headers: string[]; rows: unknown[][] };
}

/** Runs `agent-os <group> <sub> …`: --json prints the raw answer. */
export function subcommands(group: string, usage: string, table: Record<string, Subcommand>, argv: readonly string[]): Promise<number> {
	return runClientCommand(usage, argv, async () => {
		const [sub, ...rest] = argv;
		const command = sub ? table[sub] : undefined;
		if (!command) throw new UsageError(sub ? `Unknown ${group} command "${sub}"` : `Missing a ${group} command`);
		const flags = parseClientArgs(rest, { strings: command.strings ?? [], booleans: ["json", ...(command.booleans ?? [])] });
		const positionals = expectPositionals(flags, command.args ?? []);
		const result = await command.run(connect(flags).society, positionals, flags);
		if (command.table && !flags.booleans.has("json")) {
			const { headers, rows } = command.table(result);
			printTable(headers, rows);
		} else printJson(result);
		return EXIT.ok;
	});
}

/** A required string flag. */
export function required(flags: ParsedArgs, name: string): string {
	const value = flags.strings[name];
	if (!value) throw new UsageError(`Missing --${name}`);
	return value;
}

/** Rows of a moleculer-db page, as a table of the named fields. */
export function rowsOf(fields: string[]): (result: unknown) => { headers: string[]; rows: unknown[][] } {
	return result => {
		const rows = ((result as { rows?: Record<string, unknown>[]; items?: Record<string, unknown>[] }).rows ?? (result as { items?: Record<string, unknown>[] }).items ?? []) as Record<string, unknown>[];
		return { headers: fields.map(f => f.toUpperCase()), rows: rows.map(r => fields.map(f => (Array.isArray(r[f]) ? (r[f] as unknown[]).join(",") : r[f]))) };
	};
}
