#!/usr/bin/env node
import { ConfigError } from "../lib/kernel/errors";
import { packageVersion } from "../lib/kernel/paths";
import { start } from "./start";

const HELP = `Usage: agent-os <command>

Commands:
  start       Boot a node on this machine (the default)
  version     Print the version
  help        Show this help

Configuration comes from environment variables; see the README or .env.example.`;

async function main(argv: string[]): Promise<number | undefined> {
	const [command = "start"] = argv;
	switch (command) {
		case "start":
			await start();
			return undefined; // keeps running until a signal
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

main(process.argv.slice(2)).then(
	code => {
		if (code !== undefined) process.exit(code);
	},
	(err: Error) => {
		// Configuration and boot errors are for a person: one clear line, no stack.
		console.error(err instanceof ConfigError ? err.message : `AgentOS failed to start: ${err.message}`);
		process.exit(1);
	}
);
