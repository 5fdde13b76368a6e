/** What the durable benchmark's parts share: a node of their own, an agent spawned, a task read, a wait. */
import fs from "node:fs";
import type { ServiceBroker } from "moleculer";
import type { TaskDetail } from "../../actors/task-store";
import type { AgentView } from "../../lib/cluster/agent-view";
import { eventually, startTestNode, type TestNode } from "../../test/support/test-node";
import { check } from "./check";

export const API_KEY = "sk-bench";
export const POLL_MS = 5;
export const TIMEOUT_MS = 30_000;

export const sleep = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms));
export { check };

/** The tests' `eventually`, polled more often and allowed longer, as the benchmark's waits need. */
export const until = (what: string, test: () => Promise<boolean> | boolean, timeoutMs = TIMEOUT_MS, everyMs = 20): Promise<void> => eventually(what, test, timeoutMs, everyMs);

export async function spawn(broker: ServiceBroker, manifest: Record<string, unknown>): Promise<AgentView> {
	const view = await broker.call<AgentView, { manifest: Record<string, unknown> }>("agents.spawn", { manifest });
	check(view.state === "running", `agent ${view.id} is ${view.state} after spawn: ${view.lastError ?? ""}`);
	return view;
}

export const taskDetail = (broker: ServiceBroker, id: string) => broker.call<TaskDetail, { id: string }>("tasks.get", { id });

export async function withNode<T>(env: Record<string, string>, body: (t: TestNode) => Promise<T>): Promise<T> {
	const t = await startTestNode({ LOG_LEVEL: "error", ...env });
	try {
		await t.node.ready;
		return await body(t);
	} finally {
		await t.stop();
		fs.rmSync(t.dataDir, { recursive: true, force: true });
	}
}
