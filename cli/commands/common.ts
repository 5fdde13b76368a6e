/** What the client commands share: exit codes, error reporting, the connection and tables. */
import { AgentOSApiError, AgentOSHttpClient } from "../../sdk/http-client";
import { parseArgs, UsageError, type FlagSpec, type ParsedArgs } from "../args";
import { ClientConfigError, CONNECTION_FLAGS, resolveClientConfig } from "../client-config";

export const EXIT = { ok: 0, usage: 1, unknownCommand: 2, refused: 3, unreachable: 4 } as const;

/** Appended to every client command's usage. */
export const CONNECTION_USAGE = "Options: --url URL (or AGENTOS_URL), --token TOKEN (or AGENTOS_TOKEN)";

/** Parses with the connection flags added to the command's own. */
export function parseClientArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
	return parseArgs(argv, { ...spec, strings: [...(spec.strings ?? []), ...CONNECTION_FLAGS] });
}

export function connect(args: ParsedArgs): AgentOSHttpClient {
	return new AgentOSHttpClient(resolveClientConfig({ url: args.strings.url, token: args.strings.token }));
}

/** Runs a command body (or prints its usage for --help), turning each kind of failure into its message and exit code. */
export async function runClientCommand(usage: string, argv: readonly string[], body: () => Promise<number>): Promise<number> {
	const end = argv.indexOf("--");
	const flags = end === -1 ? argv : argv.slice(0, end);
	if (flags.includes("--help") || flags.includes("-h")) {
		console.log(`${usage}\n${CONNECTION_USAGE}`);
		return EXIT.ok;
	}
	try {
		return await body();
	} catch (err) {
		if (err instanceof UsageError) {
			console.error(`${err.message}\n\n${usage}\n${CONNECTION_USAGE}`);
			return EXIT.usage;
		}
		if (err instanceof ClientConfigError) {
			console.error(err.message);
			return EXIT.usage;
		}
		if (err instanceof AgentOSApiError) {
			console.error(apiErrorLine(err));
			return err.type === "UNREACHABLE" ? EXIT.unreachable : EXIT.refused;
		}
		throw err;
	}
}

/** What a person is told when the node refuses a request, or cannot be reached. */
export function apiErrorLine(err: AgentOSApiError): string {
	return err.type === "UNREACHABLE" ? `${err.message}; is it running? (set --url or AGENTOS_URL for another node)` : `error ${err.type}: ${err.message}`;
}

export function printJson(value: unknown): void {
	console.log(JSON.stringify(value, null, 2));
}

/** Left-aligned columns two spaces apart; null and undefined show as "-". */
export function printTable(headers: readonly string[], rows: readonly (readonly unknown[])[]): void {
	const cells = [headers, ...rows.map(row => row.map(cell => (cell === null || cell === undefined || cell === "" ? "-" : String(cell))))];
	const widths = headers.map((_, i) => Math.max(...cells.map(row => row[i].length)));
	for (const row of cells) console.log(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  "));
}
