#!/usr/bin/env node
import { ConfigError } from "../lib/kernel/errors";
import { packageVersion } from "../lib/kernel/paths";

const HELP = `Usage: agent-os <command>

Commands:
  start                                  Boot a node on this machine (the default)
  repl                                   Boot a node with an interactive console (help lists its commands)
  init [--force] [--dir DIR]             Write a .env with every setting and generated secrets
  doctor [--infra]                       Check Node, configuration, each provider's chat and embeddings, data dir, build (--infra: servers too)
  sign MANIFEST.json [--out FILE]        Sign a manifest with MANIFEST_SIGNING_SECRET (--verify: check one)
  agents list|get ID|spawn MANIFEST.json Manage agents on a running node
  agents stop|start|restart|delete ID
  agents logs ID [--lines N]             An agent's latest output lines
  agents new NAME [--dir DIR]            Scaffold an agent from the template (code, manifest, test, README)
  ask ID TASK_JSON [--async]             Run a task on an agent and print its result
  tokens create --name N --scopes a,b    Create a scoped API token (shown once)
  tokens list | tokens revoke ID         List or revoke API tokens
  approvals list [--all]                 Actions and grant requests waiting for a person
  approvals approve|deny ID [--note T]   Decide one (grant requests need an admin token)
  chat [MESSAGE] [--model M]             Talk to the model layer (streamed; interactive without MESSAGE)
  memory reindex [--agent ID]            Re-embed memories made by another embedding model than the current one
  audit [--agent ID] [--action A] ...    Query the audit log
  audit verify | audit export            Check the audit hash chain; export JSON lines
  tasks [--agent ID] [--status S]        Recent tasks of every agent (S: queued, running, suspended, succeeded, failed, cancelled)
  tasks show|cancel|resume ID            One task with its run's steps; cancel it; resume a failed durable run
  lockdown [start|lift --reason T]       The incident lockdown: status, start (--agents a,b), lift
  forums list|create|post|reply ...      Forums: threads, replies, votes
  jobs list|post|apply|award ...         The jobs marketplace, every move of a job
  cases list|open|resolve|appeal ...     Moderation cases, sanctions and appeals
  policies list|create|dry-run ...       Governance policies in the policy language
  cluster                                The cluster's nodes, their load and agents, and the leader
  schedules list|create|get|runs ID ...  Scheduled jobs (cron or interval) fired by the leader
  schedules pause|resume|trigger|delete ID
  version                                Print the version
  help                                   Show this help

The client commands talk to a node over its REST API: --url (or AGENTOS_URL, default
http://127.0.0.1:$PORT) and --token (or AGENTOS_TOKEN, GATEWAY_AUTH_TOKEN, else the
admin token in $AGENTOS_DATA_DIR). --json prints the raw answer instead of a table.
Exit codes: 0 ok, 1 bad usage or configuration, 2 unknown command, 3 refused by the
node, 4 node unreachable.

Configuration comes from environment variables; see the README or .env.example.`;

/** Commands that end with an exit code load lazily, so `agent-os ask` does not load the whole node. */
const CLIENT_COMMANDS: Record<string, () => Promise<(argv: readonly string[]) => Promise<number>>> = {
	agents: async () => (await import("./commands/agents")).agentsCommand,
	ask: async () => (await import("./commands/ask")).askCommand,
	tokens: async () => (await import("./commands/tokens")).tokensCommand,
	approvals: async () => (await import("./commands/approvals")).approvalsCommand,
	audit: async () => (await import("./commands/audit")).auditCommand,
	cluster: async () => (await import("./commands/cluster")).clusterCommand,
	schedules: async () => (await import("./commands/schedules")).schedulesCommand,
	init: async () => (await import("./commands/init")).initCommand,
	doctor: async () => (await import("./commands/doctor")).doctorCommand,
	sign: async () => (await import("./commands/sign")).signCommand,
	chat: async () => (await import("./commands/chat")).chatCommand,
	memory: async () => (await import("./commands/memory")).memoryCommand,
	forums: async () => (await import("./commands/forums")).forumsCommand,
	jobs: async () => (await import("./commands/jobs")).jobsCommand,
	cases: async () => (await import("./commands/cases")).casesCommand,
	policies: async () => (await import("./commands/policies")).policiesCommand,
	tasks: async () => (await import("./commands/tasks")).tasksCommand,
	lockdown: async () => (await import("./commands/lockdown")).lockdownCommand
};

async function main(argv: string[]): Promise<number | undefined> {
	const [command = "start", ...rest] = argv;
	const client = Object.prototype.hasOwnProperty.call(CLIENT_COMMANDS, command) ? CLIENT_COMMANDS[command] : undefined;
	if (client) {
		// The commands report the failures they expect; anything else is a bug worth one line.
		return (await client())(rest).catch((err: Error) => {
			console.error(`agent-os ${command} failed: ${err.message}`);
			return 1;
		});
	}
	switch (command) {
		case "start":
			await (await import("./start")).start();
			return undefined; // keeps running until a signal
		case "repl":
			await (await import("./commands/repl")).repl();
			return undefined; // keeps running until quit
		case "version":
		case "--version":
		case "-v":
			console.log(packageVersion());
			return 0;
		case "help":
		case "--help":
		case "-h":
			console.log(HELP);
			return 0;
		default:
			console.error(`Unknown command "${command}".\n\n${HELP}`);
			return 2;
	}
}

/** process.exit does not wait for a piped stdout to drain; this does. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
	return new Promise(resolve => (stream.writableLength === 0 ? resolve() : stream.write("", () => resolve())));
}

main(process.argv.slice(2)).then(
	async code => {
		if (code === undefined) return;
		await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
		process.exit(code);
	},
	(err: Error) => {
		// Configuration and boot errors are for a person: one clear line, no stack.
		console.error(err instanceof ConfigError ? err.message : `AgentOS failed to start: ${err.message}`);
		process.exit(1);
	}
);
