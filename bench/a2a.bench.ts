/**
 * The A2A server against REST on one node (PGlite, an inprocess echo agent): a blocking
 * `SendMessage` (JSON-RPC at /a2a/<id>, the answer the completed task) against the same
 * task over REST (`POST /api/v1/agents/:id/tasks`, waiting for the result); target ≤ 1.2x.
 * Both are sequential HTTP requests with the same token; the A2A one also keeps the
 * protocol's record of the task (history, artifacts) beside it. Also shown: the same
 * message through the official SDK client (`@a2a-js/sdk/client`), and GetTask.
 * Knobs: BENCH_A2A_CALLS (default 500 timed calls per round, a fifth as many warm-up),
 * BENCH_ROUNDS (default 3, the median round reported).
 */
import { Role } from "@a2a-js/sdk";
import { ClientFactory, DefaultAgentCardResolver, JsonRpcTransportFactory } from "@a2a-js/sdk/client";
import { echoManifest, FAST_AGENT_ENV, FIXTURE_AGENTS, spawnAgent, untilState } from "../test/support/agents";
import { startTestNode } from "../test/support/test-node";
import { measure, medianStats, type Stats } from "./lib/stats";
import { log, row, type Row } from "./lib/table";

export const title = "A2A server: SendMessage against the same task over REST";

const CALLS = positiveInt(process.env.BENCH_A2A_CALLS, 500);
const ROUNDS = positiveInt(process.env.BENCH_ROUNDS, 3);
const WARMUP = Math.max(10, Math.round(CALLS / 5));
const TARGET = 1.2;

function positiveInt(value: string | undefined, fallback: number): number {
	const n = Number(value);
	return Number.isInteger(n) && n > 0 ? n : fallback;
}

function check(condition: boolean, message: string): asserts condition {
	if (!condition) throw new Error(message);
}

const TASK = { type: "echo", text: "ping" };

export default async function run(): Promise<Row[]> {
	const t = await startTestNode({ ...FAST_AGENT_ENV, AGENT_INPROCESS_PATHS: FIXTURE_AGENTS, LOG_LEVEL: "warn" });
	try {
		await t.node.ready;
		await spawnAgent(t, echoManifest("bench-echo", { runtime: "inprocess" }));
		await untilState(t, "bench-echo", "running");
		const headers = { authorization: `Bearer ${t.token}`, "content-type": "application/json" };
		const restBody = JSON.stringify({ task: TASK });

		const rest = async () => {
			const res = await fetch(`${t.url}/api/v1/agents/bench-echo/tasks`, { method: "POST", headers, body: restBody });
			const body = (await res.json()) as { status?: string };
			check(body.status === "succeeded", `REST task: ${JSON.stringify(body)}`);
		};
		let n = 0;
		let lastTaskId = "";
		const a2a = async () => {
			const body = JSON.stringify({ jsonrpc: "2.0", id: ++n, method: "SendMessage", params: { message: { messageId: `m-${n}`, role: "ROLE_USER", parts: [{ data: TASK }] } } });
			const res = await fetch(`${t.url}/a2a/bench-echo`, { method: "POST", headers: { ...headers, "A2A-Version": "1.0" }, body });
			const answer = (await res.json()) as { result?: { task?: { id: string; status?: { state?: string } } } };
			check(answer.result?.task?.status?.state === "TASK_STATE_COMPLETED", `A2A task: ${JSON.stringify(answer)}`);
			lastTaskId = answer.result.task.id;
		};
		const fetchImpl: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers).entries()), authorization: `Bearer ${t.token}` } });
		const client = await new ClientFactory({ transports: [new JsonRpcTransportFactory({ fetchImpl })], cardResolver: new DefaultAgentCardResolver({ fetchImpl }) }).createFromUrl(`${t.url}/a2a/bench-echo/`);
		const sdk = async () => {
			const message = { messageId: crypto.randomUUID(), contextId: "", taskId: "", role: Role.ROLE_USER, parts: [{ content: { $case: "data" as const, value: TASK }, mediaType: "", filename: "", metadata: undefined }], metadata: undefined, extensions: [], referenceTaskIds: [] };
			const result = await client.sendMessage({ tenant: "", message, configuration: undefined, metadata: undefined });
			check("status" in result && result.status?.state === 3, "SDK task did not complete");
		};
		const getTask = async () => {
			const body = JSON.stringify({ jsonrpc: "2.0", id: ++n, method: "GetTask", params: { id: lastTaskId } });
			const res = await fetch(`${t.url}/a2a/bench-echo`, { method: "POST", headers: { ...headers, "A2A-Version": "1.0" }, body });
			check(res.ok, "GetTask failed");
			await res.json();
		};
		const restGet = async () => {
			const res = await fetch(`${t.url}/api/v1/tasks/${lastTaskId}`, { headers });
			check(res.ok, "GET task failed");
			await res.json();
		};

		const runs: Record<"rest" | "a2a" | "sdk" | "get" | "restGet", Stats[]> = { rest: [], a2a: [], sdk: [], get: [], restGet: [] };
		for (let round = 0; round < ROUNDS; round++) {
			log(`  round ${round + 1}/${ROUNDS}: ${CALLS} calls each`);
			// Alternated, so drift (a growing table, the machine's load) falls on both sides.
			runs.rest.push(await measure(rest, { iterations: CALLS, warmup: WARMUP }));
			runs.a2a.push(await measure(a2a, { iterations: CALLS, warmup: WARMUP }));
			runs.sdk.push(await measure(sdk, { iterations: CALLS, warmup: WARMUP }));
			runs.restGet.push(await measure(restGet, { iterations: CALLS, warmup: WARMUP }));
			runs.get.push(await measure(getTask, { iterations: CALLS, warmup: WARMUP }));
		}
		const [r, a, s, rg, g] = [runs.rest, runs.a2a, runs.sdk, runs.restGet, runs.get].map(medianStats);
		const note = (x: Stats) => `p50 ${(x.p50Us / 1000).toFixed(2)} ms, p99 ${(x.p99Us / 1000).toFixed(2)} ms`;
		return [
			row({ metric: "SendMessage (JSON-RPC) vs POST /agents/:id/tasks", baseline: r.meanUs / 1000, ours: a.meanUs / 1000, unit: "ms/call", target: `≤ ${TARGET}x`, met: a.meanUs / r.meanUs <= TARGET, note: `A2A ${note(a)}; REST ${note(r)}` }),
			row({ metric: "SendMessage through the @a2a-js/sdk client vs REST", baseline: r.meanUs / 1000, ours: s.meanUs / 1000, unit: "ms/call", note: note(s) }),
			row({ metric: "GetTask vs GET /api/v1/tasks/:id", baseline: rg.meanUs / 1000, ours: g.meanUs / 1000, unit: "ms/call", note: `A2A ${note(g)}; REST ${note(rg)}` })
		];
	} finally {
		await t.stop();
	}
}
