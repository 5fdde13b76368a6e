/**
 * The A2A server against REST on one node (PGlite, an inprocess echo agent): a blocking
 * `SendMessage` (JSON-RPC at /a2a/<id>, the answer the completed task) against the same
 * task over REST (`POST /api/v1/agents/:id/tasks`, waiting for the result); target ≤ 1.2x.
 * Both are sequential HTTP requests with the same token; the A2A one also keeps the
 * protocol's record of the task (history, artifacts) beside it. Also shown: the same
 * message through the official SDK client (`@a2a-js/sdk/client`), and GetTask.
 * Each round calls the variants in turn, call by call (the order rotating), so load on a
 * shared machine falls on all of them alike; each comparison reports the round with the
 * median ratio. Knobs: BENCH_A2A_CALLS (default 500 timed calls per variant and round, a
 * fifth as many warm-up), BENCH_ROUNDS (default 3).
 */
import { Role } from "@a2a-js/sdk";
import { ClientFactory, DefaultAgentCardResolver, JsonRpcTransportFactory } from "@a2a-js/sdk/client";
import { echoManifest, FAST_AGENT_ENV, FIXTURE_AGENTS, spawnAgent, untilState } from "../test/support/agents";
import { startTestNode } from "../test/support/test-node";
import { check } from "./lib/check";
import { measureRounds, medianRoundPair, type RoundPair } from "./lib/rounds";
import { log, row, type Row } from "./lib/table";
import { positiveInt } from "./lib/timing";

export const title = "A2A server: SendMessage against the same task over REST";

const CALLS = positiveInt(process.env.BENCH_A2A_CALLS, 500);
const ROUNDS = positiveInt(process.env.BENCH_ROUNDS, 3);
const WARMUP = Math.max(10, Math.round(CALLS / 5));
const TARGET = 1.2;

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

		// GetTask and its REST twin read the last task SendMessage made: one exists before the rounds.
		await a2a();
		log(`  ${ROUNDS} rounds × ${CALLS} calls per variant, ${WARMUP} warm-up`);
		const rounds = await measureRounds(
			[
				{ label: "rest", run: rest },
				{ label: "a2a", run: a2a },
				{ label: "sdk", run: sdk },
				{ label: "rest-get", run: restGet },
				{ label: "get", run: getTask }
			],
			{ calls: CALLS, rounds: ROUNDS, warmup: WARMUP }
		);
		const send = medianRoundPair(rounds, "rest", "a2a");
		const viaSdk = medianRoundPair(rounds, "rest", "sdk");
		const get = medianRoundPair(rounds, "rest-get", "get");
		const ms = (x: number) => `${x.toFixed(2)} ms`;
		const note = ({ base, ours, ratios }: RoundPair, a: string, b: string) =>
			`p50 ${a} ${ms(ours.p50)}, ${b} ${ms(base.p50)}; ratios of the rounds ${ratios.map(r => r.toFixed(2)).join(", ")}`;
		return [
			row({ metric: "SendMessage (JSON-RPC) vs POST /agents/:id/tasks", baseline: send.base.mean, ours: send.ours.mean, unit: "ms/call", target: `≤ ${TARGET}x`, met: send.ratio <= TARGET, note: note(send, "A2A", "REST") }),
			row({ metric: "SendMessage through the @a2a-js/sdk client vs REST", baseline: viaSdk.base.mean, ours: viaSdk.ours.mean, unit: "ms/call", note: note(viaSdk, "SDK", "REST") }),
			row({ metric: "GetTask vs GET /api/v1/tasks/:id", baseline: get.base.mean, ours: get.ours.mean, unit: "ms/call", note: note(get, "A2A", "REST") })
		];
	} finally {
		await t.stop();
	}
}
