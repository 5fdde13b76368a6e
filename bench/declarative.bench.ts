/**
 * Declarative agents (a manifest with instructions and no entryPoint; the actor runs the
 * framework's tool-calling loop), on embedded PGlite, against a local server speaking
 * OpenAI's wire format (test/support/llm-wire; it echoes, so the model costs nothing):
 *
 * - Many agents on one node: BENCH_DECLARATIVE_AGENTS (default 10,000) spawned through
 *   `agents.spawn` (no HTTP), one after another: total time, agents/s, the node's RSS
 *   before and after (target < 1 GB), and the latency of spawns #10–19 against the last
 *   ten (target ≤ 2x: a spawn must not get slower as agents accumulate). The last agent
 *   must then answer a chat. Spawning stops early past BENCH_SPAWN_BUDGET_MS.
 * - A chat round trip (`chat.send`: submitTask, the mailbox, the ctx bridge, `llm.run`)
 *   against one `mal.chat` call with the same message (target ≤ 1.2x for an agent with
 *   no history and no recall), then with history kept and with recall (a memory search
 *   per message), so the cost of each shows.
 *
 * Each part has its own node and data directory. Knobs: BENCH_DECLARATIVE_AGENTS,
 * BENCH_DECLARATIVE_CONCURRENCY (spawns in flight, default 1: the embedded database runs
 * one query at a time, so more in flight adds waiting, not throughput, and blurs each
 * spawn's latency), BENCH_SPAWN_BUDGET_MS (default 360,000),
 * BENCH_DECLARATIVE_CHATS (default 300 sequential calls per variant and round, a third
 * as many warm-up), BENCH_ROUNDS (default 3, the median round reported).
 */
import fs from "node:fs";
import type { ServiceBroker } from "moleculer";
import type { AgentView } from "../lib/cluster/agent-view";
import type { ChatResult } from "../lib/mal/results";
import { startOpenAIServer, type OpenAIServer } from "../test/support/llm-wire/openai-server";
import { startTestNode, type TestNode } from "../test/support/test-node";
import { check } from "./lib/check";
import { collectGarbage } from "./lib/procs";
import { diffMs, measureRounds, medianRound, pairRows } from "./lib/rounds";
import { quantileSorted } from "./lib/stats";
import { log, row, type Row } from "./lib/table";
import { mean, msSince, now, positiveInt } from "./lib/timing";

export const title = "Declarative agents";

const AGENTS = positiveInt(process.env.BENCH_DECLARATIVE_AGENTS, 10_000);
const CONCURRENCY = positiveInt(process.env.BENCH_DECLARATIVE_CONCURRENCY, 1);
const SPAWN_BUDGET_MS = positiveInt(process.env.BENCH_SPAWN_BUDGET_MS, 360_000);
const CHATS = positiveInt(process.env.BENCH_DECLARATIVE_CHATS, 300);
const ROUNDS = positiveInt(process.env.BENCH_ROUNDS, 3);
const WARMUP = Math.max(10, Math.round(CHATS / 3));
const PROGRESS_EVERY = 1000;
const RSS_TARGET_MB = 1024;
const CHAT_TARGET = 1.2;

const API_KEY = "sk-bench";
const MESSAGE = "How fast is a declarative agent?";
const EXPECTED = `echo: ${MESSAGE}`;

const yieldToEventLoop = () => new Promise<void>(resolve => setImmediate(resolve));
const rssMb = () => process.memoryUsage().rss / 2 ** 20;

const manifestOf = (n: number) => ({ id: `d-${n}`, name: `D ${n}`, instructions: "You answer briefly.", memory: { recall: 0 } });

/** What chat.send answers (the parts read here). */
interface ChatAnswer {
	taskId: string;
	answer: string | null;
	stopReason: string;
}

async function chatOnce(broker: ServiceBroker, id: string): Promise<string | null> {
	const r = await broker.call<ChatAnswer, { id: string; message: string }>("chat.send", { id, message: MESSAGE });
	return r.answer;
}

async function nodeWith(server: OpenAIServer): Promise<TestNode> {
	const t = await startTestNode({ OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: server.url, LOG_LEVEL: "warn" });
	await t.node.ready;
	return t;
}

/** Part 1: spawn many agents, timing each spawn by its agent number. */
async function spawnRows(server: OpenAIServer): Promise<Row[]> {
	const t = await nodeWith(server);
	try {
		const broker = t.node.broker;
		collectGarbage();
		const rssBefore = rssMb();
		const times = new Float64Array(AGENTS);
		let next = 0;
		let done = 0;
		let stopped = false;
		const started = now();
		const spawner = async () => {
			while (!stopped && next < AGENTS) {
				// A client's request arrives as I/O, so the event loop turns between spawns; a bare
				// loop of in-process calls on the embedded database never would, and the node's
				// timers (the audit writer among them) would starve until its buffer is full.
				await yieldToEventLoop();
				const n = ++next;
				const start = now();
				const view = await broker.call<AgentView, { manifest: object }>("agents.spawn", { manifest: manifestOf(n) });
				times[n - 1] = msSince(start);
				check(view.state === "running", `agent d-${n} is ${view.state} after spawn: ${view.lastError ?? ""}`);
				if (++done % PROGRESS_EVERY === 0) {
					const last = times.slice(Math.max(0, n - 10), n);
					log(`  spawned ${done}: last ten ${mean([...last]).toFixed(2)} ms each, RSS ${rssMb().toFixed(0)} MB, ${(msSince(started) / 1000).toFixed(0)} s so far`);
				}
				if (msSince(started) > SPAWN_BUDGET_MS) stopped = true;
			}
		};
		await Promise.all(Array.from({ length: CONCURRENCY }, spawner));
		const totalS = msSince(started) / 1000;
		// With several in flight, the numbers handed out are all done once every spawner returned.
		const n = next;
		check(n === done && n >= 30, `only ${done} of ${n} spawns finished`);
		collectGarbage();
		const rssAfter = rssMb();
		const heapMb = process.memoryUsage().heapUsed / 2 ** 20;

		const lastId = `d-${n}`;
		const answer = await chatOnce(broker, lastId);
		check(answer === EXPECTED, `agent ${lastId} answered ${JSON.stringify(answer)}, expected ${JSON.stringify(EXPECTED)}`);
		log(`  ${lastId} answered a chat`);

		const early = mean([...times.slice(9, 19)]);
		const late = mean([...times.slice(n - 10, n)]);
		const sortedTimes = [...times.slice(0, n)].sort((a, b) => a - b);
		const cut = n < AGENTS ? `; STOPPED at ${n} of ${AGENTS} (budget ${SPAWN_BUDGET_MS / 1000} s)` : "";
		const how = CONCURRENCY === 1 ? "one at a time" : `${CONCURRENCY} in flight`;
		return [
			row({
				metric: `spawn ${n.toLocaleString("en-US")} declarative agents (agents.spawn), total`,
				baseline: Number.NaN,
				ours: totalS,
				unit: "s",
				note: `${how}; ${(n / totalS).toFixed(0)} agents/s${cut}`
			}),
			row({ metric: "spawn rate", baseline: Number.NaN, ours: n / totalS, unit: "agents/s", note: `${how}; p50 ${quantileSorted(sortedTimes, 0.5).toFixed(2)} ms, p99 ${quantileSorted(sortedTimes, 0.99).toFixed(2)} ms per spawn` }),
			row({
				metric: `spawn latency: #10 (mean #10–19) vs #${n} (mean #${n - 9}–${n})`,
				baseline: early,
				ours: late,
				unit: "ms",
				target: "≤ 2x",
				met: late / early <= 2,
				note: `${CONCURRENCY === 1 ? "agents.spawn → running, sequential" : `${how}, so each includes waiting on the others`}; #10–19 still warm up (JIT); median of all ${quantileSorted(sortedTimes, 0.5).toFixed(2)} ms`
			}),
			row({
				metric: `node RSS: before vs after ${n.toLocaleString("en-US")} agents`,
				baseline: rssBefore,
				ours: rssAfter,
				unit: "MB",
				target: "< 1 GB",
				met: rssAfter < RSS_TARGET_MB,
				note: `after a forced GC; ${(((rssAfter - rssBefore) * 1024) / n).toFixed(1)} KB per agent; V8 heap ${heapMb.toFixed(0)} MB; the last agent answered a chat`
			})
		];
	} finally {
		await t.stop();
		fs.rmSync(t.dataDir, { recursive: true, force: true });
	}
}

/** Part 2: chat.send to three agents against mal.chat, in rounds of each variant in turn (the order rotating); the median round. */
async function chatRows(server: OpenAIServer): Promise<Row[]> {
	const t = await nodeWith(server);
	try {
		const broker = t.node.broker;
		const agents = [
			{ label: "loop", manifest: { memory: { historyWindow: 0, recall: 0 } } },
			{ label: "history", manifest: { memory: { recall: 0 } } },
			{ label: "recall", manifest: { memory: { recall: 3 } } }
		];
		for (const a of agents) {
			const view = await broker.call<AgentView, { manifest: object }>("agents.spawn", {
				manifest: { id: `chat-${a.label}`, name: `Chat ${a.label}`, instructions: "You answer briefly.", ...a.manifest }
			});
			check(view.state === "running", `agent chat-${a.label} is ${view.state}: ${view.lastError ?? ""}`);
		}
		// Something for recall to find: a memory search over an empty store would cost less than a real one.
		for (let i = 0; i < 20; i++) {
			await broker.call("memory.store", { agentId: "chat-recall", content: `Fact ${i}: the benchmark measures declarative agents, item ${i}.` });
		}
		const malChat = async () => (await broker.call<ChatResult, object>("mal.chat", { messages: [{ role: "user", content: MESSAGE }] })).message.content;
		const variants = [
			{ label: "mal", run: malChat },
			...agents.map(a => ({ label: a.label, run: () => chatOnce(broker, `chat-${a.label}`) }))
		];
		for (const v of variants) {
			const answer = await v.run();
			check(answer === EXPECTED, `${v.label} answered ${JSON.stringify(answer)}, expected ${JSON.stringify(EXPECTED)}`);
		}
		// A round's calls of one variant, then the next's (the order rotating by round); the fake server records every request.
		const rounds = await measureRounds(variants, { calls: CHATS, rounds: ROUNDS, warmup: WARMUP, order: "blocks", prefix: "chat: ", afterRound: () => (server.requests.length = 0) });
		const of = (label: string) => medianRound(rounds, label);
		const base = of("mal");
		const calls = `${ROUNDS} rounds × ${CHATS} sequential calls, median round`;
		const loop = of("loop");
		const history = of("history");
		const recall = of("recall");
		return [
			...pairRows("chat.send, no history, no recall (vs mal.chat)", { base, ours: loop }, { target: CHAT_TARGET, note: `per call; ${calls}` }),
			row({
				metric: "chat.send, history kept (vs mal.chat), mean",
				baseline: base.mean,
				ours: history.mean,
				unit: "ms",
				note: `${diffMs(history.mean - base.mean)}; p50 ${history.p50.toFixed(2)} vs ${base.p50.toFixed(2)} ms; default window, recall 0`
			}),
			row({
				metric: "chat.send, history + recall 3 (vs mal.chat), mean",
				baseline: base.mean,
				ours: recall.mean,
				unit: "ms",
				note: `${diffMs(recall.mean - base.mean)}; p50 ${recall.p50.toFixed(2)} vs ${base.p50.toFixed(2)} ms; a memory search (embedding + query) per message`
			})
		];
	} finally {
		await t.stop();
		fs.rmSync(t.dataDir, { recursive: true, force: true });
	}
}

export default async function declarativeBench(): Promise<Row[]> {
	const server = await startOpenAIServer({ apiKey: API_KEY });
	try {
		log(`  spawning up to ${AGENTS.toLocaleString("en-US")} declarative agents, ${CONCURRENCY} in flight, within ${SPAWN_BUDGET_MS / 1000} s`);
		const spawns = await spawnRows(server);
		server.requests.length = 0;
		log(`  chat: ${ROUNDS} rounds × ${CHATS} calls per variant, ${WARMUP} warm-up`);
		const chats = await chatRows(server);
		return [...spawns, ...chats];
	} finally {
		await server.stop();
	}
}
