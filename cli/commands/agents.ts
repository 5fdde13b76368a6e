import fs from "node:fs";
import type { AgentOSHttpClient, AgentView } from "../../sdk/http-client";
import { expectPositionals, intFlag, UsageError } from "../args";
import { agentsNewCommand } from "./agents-new";
import { connect, EXIT, parseClientArgs, printJson, printTable, runClientCommand } from "./common";

export const AGENTS_USAGE = `Usage: agent-os agents list [--json]
       agent-os agents get ID [--json]
       agent-os agents spawn MANIFEST.json [--json]
       agent-os agents stop|start|restart|delete ID [--json]
       agent-os agents logs ID [--lines N] [--json]
       agent-os agents new NAME [--dir DIR]   (a new agent from the template; see agents new --help)`;

type OneAgent = (client: AgentOSHttpClient, id: string) => Promise<AgentView>;

/** The subcommands that take an agent id and answer its view. */
const BY_ID: Record<string, OneAgent> = {
	get: (c, id) => c.agents.get(id),
	stop: (c, id) => c.agents.stop(id),
	start: (c, id) => c.agents.start(id),
	restart: (c, id) => c.agents.restart(id),
	delete: (c, id) => c.agents.remove(id)
};

/** `agent-os agents …`: spawn, list, inspect and control agents. */
export function agentsCommand(argv: readonly string[]): Promise<number> {
	// Scaffolding works on files here; it needs no node.
	if (argv[0] === "new") return agentsNewCommand(argv.slice(1));
	return runClientCommand(AGENTS_USAGE, argv, async () => {
		const [sub, ...rest] = argv;
		const args = parseClientArgs(rest, { strings: sub === "logs" ? ["lines"] : [], booleans: ["json"] });
		const json = args.booleans.has("json");
		if (sub === "list") {
			expectPositionals(args, []);
			const page = await connect(args).agents.list({ limit: 1000 });
			if (json) printJson(page);
			else printTable(["ID", "NAME", "STATE", "DESIRED", "NODE", "PID", "RESTARTS", "UPTIME"], page.items.map(a => [a.id, a.name, a.state, a.desiredState, a.node, a.pid, a.restarts, uptime(a.uptimeSeconds)]));
			if (!json && page.total > page.items.length) console.error(`(${page.items.length} of ${page.total} shown)`);
			return EXIT.ok;
		}
		if (sub === "spawn") {
			const [file] = expectPositionals(args, ["MANIFEST.json"]);
			const view = await connect(args).agents.spawn(readManifest(file));
			if (json) printJson(view);
			else printAgent(view);
			return EXIT.ok;
		}
		if (sub === "logs") {
			const [id] = expectPositionals(args, ["ID"]);
			// 200 is the node's own limit; checked here so a typo gets the usage line.
			const logs = await connect(args).agents.logs(id, intFlag(args, "lines", 1, 200));
			if (json) printJson(logs);
			else if (logs.lines.length) console.log(logs.lines.join("\n"));
			else console.error(`(no output from ${logs.id} on node ${logs.node})`);
			return EXIT.ok;
		}
		const action = sub === undefined ? undefined : BY_ID[sub];
		if (!action) throw new UsageError(sub ? `Unknown agents command "${sub}"` : "Missing an agents command");
		const [id] = expectPositionals(args, ["ID"]);
		const view = await action(connect(args), id);
		if (json) printJson(view);
		else printAgent(view);
		return EXIT.ok;
	});
}

/** A manifest file's JSON object, or a UsageError saying what is wrong with the file. */
export function readManifest(file: string): Record<string, unknown> {
	let text: string;
	try {
		text = fs.readFileSync(file, "utf8");
	} catch (err) {
		throw new UsageError(`Cannot read ${file}: ${(err as Error).message}`);
	}
	try {
		const manifest: unknown = JSON.parse(text);
		if (manifest && typeof manifest === "object" && !Array.isArray(manifest)) return manifest as Record<string, unknown>;
	} catch (err) {
		throw new UsageError(`${file} is not JSON: ${(err as Error).message}`);
	}
	throw new UsageError(`${file} must hold a JSON object (the manifest)`);
}

/** One agent, a field a line. */
function printAgent(a: AgentView): void {
	const mailbox = a.mailbox ? JSON.stringify(a.mailbox) : null;
	const fields: [string, unknown][] = [
		["id", a.id],
		["name", `${a.name} ${a.version}`],
		["runtime", a.runtime],
		["trust", a.trustLevel],
		["state", a.state],
		["desired", a.desiredState],
		["node", a.node],
		["pid", a.pid],
		["network", a.networkIsolated === null ? null : a.networkIsolated ? "isolated (its code has no network of its own)" : "not isolated (its code shares the node's network)"],
		["restarts", a.restarts],
		["uptime", uptime(a.uptimeSeconds)],
		["mailbox", mailbox],
		["last error", a.lastError],
		["owner", a.owner],
		["created", a.createdAt],
		// Capabilities its manifest asked for that wait for an admin (see /api/v1/agents/:id/grants).
		["pending", a.pendingCapabilities?.length ? a.pendingCapabilities.join(", ") : null]
	];
	for (const [name, value] of fields) console.log(`${name.padEnd(11)}${value ?? "-"}`);
}

function uptime(seconds: number | null): string | null {
	if (seconds === null) return null;
	if (seconds < 120) return `${seconds}s`;
	if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
	return `${Math.floor(seconds / 3600)}h`;
}
