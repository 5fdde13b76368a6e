import type { ReindexStep } from "../../sdk/memory";
import { expectPositionals, intFlag, UsageError } from "../args";
import { connect, EXIT, parseClientArgs, printJson, runClientCommand } from "./common";

export const MEMORY_USAGE = `Usage: agent-os memory reindex [--agent ID] [--batch N] [--all] [--json]
       re-embeds, with the node's current embedding model, the memories whose vectors another
       model made (of one agent, or of every agent), N at a time (default 200); stopped, it
       resumes where it was when run again, and does nothing when all are of the current model.
       --all re-embeds every memory whatever its model (vectors a vector store holds from
       before memories recorded their model need it once)`;

/** Most memories a step may re-embed (the route's own limit). */
const MAX_BATCH = 1000;

/** `agent-os memory reindex`: steps through POST /api/v1/memory/reindex until no memory of another model is left. */
export function memoryCommand(argv: readonly string[]): Promise<number> {
	return runClientCommand(MEMORY_USAGE, argv, async () => {
		const args = parseClientArgs(argv, { strings: ["agent", "batch"], booleans: ["all", "json"] });
		const [sub] = expectPositionals(args, ["reindex"]);
		if (sub !== "reindex") throw new UsageError(`Unknown memory command "${sub}"`);
		const agentId = args.strings.agent;
		const limit = intFlag(args, "batch", 1, MAX_BATCH);
		const memory = connect(args).memory;
		const json = args.booleans.has("json");
		const all = args.booleans.has("all") || undefined;
		const whose = agentId ? `of agent ${agentId}` : "of all agents";
		const total = { reindexed: 0, skipped: 0 };
		let step: ReindexStep | undefined;
		do {
			step = await memory.reindex({ agentId, limit, all, after: step?.next });
			total.reindexed += step.reindexed;
			total.skipped += step.skipped;
			// Progress goes to stderr, so --json leaves stdout to the summary.
			if (step.reindexed || step.skipped) console.error(`re-embedded ${total.reindexed} memories ${whose} with ${step.model}; ${step.remaining} to go`);
			// A step that moved nothing while some remain would loop for ever: say so instead.
			if (!step.reindexed && !step.skipped && step.remaining) throw new Error(`${step.remaining} memories remain but none could be re-embedded; see the node's log`);
		} while (step.remaining > 0);
		const summary = { ...(agentId ? { agentId } : {}), model: step.model, reindexed: total.reindexed, skipped: total.skipped, remaining: step.remaining };
		if (json) printJson(summary);
		else if (total.reindexed) console.log(`done: ${total.reindexed} memories ${whose} re-embedded with ${step.model}; all are of that model now`);
		else console.log(`nothing to do: every memory ${whose} is of ${step.model}`);
		return EXIT.ok;
	});
}
