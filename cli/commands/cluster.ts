import { ClusterClient } from "../../sdk/cluster";
import { expectPositionals } from "../args";
import { connect, EXIT, parseClientArgs, printJson, printTable, runClientCommand } from "./common";
import type { ParsedArgs } from "../args";

export const CLUSTER_USAGE = "Usage: agent-os cluster [--json]";

/** The cluster client over the command's connection flags. */
export function clusterClient(args: ParsedArgs): ClusterClient {
	const http = connect(args);
	return new ClusterClient((method, path, body) => http.request(method, path, body));
}

/** `agent-os cluster`: the nodes, their load and agents, and the leader. */
export function clusterCommand(argv: readonly string[]): Promise<number> {
	return runClientCommand(CLUSTER_USAGE, argv, async () => {
		const args = parseClientArgs(argv, { booleans: ["json"] });
		expectPositionals(args, []);
		const status = await clusterClient(args).status();
		if (args.booleans.has("json")) {
			printJson(status);
			return EXIT.ok;
		}
		console.log(`leader: ${status.leader ? `${status.leader.node} (term ${status.leader.term})` : "none (election under way)"}; lock: ${status.lock}; placement: ${status.placement}`);
		printTable(
			["NODE", "UP", "LEADER", "TAGS", "CPU %", "RSS MB", "AGENTS (RUNNING/PLACED)"],
			status.nodes.map(n => [n.id, n.available ? "yes" : "no", n.leader ? "*" : "", n.tags.join(","), n.cpu, n.load?.memory.rssMb, `${n.agents.running}/${n.agents.placed}`])
		);
		return EXIT.ok;
	});
}
