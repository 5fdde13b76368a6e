/**
 * The OpenAI-compatible endpoint against AgentOS's own REST chat, on one node (embedded
 * PGlite) whose model is a local server speaking OpenAI's wire format (test/support/llm-wire;
 * it echoes, so the model costs nothing and the difference is the endpoint's own work):
 *
 * - `POST /v1/chat/completions {model: "agent:<id>"}` vs `POST /api/v1/agents/:id/chat`,
 *   both over HTTP with keep-alive, to the same declarative agent (no history, no recall)
 *   with the same message (target ≤ 1.1x, mean).
 * - The same two with `stream: true`, read to the end (OpenAI chunks ending in [DONE] vs
 *   AgentOS's named events), for information.
 *
 * Each round calls the variants in turn, call by call (the order rotating), so load on a
 * shared machine falls on all of them alike; each comparison reports the round with
 * the median ratio. Knobs:
 * BENCH_OPENAI_CHATS (sequential calls per variant and round, default 300; a third as
 * many warm-up), BENCH_ROUNDS (default 3).
 */
import fs from "node:fs";
import { startOpenAIServer } from "../test/support/llm-wire/openai-server";
import { startTestNode, type TestNode } from "../test/support/test-node";
import { check } from "./lib/check";
import { diffMs, measureRounds, medianRoundPair, pairRows, type Variant } from "./lib/rounds";
import { log, row, type Row } from "./lib/table";
import { positiveInt } from "./lib/timing";

export const title = "OpenAI-compatible endpoint";

const CHATS = positiveInt(process.env.BENCH_OPENAI_CHATS, 300);
const ROUNDS = positiveInt(process.env.BENCH_ROUNDS, 3);
const WARMUP = Math.max(10, Math.round(CHATS / 3));
const TARGET = 1.1;
const API_KEY = "sk-bench";
const AGENT = "bench-chat";
const MESSAGE = "How fast is the OpenAI-compatible endpoint?";
const EXPECTED = `echo: ${MESSAGE}`;

/** Each variant answers the answer's text, to check that the call really went through. */
function variants(t: TestNode): (Variant & { run(): Promise<string> })[] {
	const send = async (route: string, body: object) => {
		const res = await t.request(route, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
		const text = await res.text();
		check(res.ok, `${route} answered ${res.status}: ${text}`);
		return text;
	};
	const messages = [{ role: "user", content: MESSAGE }];
	const model = `agent:${AGENT}`;
	return [
		{ label: "rest", run: async () => (JSON.parse(await send(`/api/v1/agents/${AGENT}/chat`, { message: MESSAGE })) as { answer: string }).answer },
		{ label: "openai", run: async () => (JSON.parse(await send("/v1/chat/completions", { model, messages })) as { choices: { message: { content: string } }[] }).choices[0].message.content },
		{
			label: "rest-stream",
			run: async () => {
				const frames = (await send(`/api/v1/agents/${AGENT}/chat`, { message: MESSAGE, stream: true })).split("\n\n").filter(f => f.startsWith("event: end"));
				return (JSON.parse(frames[0].slice(frames[0].indexOf("data: ") + 6)) as { result: { answer: string } }).result.answer;
			}
		},
		{
			label: "openai-stream",
			run: async () => {
				const frames = (await send("/v1/chat/completions", { model, messages, stream: true })).trim().split("\n\n");
				check(frames.at(-1) === "data: [DONE]", "the stream did not end in [DONE]");
				return frames
					.slice(0, -1)
					.map(f => (JSON.parse(f.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? "")
					.join("");
			}
		}
	];
}

export default async function openAICompatBench(): Promise<Row[]> {
	const server = await startOpenAIServer({ apiKey: API_KEY });
	const t = await startTestNode({ OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: server.url, LOG_LEVEL: "warn" });
	try {
		await t.node.ready;
		await t.node.broker.call("agents.spawn", { manifest: { id: AGENT, name: "Bench chat", instructions: "You answer briefly.", memory: { historyWindow: 0, recall: 0 } } });
		const all = variants(t);
		for (const v of all) {
			const answer = await v.run();
			check(answer === EXPECTED, `${v.label} answered ${JSON.stringify(answer)}, expected ${JSON.stringify(EXPECTED)}`);
		}
		log(`  ${ROUNDS} rounds × ${CHATS} calls per variant, ${WARMUP} warm-up`);
		// The fake server records every request: cleared after each round.
		const rounds = await measureRounds(all, { calls: CHATS, rounds: ROUNDS, warmup: WARMUP, afterRound: () => (server.requests.length = 0) });
		// A pair's figures come from one round, the round whose ratio is the median: both sides
		// of the ratio then ran side by side, under the same load.
		const plain = medianRoundPair(rounds, "rest", "openai");
		const { base: restStream, ours: openaiStream } = medianRoundPair(rounds, "rest-stream", "openai-stream");
		const calls = `${ROUNDS} rounds × ${CHATS} sequential HTTP calls each, interleaved; the round with the median ratio`;
		return [
			...pairRows("POST /v1/chat/completions (agent) vs POST /api/v1/agents/:id/chat", plain, { target: TARGET, note: `per call; ${calls}` }),
			row({
				metric: "the same with stream: true, read to the end, mean",
				baseline: restStream.mean,
				ours: openaiStream.mean,
				unit: "ms",
				note: `${diffMs(openaiStream.mean - restStream.mean)}; p50 ${openaiStream.p50.toFixed(2)} vs ${restStream.p50.toFixed(2)} ms; OpenAI chunks + [DONE] vs AgentOS events`
			})
		];
	} finally {
		await t.stop();
		await server.stop();
		fs.rmSync(t.dataDir, { recursive: true, force: true });
	}
}
