import type { Scope } from "../../sdk/http-client";
import { expectPositionals, intFlag, UsageError } from "../args";
import { connect, EXIT, parseClientArgs, printJson, printTable, runClientCommand } from "./common";

export const TOKENS_USAGE = `Usage: agent-os tokens create --name NAME --scopes a,b [--expires-days N] [--json]
       agent-os tokens list [--json]
       agent-os tokens revoke ID [--json]`;

/** `agent-os tokens create|list|revoke`: scoped API tokens. */
export function tokensCommand(argv: readonly string[]): Promise<number> {
	return runClientCommand(TOKENS_USAGE, argv, async () => {
		const [sub, ...rest] = argv;
		switch (sub) {
			case "create": {
				const args = parseClientArgs(rest, { strings: ["name", "scopes", "expires-days"], booleans: ["json"] });
				expectPositionals(args, []);
				const { name, scopes } = args.strings;
				if (!name) throw new UsageError("Missing --name");
				const scopeList = (scopes ?? "").split(",").map(s => s.trim()).filter(Boolean);
				if (!scopeList.length) throw new UsageError("Missing --scopes (comma-separated, e.g. agents:read,tasks)");
				const expiresInDays = intFlag(args, "expires-days", 1, 3650);
				const created = await connect(args).tokens.create({ name, scopes: scopeList as Scope[], expiresInDays });
				if (args.booleans.has("json")) {
					printJson(created);
				} else {
					// The token alone on stdout, so `TOKEN=$(agent-os tokens create …)` works; the rest is for the person.
					console.log(created.token);
					console.error(`Token ${created.id} "${created.name}" (${created.scopes.join(", ")}), expires ${created.expiresAt ?? "never"}.`);
					console.error("This is the only time the token is shown: store it now.");
				}
				return EXIT.ok;
			}
			case "list": {
				const args = parseClientArgs(rest, { booleans: ["json"] });
				expectPositionals(args, []);
				const tokens = await connect(args).tokens.list();
				if (args.booleans.has("json")) printJson(tokens);
				else printTable(["ID", "NAME", "SCOPES", "EXPIRES", "REVOKED", "LAST USED"], tokens.map(t => [t.id, t.name, t.scopes.join(","), t.expiresAt, t.revokedAt, t.lastUsedAt]));
				return EXIT.ok;
			}
			case "revoke": {
				const args = parseClientArgs(rest, { booleans: ["json"] });
				const [id] = expectPositionals(args, ["ID"]);
				const revoked = await connect(args).tokens.revoke(id);
				if (args.booleans.has("json")) printJson(revoked);
				else console.log(`Revoked token ${revoked.id} "${revoked.name}"`);
				return EXIT.ok;
			}
			default:
				throw new UsageError(sub ? `Unknown tokens command "${sub}"` : "Missing a tokens command");
		}
	});
}
