/**
 * The cluster over a real nats-server and PostgreSQL.
 *
 * 1. Remote ask: an `ask` from one node to an in-process agent placed on another, vs a
 *    bare Moleculer remote call (two plain brokers, the same NATS server). Sequential.
 * 2. Failover: three node processes (`agent-os start`, defaults but a 1.5 s lease);
 *    the node holding N agents is killed with SIGKILL; time until every one of them runs
 *    on a survivor, beside the time until the survivors see the node gone (Moleculer's
 *    heartbeat timeout, CLUSTER_NODE_TIMEOUT_MS: the floor under any failover).
 *
 * Needs `npm run build` (the failover nodes run from dist). Knobs: BENCH_CALLS (default
 * 3,000 asks per round), BENCH_ROUNDS (default 3, median reported), BENCH_FAILOVER_SIZES
 * (default "10,100" agents on the killed node).
 */
import { ServiceBroker, Transporters, type Context } from "moleculer";
import type { AgentView } from "../lib/cluster/agent-view";
import type { ClusterStatus } from "../lib/cluster/cluster-view";
import { echoManifest, FAST_AGENT_ENV, FIXTURE_AGENTS } from "../test/support/agents";
import { startNats } from "../test/support/nats-server";
import { startNodeProcess, type NodeProcess } from "../test/support/node-process";
import { createDatabase, startPostgres } from "../test/support/postgres-server";
import { startTestNode } from "../test/support/test-node";
import { measure, medianStats, type Stats } from "./lib/stats";
import { log, row, type Row } from "./lib/table";

export const title = "Cluster: remote ask over NATS, and failover after kill -9";

const CALLS = positiveInt(process.env.BENCH_CALLS, 3000);
const ROUNDS = positiveInt(process.env.BENCH_ROUNDS, 3);
const SIZES = (process.env.BENCH_FAILOVER_SIZES ?? "10,100").split(",").map(s => positiveInt(s.trim(), 10));
const TOKEN = "cluster-bench-token-0123456789abcdef";
const BOUND_MS = 10_000;

function positiveInt(value: string | undefined, fallback: number): number {
	const n = Number(value);
	return Number.isInteger(n) && n > 0 ? n : fallback;
}

const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));

async function remoteAskRows(natsUrl: string, databaseUrl: string): Promise<Row[]> {
	const env = { ...FAST_AGENT_ENV, AGENT_INPROCESS_PATHS: FIXTURE_AGENTS, TRANSPORTER: natsUrl, DATABASE_URL: databaseUrl, LOG_LEVEL: "error" };
	const a = await startTestNode({ ...env, NODE_ID: "bench-a" });
	const b = await startTestNode({ ...env, NODE_ID: "bench-b", NODE_TAGS: "far" });
	const bareServer = new ServiceBroker({ namespace: "bare", nodeID: "bare-b", transporter: new Transporters.NATS(natsUrl), logger: false });
	const bareClient = new ServiceBroker({ namespace: "bare", nodeID: "bare-a", transporter: new Transporters.NATS(natsUrl), logger: false });
	try {
		await Promise.all([a.node.ready, b.node.ready]);
		bareServer.createService({ name: "bare", actions: { echo: (ctx: Context) => ctx.params } });
		await Promise.all([bareServer.start(), bareClient.start()]);
		await bareClient.waitForServices("bare", 30_000);
		await a.node.broker.waitForServices("cluster", 30_000);
		for (;;) {
			const hosts = (a.node.broker.registry.getServiceList({ onlyAvailable: true }) as Array<{ name: string }>).filter(s => s.name === "agents").length;
			if (hosts === 2) break;
			await sleep(100);
		}
		const view = await a.node.broker.call<AgentView, { manifest: Record<string, unknown> }>("agents.spawn", {
			manifest: echoManifest("far-echo", { runtime: "inprocess", placement: { nodeTags: ["far"] }, limits: { maxConcurrency: 4 } })
		});
		if (view.node !== "bench-b" || view.state !== "running") throw new Error(`far-echo is ${view.state} on ${view.node}`);
		await a.node.broker.waitForServices("agent.far-echo", 30_000);
		const task = { task: { type: "echo" } };
		const targets = {
			bare: () => bareClient.call("bare.echo", task),
			ask: () => a.node.broker.call("agent.far-echo.ask", task)
		};
		const runs: Record<keyof typeof targets, Stats[]> = { bare: [], ask: [] };
		const names = Object.keys(targets) as Array<keyof typeof targets>;
		for (const name of names) await measure(targets[name], { iterations: Math.round(CALLS / 10) });
		for (let round = 0; round < ROUNDS; round++) {
			for (let i = 0; i < names.length; i++) {
				const name = names[(i + round) % names.length];
				runs[name].push(await measure(targets[name], { iterations: CALLS, warmup: Math.round(CALLS / 10) }));
			}
			log(`  remote ask: round ${round + 1}/${ROUNDS}: ${names.map(n => `${n} ${runs[n][round].meanUs.toFixed(0)} µs`).join(", ")}`);
		}
		const [bare, ask] = names.map(n => medianStats(runs[n]));
		return [
			row({
				metric: "remote ask round trip over NATS, in-process agent (vs bare remote call)",
				baseline: bare.meanUs,
				ours: ask.meanUs,
				unit: "µs/call",
				target: "≤ 1.3x",
				met: ask.meanUs / bare.meanUs <= 1.3,
				note: `+${(ask.meanUs - bare.meanUs).toFixed(0)} µs; ${CALLS} sequential calls, median of ${ROUNDS} rounds; p99 ${ask.p99Us.toFixed(0)} vs ${bare.p99Us.toFixed(0)} µs`
			})
		];
	} finally {
		await Promise.all([bareClient.stop(), bareServer.stop()]);
		await Promise.all([a.stop(), b.stop()]);
	}
}

async function failoverRow(natsUrl: string, databaseUrl: string, perNode: number): Promise<Row> {
	const env = { ...FAST_AGENT_ENV, AGENT_INPROCESS_PATHS: FIXTURE_AGENTS, TRANSPORTER: natsUrl, DATABASE_URL: databaseUrl, CLUSTER_LEADER_LEASE_MS: "1500", LOG_LEVEL: "error" };
	const nodes: NodeProcess[] = [];
	try {
		nodes.push(await startNodeProcess("fo-1", env, TOKEN));
		nodes.push(...(await Promise.all([startNodeProcess("fo-2", env, TOKEN), startNodeProcess("fo-3", env, TOKEN)])));
		const [leader, survivor, victim] = nodes;
		for (;;) {
			const status = await leader.json<ClusterStatus>("/api/v1/cluster");
			if (status.leader?.node === "fo-1" && status.nodes.filter(n => n.available).length === 3) break;
			await sleep(200);
		}
		const started = Date.now();
		const spawns = Array.from({ length: perNode * 3 }, (_, i) => echoManifest(`fo${perNode}-${i}`, { runtime: "inprocess" }));
		for (let i = 0; i < spawns.length; i += 10) {
			await Promise.all(spawns.slice(i, i + 10).map(manifest => nodes[i % 3].request("/api/v1/agents", { method: "POST", body: JSON.stringify({ manifest }) })));
		}
		const list = async () => (await survivor.json<{ items: AgentView[] }>("/api/v1/agents?limit=1000")).items;
		const moved = (await list()).filter(a => a.node === victim.id).map(a => a.id);
		log(`  failover: ${spawns.length} agents spawned in ${((Date.now() - started) / 1000).toFixed(1)} s; ${moved.length} on ${victim.id}`);
		const killedAt = Date.now();
		await victim.kill();
		let seenGone = Number.NaN;
		for (;;) {
			const now = Date.now() - killedAt;
			if (Number.isNaN(seenGone)) {
				const status = await leader.json<ClusterStatus>("/api/v1/cluster");
				if (!status.nodes.some(n => n.id === victim.id && n.available)) seenGone = now;
			}
			const items = await list();
			if (moved.every(id => items.some(a => a.id === id && a.state === "running" && a.node !== victim.id && a.node !== null))) {
				// Placement can finish between two polls of /cluster: then the node was seen gone by now at the latest.
				if (Number.isNaN(seenGone)) seenGone = now;
				return row({
					metric: `failover: kill -9 of a node with ${moved.length} agents → all running on the survivors`,
					baseline: seenGone / 1000,
					ours: now / 1000,
					unit: "s",
					target: "≤ 10 s",
					met: now <= BOUND_MS,
					note: `baseline: the survivors see the node gone (CLUSTER_NODE_TIMEOUT_MS 3000); in-process agents; ${perNode * 3} in the cluster`
				});
			}
			if (now > 60_000) throw new Error(`the agents of ${victim.id} were not all running elsewhere after 60 s`);
			await sleep(50);
		}
	} finally {
		await Promise.all(nodes.map(n => n.stop()));
	}
}

export default async function clusterBench(): Promise<Row[]> {
	const [nats, pg] = await Promise.all([startNats(), startPostgres()]);
	try {
		const rows = await remoteAskRows(nats.url, await createDatabase(pg, "bench_ask"));
		for (const size of SIZES) {
			log(`  failover with ${size} agents on the killed node`);
			rows.push(await failoverRow(nats.url, await createDatabase(pg, `bench_failover_${size}`), size));
		}
		return rows;
	} finally {
		await Promise.all([nats.stop(), pg.destroy()]);
	}
}

