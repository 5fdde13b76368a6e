/**
 * The model abstraction layer against the official `openai` SDK, both talking to the
 * same local server that speaks OpenAI's wire format (test/support/llm-wire; it echoes,
 * so the model itself costs nothing and only the layers are timed), in one process:
 *
 * - `mal.chat` in-process (validation, the router, the provider service with its
 *   bulkhead/breaker/timeout, the SDK, Prometheus counters and the metering INSERT into
 *   embedded PGlite) vs `chat.completions.create` straight from the SDK. Target from
 *   the issue: ours ≤ 1.1 × the SDK + 1 ms (mean).
 * - Where the overhead goes: our OpenAIProvider class alone, `llm.openai.chat` through
 *   the broker without the router, one `UsageStore.record` and one `LlmMetrics.answered`.
 * - Time to first token: `mal.stream` (first `{"type":"text"}` line) vs the SDK's
 *   `stream: true` (first content delta).
 * - `POST /api/v1/llm/chat` through the gateway (admin token) vs the SDK.
 *
 * Variants run interleaved, the order rotating each round; the median round is reported,
 * with the CPU time per call (steadier than wall time when other processes share the
 * machine). Knobs: BENCH_ROUNDS (default 3), BENCH_MAL_CALLS (default 300 sequential
 * chat calls per variant and round, a third as many warm-up), BENCH_MAL_STREAMS
 * (default 100), BENCH_MAL_HTTP_CALLS (default 200).
 */
import fs from "node:fs";
import type { Readable } from "node:stream";
import OpenAI from "openai";
import { Registry } from "prom-client";
import { LlmMetrics } from "../lib/mal/llm-metrics";
import { OpenAIProvider } from "../lib/mal/providers/openai";
import type { ProviderChatResult } from "../lib/mal/types";
import { UsageStore, type UsageRecord } from "../lib/mal/usage-store";
import type { ChatResult, StreamLine } from "../lib/mal/results";
import { startOpenAIServer, type OpenAIServer } from "../test/support/llm-wire/openai-server";
import { startTestNode, type TestNode } from "../test/support/test-node";
import { check } from "./lib/check";
import { cpuMsSince, measureRounds, medianRound, summarize, type Sampled } from "./lib/rounds";
import { log, row, type Row } from "./lib/table";

export const title = "Model abstraction layer";

const ROUNDS = positiveInt(process.env.BENCH_ROUNDS, 3);
const CALLS = positiveInt(process.env.BENCH_MAL_CALLS, 300);
const STREAMS = positiveInt(process.env.BENCH_MAL_STREAMS, 100);
const HTTP_CALLS = positiveInt(process.env.BENCH_MAL_HTTP_CALLS, 200);
/** Warm-up runs per variant before the timed rounds: a tenth left the first round visibly slower. */
const warmupOf = (n: number) => Math.max(10, Math.round(n / 3));
const RECORDS = CALLS;
const METRIC_OBSERVATIONS = 10_000;

const API_KEY = "sk-bench";
const MODEL = "gpt-4o-mini"; // the node's default model (first of OPENAI_MODELS)
const PROMPT = "How fast is the model abstraction layer?";
const MESSAGES = [{ role: "user" as const, content: PROMPT }];
const EXPECTED = `echo: ${PROMPT}`;
const TARGET = { ratio: 1.1, plusMs: 1 };

function positiveInt(value: string | undefined, fallback: number): number {
	const n = Number(value);
	return Number.isInteger(n) && n > 0 ? n : fallback;
}

const now = () => process.hrtime.bigint();
const msSince = (start: bigint) => Number(now() - start) / 1e6;

/** One way of doing the operation; `run` resolves to its own duration in ms (e.g. time to first token). */
interface Variant {
	label: string;
	run(): Promise<number>;
}

/** Wraps an operation so that its whole duration is the sample. */
const timed =
	(op: () => Promise<unknown>) =>
	async (): Promise<number> => {
		const start = now();
		await op();
		return msSince(start);
	};

/**
 * Every variant `warmup` times untimed (a first pass over all, so that no variant pays
 * for the JIT alone), then ROUNDS rounds of `n` sequential runs of each variant in turn,
 * the order rotating so drift on a busy machine spreads evenly; the median round is kept.
 */
async function sampleAll(what: string, variants: readonly Variant[], n: number, warmup: number, between?: () => void): Promise<Map<string, Sampled>> {
	const rounds = await measureRounds(
		variants.map(v => ({ ...v, timesItself: true })),
		{ calls: n, rounds: ROUNDS, warmup, order: "blocks", prefix: `${what}: `, afterRound: between }
	);
	return new Map(variants.map(v => [v.label, medianRound(rounds, v.label)]));
}

/** Splits a byte stream into lines. */
async function* lines(stream: Readable): AsyncGenerator<string> {
	let buffered = "";
	for await (const chunk of stream) {
		buffered += typeof chunk === "string" ? chunk : (chunk as Buffer).toString("utf8");
		let nl: number;
		while ((nl = buffered.indexOf("\n")) >= 0) {
			const line = buffered.slice(0, nl);
			buffered = buffered.slice(nl + 1);
			if (line.trim()) yield line;
		}
	}
	if (buffered.trim()) yield buffered;
}

const ms = (v: number) => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(3)} ms`;

export default async function mal(): Promise<Row[]> {
	log(`  ${ROUNDS} rounds, interleaved; per variant and round: ${CALLS} chat calls, ${STREAMS} streams, ${HTTP_CALLS} HTTP calls (a third as many warm-up first); the median round is reported`);
	let server: OpenAIServer | undefined;
	let t: TestNode | undefined;
	try {
		server = await startOpenAIServer({ apiKey: API_KEY });
		t = await startTestNode({ OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: server.url, LOG_LEVEL: "error" });
		await t.node.ready;
		const { broker, kernel } = t.node;
		const gateway = t;
		const wire = server;
		const forget = () => {
			wire.requests.length = 0; // the fake server records every request
		};
		const sdk = new OpenAI({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0 });
		const provider = new OpenAIProvider({ name: "openai", type: "openai", apiKey: API_KEY, baseUrl: server.url, models: [MODEL], concurrency: 16, timeoutMs: 120_000 });

		// ── The operations, each checked once: they must really reach the server and answer the echo.
		const sdkChat = async () => {
			const res = await sdk.chat.completions.create({ model: MODEL, messages: MESSAGES });
			return res.choices[0]?.message.content;
		};
		const providerChat = async () => (await provider.chat({ model: MODEL, messages: MESSAGES }, AbortSignal.timeout(120_000))).content;
		const serviceChat = async () => (await broker.call<ProviderChatResult, object>("llm.openai.chat", { request: { model: MODEL, messages: MESSAGES } })).content;
		const malChat = async () => (await broker.call<ChatResult, object>("mal.chat", { messages: MESSAGES })).message.content;
		const gatewayChat = async () => {
			const res = await gateway.request("/api/v1/llm/chat", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ messages: MESSAGES }) });
			const body = (await res.json()) as ChatResult;
			if (res.status !== 200) throw new Error(`POST /api/v1/llm/chat answered ${res.status}: ${JSON.stringify(body)}`);
			return body.message.content;
		};
		// The gateway's own floor: an authenticated GET that calls an action but no model.
		const gatewayFloor = async () => {
			const res = await gateway.request("/api/v1/llm/models");
			const body = (await res.json()) as { defaultModel?: string };
			if (res.status !== 200 || body.defaultModel !== MODEL) throw new Error(`GET /api/v1/llm/models answered ${res.status}: ${JSON.stringify(body)}`);
			return EXPECTED;
		};
		const sdkFirstToken = async (): Promise<number> => {
			const start = now();
			const stream = await sdk.chat.completions.create({ model: MODEL, messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
			let first: number | undefined;
			let text = "";
			for await (const chunk of stream) {
				const piece = chunk.choices[0]?.delta.content;
				if (!piece) continue;
				first ??= msSince(start);
				text += piece;
			}
			check(first !== undefined && text === EXPECTED, `SDK stream gave ${JSON.stringify(text)}`);
			return first;
		};
		const malFirstToken = async (): Promise<number> => {
			const start = now();
			const stream = await broker.call<Readable, object>("mal.stream", { messages: MESSAGES });
			let first: number | undefined;
			let text = "";
			let end: StreamLine | undefined;
			// Read to the end, as a client would, so the metering of each stream is part of the run.
			for await (const raw of lines(stream)) {
				const line = JSON.parse(raw) as StreamLine;
				if (line.type === "text") {
					first ??= msSince(start);
					text += line.text;
				} else if (line.type === "end" || line.type === "error") end = line;
			}
			check(first !== undefined && text === EXPECTED && end?.type === "end", `mal.stream gave ${JSON.stringify(text)}, last line ${JSON.stringify(end)}`);
			return first;
		};

		for (const [name, op] of [["SDK", sdkChat], ["OpenAIProvider", providerChat], ["llm.openai.chat", serviceChat], ["mal.chat", malChat], ["gateway", gatewayChat], ["gateway floor", gatewayFloor]] as const) {
			const content = await op();
			check(content === EXPECTED, `${name} answered ${JSON.stringify(content)}, expected ${JSON.stringify(EXPECTED)}`);
		}
		const routed = await broker.call<ChatResult, object>("mal.chat", { messages: MESSAGES });
		check(routed.provider === "openai" && routed.model === MODEL, `mal.chat went to ${routed.provider}/${routed.model}`);
		const usageRows = async () => Number((await kernel.db.query<{ n: string }>("SELECT count(*) AS n FROM llm_usage")).rows[0].n);
		const rowsBefore = await usageRows();

		// ── 1. Chat, in-process, with the layers under mal.chat.
		const chat = await sampleAll(
			"chat",
			[
				{ label: "sdk", run: timed(sdkChat) },
				{ label: "provider", run: timed(providerChat) },
				{ label: "service", run: timed(serviceChat) },
				{ label: "mal", run: timed(malChat) }
			],
			CALLS,
			warmupOf(CALLS),
			forget
		);
		const metered = (await usageRows()) - rowsBefore;
		check(metered >= ROUNDS * CALLS, `only ${metered} usage rows for ${ROUNDS * CALLS} timed mal.chat calls: metering is not on`);

		// The metering write alone, into the same embedded database.
		const store = new UsageStore(kernel.db);
		const record = (i: number): UsageRecord => ({
			agentId: null,
			provider: "openai",
			model: MODEL,
			kind: "chat",
			promptTokens: 12,
			completionTokens: 14,
			costUsd: 0.0000102,
			latencyMs: 1,
			requestId: `bench-${i}`
		});
		for (let i = 0; i < warmupOf(RECORDS); i++) await store.record(record(i));
		const inserts: number[] = [];
		const insertCpu = process.cpuUsage();
		for (let i = 0; i < RECORDS; i++) inserts.push(await timed(() => store.record(record(i)))());
		const insert = summarize(inserts, cpuMsSince(insertCpu));
		// Rows are written in batches: the write's cost, shared by the rows of one batch.
		const flushStarted = performance.now();
		await store.flush();
		const flushPerRow = (performance.now() - flushStarted) / RECORDS;

		// prom-client: the counters and histogram mal.chat updates per answered call (a fresh registry).
		const llmMetrics = new LlmMetrics(new Registry(), broker, ["openai"]);
		const rec = record(0);
		for (let i = 0; i < 1000; i++) llmMetrics.answered(rec);
		const promStart = now();
		for (let i = 0; i < METRIC_OBSERVATIONS; i++) llmMetrics.answered(rec);
		const promMs = msSince(promStart) / METRIC_OBSERVATIONS;

		// ── 2. Time to first token.
		const ttft = await sampleAll(
			"stream",
			[
				{ label: "sdk", run: sdkFirstToken },
				{ label: "mal", run: malFirstToken }
			],
			STREAMS,
			warmupOf(STREAMS),
			forget
		);

		// ── 3. Chat over HTTP through the gateway.
		const http = await sampleAll(
			"http",
			[
				{ label: "sdk", run: timed(sdkChat) },
				{ label: "gateway", run: timed(gatewayChat) },
				{ label: "floor", run: timed(gatewayFloor) }
			],
			HTTP_CALLS,
			warmupOf(HTTP_CALLS),
			forget
		);

		// ── Rows.
		const sdk1 = chat.get("sdk")!;
		const ours = chat.get("mal")!;
		const prov = chat.get("provider")!;
		const svc = chat.get("service")!;
		const overhead = ours.mean - sdk1.mean;
		const allowed = TARGET.ratio * sdk1.mean + TARGET.plusMs;
		const per = (n: number) => `${ROUNDS} rounds × ${n / ROUNDS} sequential calls, median round`;
		const cpu = (b: Sampled, o: Sampled) => `${o.cpu.toFixed(2)} vs ${b.cpu.toFixed(2)} ms/call`;
		const share = (part: number) => (overhead > 0 ? `${Math.round((100 * part) / overhead)}% of the mal.chat overhead` : "");
		const rows: Row[] = [
			row({
				metric: "chat: mal.chat in-process vs SDK direct, mean",
				baseline: sdk1.mean,
				ours: ours.mean,
				unit: "ms",
				target: `≤ ${TARGET.ratio}x + ${TARGET.plusMs} ms`,
				met: ours.mean <= allowed,
				note: `${ms(overhead)} per call (allowed ${ms(allowed - sdk1.mean)}); CPU ${cpu(sdk1, ours)}; ${per(sdk1.n)}`
			}),
			row({ metric: "chat: mal.chat in-process vs SDK direct, p50", baseline: sdk1.p50, ours: ours.p50, unit: "ms", note: ms(ours.p50 - sdk1.p50) }),
			row({ metric: "chat: mal.chat in-process vs SDK direct, p99", baseline: sdk1.p99, ours: ours.p99, unit: "ms", note: ms(ours.p99 - sdk1.p99) }),
			row({
				metric: "  layer: our OpenAIProvider class alone, mean",
				baseline: sdk1.mean,
				ours: prov.mean,
				unit: "ms",
				note: `${ms(prov.mean - sdk1.mean)} over the SDK: request/response mapping, AbortSignal.timeout; CPU ${prov.cpu.toFixed(2)} ms/call`
			}),
			row({
				metric: "  layer: broker.call llm.openai.chat (no router), mean",
				baseline: sdk1.mean,
				ours: svc.mean,
				unit: "ms",
				note: `${ms(svc.mean - prov.mean)} over the class: action call, bulkhead, breaker, timeout; CPU ${svc.cpu.toFixed(2)} ms/call`
			}),
			row({
				metric: "  layer: mal.chat (router + metering), mean",
				baseline: sdk1.mean,
				ours: ours.mean,
				unit: "ms",
				note: `${ms(ours.mean - svc.mean)} over llm.openai.chat: validation, routing, nested call, cost, metrics, metering; CPU ${ours.cpu.toFixed(2)} ms/call`
			}),
			row({
				metric: "  metering: UsageStore.record (queued), mean",
				baseline: Number.NaN,
				ours: insert.mean,
				unit: "ms",
				note: `p50 ${insert.p50.toFixed(3)}, p99 ${insert.p99.toFixed(3)} ms; ${RECORDS} rows; the batched INSERT then costs ${flushPerRow.toFixed(3)} ms a row; ${share(insert.mean)}`
			}),
			row({
				metric: "  metrics: LlmMetrics.answered (prom-client), mean",
				baseline: Number.NaN,
				ours: promMs,
				unit: "ms",
				note: `${(promMs * 1000).toFixed(2)} µs; ${METRIC_OBSERVATIONS.toLocaleString("en-US")} observations; ${share(promMs)}`
			})
		];

		const sdkT = ttft.get("sdk")!;
		const malT = ttft.get("mal")!;
		const streams = `call → first text; ${ROUNDS} rounds × ${sdkT.n / ROUNDS} streams, median round`;
		rows.push(
			row({ metric: "time to first token: mal.stream vs SDK stream, mean", baseline: sdkT.mean, ours: malT.mean, unit: "ms", note: `${ms(malT.mean - sdkT.mean)}; CPU ${cpu(sdkT, malT)} (whole stream); ${streams}` }),
			row({ metric: "time to first token: mal.stream vs SDK stream, p50", baseline: sdkT.p50, ours: malT.p50, unit: "ms", note: ms(malT.p50 - sdkT.p50) }),
			row({ metric: "time to first token: mal.stream vs SDK stream, p99", baseline: sdkT.p99, ours: malT.p99, unit: "ms", note: ms(malT.p99 - sdkT.p99) })
		);

		const sdkH = http.get("sdk")!;
		const gw = http.get("gateway")!;
		const floor = http.get("floor")!;
		rows.push(
			row({ metric: "chat over HTTP: POST /api/v1/llm/chat vs SDK direct, mean", baseline: sdkH.mean, ours: gw.mean, unit: "ms", note: `${ms(gw.mean - sdkH.mean)}; CPU ${cpu(sdkH, gw)}; ${per(sdkH.n)}` }),
			row({ metric: "chat over HTTP: POST /api/v1/llm/chat vs SDK direct, p50", baseline: sdkH.p50, ours: gw.p50, unit: "ms", note: ms(gw.p50 - sdkH.p50) }),
			row({ metric: "chat over HTTP: POST /api/v1/llm/chat vs SDK direct, p99", baseline: sdkH.p99, ours: gw.p99, unit: "ms", note: ms(gw.p99 - sdkH.p99) }),
			row({
				metric: "  gateway floor: GET /api/v1/llm/models, mean",
				baseline: Number.NaN,
				ours: floor.mean,
				unit: "ms",
				note: `p50 ${floor.p50.toFixed(3)} ms; the extra HTTP hop, auth and an action, no model call`
			})
		);
		return rows;
	} finally {
		await t?.stop();
		await server?.stop();
		if (t) fs.rmSync(t.dataDir, { recursive: true, force: true });
	}
}
