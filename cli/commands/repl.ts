import type { ReplOptions, ServiceBroker } from "moleculer";
import type { AuditRecord } from "../../lib/security/audit-log";
import type { AgentView } from "../../lib/cluster/agent-view";
import type { ChatResult } from "../../lib/mal/results";
import { bootNode, printBanner } from "../start";
import { readManifest } from "./agents";
import { printTable } from "./common";

export const REPL_DELIMITER = "agentos $";

type ReplCustomCommand = NonNullable<ReplOptions["customCommands"]>[number];

/** What moleculer-repl hands an action: declared arguments by name, the rest as options. */
interface ReplArgs {
	options: Record<string, unknown>;
	/** The command line as tokens joined by spaces. */
	rawCommand: string;
	[arg: string]: unknown;
}

/** The REPL acts for the person at the node's console, and the audit log says so. */
const AS_OPERATOR = { meta: { user: { id: "repl" } } };

/**
 * `agent-os repl`: a node booted as by `start`, with Moleculer's REPL and AgentOS
 * commands on top (`help` lists them next to moleculer-repl's own `call`, `nodes`…).
 */
export async function repl(): Promise<void> {
	// moleculer-repl's quit and Ctrl-D call broker.stop() then process.exit(0), never node.stop(),
	// so the broker's `stopped` hook flushes the audit log and closes the database instead.
	let closing: Promise<void> | undefined;
	let close: () => Promise<void> = async () => undefined;
	const { node, ready, agents } = await bootNode({
		replOptions: { delimiter: REPL_DELIMITER, customCommands: COMMANDS },
		stopped: () => (closing ??= close())
	});
	close = async () => {
		await node.audit.stop();
		await node.kernel.close();
	};
	const stop = () => void node.broker.stop().then(() => process.exit(0));
	process.once("SIGTERM", stop);
	process.once("SIGHUP", stop);
	printBanner(node, ready, "quit (or Ctrl-D)", agents);
	node.broker.repl();
}

/** What moleculer-repl hands a command's action at run time (its typings say `string[]`). */
function isReplArgs(args: unknown): args is ReplArgs {
	return typeof args === "object" && args !== null && "options" in args && typeof args.options === "object" && args.options !== null && "rawCommand" in args && typeof args.rawCommand === "string";
}

/** Adapts a command to moleculer-repl: its typings say args is string[] (it is ReplArgs), and a failure is one line, not a stack. */
function command(def: string, description: string, action: (broker: ServiceBroker, args: ReplArgs) => Promise<void>): ReplCustomCommand {
	return {
		command: def,
		description,
		// Also allows excess arguments, so JSON or a message with spaces reaches the action.
		allowUnknownOptions: true,
		async action(broker: ServiceBroker, args: unknown) {
			try {
				if (!isReplArgs(args)) throw new TypeError("moleculer-repl passed no parsed arguments");
				await action(broker, args);
			} catch (err) {
				const e = err as Error & { type?: string };
				console.error(`error${e.type ? ` ${e.type}` : ""}: ${e.message}`);
			}
		}
	} as ReplCustomCommand;
}

/** The words after the first `skip` (commander keeps only the first word of a variadic argument). */
function words(args: ReplArgs, skip: number): string {
	return args.rawCommand.split(" ").slice(skip).join(" ").trim();
}

const COMMANDS: ReplCustomCommand[] = [
	command("agents", "List the agents: id, state, node, pid, restarts", async broker => {
		const page = await broker.call<{ items: AgentView[]; total: number }, object>("agents.list", { limit: 1000 }, AS_OPERATOR);
		if (!page.items.length) return console.log("no agents");
		printTable(["ID", "STATE", "NODE", "PID", "RESTARTS"], page.items.map(a => [a.id, a.state, a.node, a.pid, a.restarts]));
	}),
	command("spawn <manifestFile>", "Spawn an agent from its manifest file", async (broker, args) => {
		const view = await broker.call<AgentView, object>("agents.spawn", { manifest: readManifest(String(args.manifestFile)) }, AS_OPERATOR);
		console.log(`spawned ${view.id}: ${view.state} on ${view.node}`);
	}),
	command("ask <agentId> <taskJson>", 'Run a task on an agent and print its result, e.g. ask hello {"type":"greet","name":"Ada"} (JSON with spaces in single quotes)', async (broker, args) => {
		let task: unknown;
		try {
			task = JSON.parse(words(args, 2));
		} catch (err) {
			throw new Error(`the task is not JSON (${(err as Error).message}); e.g. {"type":"greet"}`, { cause: err });
		}
		const outcome = await broker.call<{ result?: unknown }, object>("agents.submitTask", { id: args.agentId, task }, AS_OPERATOR);
		console.log(JSON.stringify(outcome.result ?? null, null, 2));
	}),
	command("chat <message...>", "Ask the default model one question", async (broker, args) => {
		const r = await broker.call<ChatResult, object>("mal.chat", { messages: [{ role: "user", content: words(args, 1) }] }, AS_OPERATOR);
		console.log(r.message.content ?? "(no text)");
		console.log(`  [${r.provider} / ${r.model}, ${r.usage.totalTokens} tokens, ${r.latencyMs} ms]`);
	}),
	command("audit [limit]", "The latest audit entries (default 10)", async (broker, args) => {
		const limit = args.limit === undefined ? 10 : Number(args.limit);
		if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new Error(`limit must be a whole number from 1 to 1000 (got "${String(args.limit)}")`);
		const page = await broker.call<{ items: AuditRecord[] }, object>("audit.query", { limit }, AS_OPERATOR);
		if (!page.items.length) return console.log("no audit entries");
		printTable(["SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "OUTCOME"], page.items.map(e => [e.seq, e.at, `${e.actor.kind}:${e.actor.id}`, e.action, e.target, e.outcome]));
	}),
	command("cluster", "The cluster's nodes, this one marked", async broker => {
		const nodes = broker.registry.nodes.list({ onlyAvailable: false, withServices: false }) as { id: string; available: boolean; local: boolean; hostname: string | null; ipList: string[] | null }[];
		printTable(
			["NODE", "STATE", "HOST", "ADDRESSES"],
			nodes.map(n => [n.local ? `${n.id} (this node)` : n.id, n.available ? "available" : "offline", n.hostname, n.ipList?.join(",")])
		);
	})
];
