/**
 * Durable task runs (actors/durable-runs.ts, task-run.ts, run-journal.ts), one embedded
 * node (PGlite) per part:
 *
 * - Journaling overhead: a declarative agent whose loop makes 4 model calls and 3 tool
 *   calls (`builtin:file_read`) per chat, `durable: true` (each ctx call journaled, the run
 *   written before the agent sees it) against the same agent with `durable: false` (one
 *   write when the task ends), through `chat.send` (target ≤ 1.15x, mean). The model is
 *   the local server speaking OpenAI's wire format (test/support/llm-wire), scripted by
 *   each request's tool turns, so every chat is the same 4-step loop; the offline provider
 *   cannot be used, it makes at most one tool call before it answers.
 * - Resume after a worker kill: a process agent in a loop of `ctx.llm.chat` calls; its
 *   worker is killed (SIGKILL) mid-loop, and the time from the kill to the first new (not
 *   replayed) step reaching the model server is taken (target p50 < 1 s), against the
 *   worker's own restart (kill → running again with a new pid). Defaults: restart delay
 *   100 ms (restart.baseDelayMs, kept at every crash), TASK_RETRY_DELAY_MS 200. Each run
 *   must end having asked the model once per step: no step made twice.
 * - 1,000 suspended runs: RSS added by 1,000 async tasks of an inprocess agent whose
 *   `ctx.waitFor` suspends them (all `suspended` in the database, nothing in memory)
 *   against the same tasks of a `durable: false` agent, which wait in memory for the
 *   person (target < 20 MB). It needs `approvals.waitFor`; without it the rows say so.
 *
 * Knobs: BENCH_DURABLE_CHATS (sequential chats per variant and round, default 200; a
 * third as many warm-up), BENCH_ROUNDS (default 3, the round with the median ratio),
 * BENCH_DURABLE_KILLS (default 12), BENCH_DURABLE_SUSPENDED (default 1,000),
 * BENCH_BREAKDOWN=1 (the per-task database writes timed alone; also when the target is missed),
 * BENCH_DURABLE_PARTS (default `overhead,resume,suspended`).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startOpenAIServer } from "../test/support/llm-wire/openai-server";
import type { RecordedRequest, Step } from "../test/support/llm-wire/script";
import { breakdownRows } from "./lib/durable-breakdown";
import { API_KEY, check, spawn, taskDetail, withNode } from "./lib/durable-node";
import { resumeRows } from "./lib/durable-resume";
import { suspendedRows } from "./lib/durable-suspended";
import { measureRounds, medianRoundPair, pairRows } from "./lib/rounds";
import { log, type Row } from "./lib/table";
import { positiveInt } from "./lib/timing";

export const title = "Durable task runs: journaling, resume after a kill, suspended runs";

const CHATS = positiveInt(process.env.BENCH_DURABLE_CHATS, 200);
const ROUNDS = positiveInt(process.env.BENCH_ROUNDS, 3);
const BREAKDOWN = process.env.BENCH_BREAKDOWN === "1";
const PARTS = (process.env.BENCH_DURABLE_PARTS ?? "overhead,resume,suspended").split(",").map(part => part.trim());
const WARMUP = Math.max(10, Math.round(CHATS / 3));
const OVERHEAD_TARGET = 1.15;

const TOOL_CALLS = 3;
const ANSWER = "The notes say the launch is on the 14th.";

// ---------------------------------------------------------------------------------------
// Part 1: journaling overhead of a 4-step declarative loop.

type Message = { role?: string };

/** Tool calls until the conversation holds TOOL_CALLS tool results, then the answer: the same loop for every chat. */
function fourStepModel(request: RecordedRequest): Step {
	const messages = Array.isArray(request.body.messages) ? (request.body.messages as Message[]) : [];
	const done = messages.filter(m => m.role === "tool").length;
	if (done < TOOL_CALLS) return { kind: "tool_calls", calls: [{ name: "builtin_file_read", arguments: { path: "notes.txt" } }], usage: { input: 120, output: 12 } };
	return { kind: "text", text: ANSWER, usage: { input: 200, output: 10 } };
}

interface ChatAnswer {
	taskId: string;
	answer: string | null;
	stopReason: string;
	steps: unknown[];
}

const loopManifest = (id: string, durable: boolean) => ({
	id,
	name: `Loop ${id}`,
	instructions: "You read the notes with the file tool before you answer.",
	trustLevel: "autonomous",
	tools: ["builtin:file_read"],
	permissions: ["fs.read"],
	memory: { historyWindow: 0, recall: 0 },
	durable
});

async function overheadRows(): Promise<Row[]> {
	const server = await startOpenAIServer({ apiKey: API_KEY, default: fourStepModel });
	const workspace = fs.mkdtempSync(path.join(os.tmpdir(), "agentos-bench-durable-"));
	fs.writeFileSync(path.join(workspace, "notes.txt"), "The launch is on the 14th.");
	try {
		return await withNode({ OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: server.url, ALLOWED_PATHS: workspace }, async t => {
			const broker = t.node.broker;
			const variants = [
				{ label: "volatile", id: "loop-volatile", durable: false },
				{ label: "durable", id: "loop-durable", durable: true }
			];
			for (const v of variants) await spawn(broker, loopManifest(v.id, v.durable));
			const chat = (id: string) => broker.call<ChatAnswer, { id: string; message: string }>("chat.send", { id, message: "When is the launch?" });

			// Each variant makes the whole loop; the durable one journals every ctx call of it.
			const journals: Record<string, string[]> = {};
			for (const v of variants) {
				const before = server.requests.length;
				const answer = await chat(v.id);
				check(answer.answer === ANSWER && answer.stopReason === "answer", `${v.id} answered ${JSON.stringify(answer)}`);
				check(server.requests.length - before === TOOL_CALLS + 1, `${v.id} made ${server.requests.length - before} model calls, expected ${TOOL_CALLS + 1}`);
				const task = await taskDetail(broker, answer.taskId);
				check(task.durable === v.durable && task.status === "succeeded", `${v.id}'s task is ${task.status}, durable ${String(task.durable)}`);
				journals[v.label] = task.steps.map(s => s.action);
			}
			const journal = journals.durable;
			check(journal.filter(a => a === "mal.chat").length === TOOL_CALLS + 1 && journal.filter(a => a === "tools.invoke").length === TOOL_CALLS, `the durable journal is ${journal.join(", ")}`);
			check(journals.volatile.length === 0, `the volatile task has a journal: ${journals.volatile.join(", ")}`);
			log(`  a durable chat journals ${journal.length} steps: ${journal.join(", ")}`);

			// Chat by chat, each variant in turn (the order rotating), so drift on a busy machine falls on both alike; the fake server records every request.
			const rounds = await measureRounds(
				variants.map(v => ({ label: v.label, run: () => chat(v.id) })),
				{ calls: CHATS, rounds: ROUNDS, warmup: WARMUP, prefix: "overhead: ", afterRound: () => (server.requests.length = 0) }
			);
			const pair = medianRoundPair(rounds, "volatile", "durable");
			const rows = pairRows(`chat.send, 4 model + ${TOOL_CALLS} tool calls: durable vs durable: false`, pair, {
				target: OVERHEAD_TARGET,
				note: `per task (${journal.length} steps journaled); ${ROUNDS} rounds × ${CHATS} chats each, interleaved, the round with the median ratio (${pair.ratios.map(r => r.toFixed(2)).join(", ")})`
			});
			const met = rows[0].met;
			if (BREAKDOWN || !met) rows.push(...(await breakdownRows(t, journal.length)));
			return rows;
		});
	} finally {
		await server.stop();
		fs.rmSync(workspace, { recursive: true, force: true });
	}
}


export default async function durableBench(): Promise<Row[]> {
	const rows: Row[] = [];
	if (PARTS.includes("overhead")) {
		log(`  overhead: ${ROUNDS} rounds × ${CHATS} chats per variant, ${WARMUP} warm-up`);
		rows.push(...(await overheadRows()));
	}
	if (PARTS.includes("resume")) {
		log("  resume: kills of a process agent's worker");
		rows.push(...(await resumeRows()));
	}
	if (PARTS.includes("suspended")) {
		log("  suspended: tasks waiting for a person");
		rows.push(...(await suspendedRows()));
	}
	return rows;
}
