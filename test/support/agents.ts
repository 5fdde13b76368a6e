import path from "node:path";
import type { AgentView } from "../../lib/cluster/agent-view";
import type { ErrorBody } from "../../services/api.service";
import { eventually, type TestNode } from "./test-node";

export const FIXTURE_AGENTS = path.resolve(__dirname, "../fixtures/agents");

/** Settings that make supervision fast enough to test. */
export const FAST_AGENT_ENV = {
	AGENT_CODE_PATHS: FIXTURE_AGENTS,
	AGENT_HEARTBEAT_INTERVAL_MS: "200",
	AGENT_HEARTBEAT_TIMEOUT_MS: "600",
	AGENT_STOP_GRACE_MS: "2000"
};

export function echoManifest(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
	return { id, name: `Echo ${id}`, entryPoint: path.join(FIXTURE_AGENTS, "echo.js"), ...extra };
}

export async function post<T>(t: TestNode, route: string, body: unknown): Promise<{ status: number; body: T }> {
	const res = await t.request(route, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
	return { status: res.status, body: (await res.json()) as T };
}

export async function spawnAgent(t: TestNode, manifest: Record<string, unknown>): Promise<AgentView> {
	const { status, body } = await post<AgentView & ErrorBody>(t, "/api/v1/agents", { manifest });
	if (status !== 201) throw new Error(`spawn failed with ${status}: ${JSON.stringify(body)}`);
	return body;
}

export async function agent(t: TestNode, id: string): Promise<AgentView> {
	return t.json<AgentView>(`/api/v1/agents/${id}`);
}

export async function untilState(t: TestNode, id: string, state: string, timeoutMs = 15000): Promise<AgentView> {
	let last: AgentView | undefined;
	await eventually(`agent ${id} to be ${state} (last: ${last?.state})`, async () => (last = await agent(t, id)).state === state, timeoutMs, 50);
	return last!;
}

export interface TaskAnswer<R = Record<string, unknown>> {
	taskId: string;
	status: string;
	result: R;
}

export function task<R = Record<string, unknown>>(t: TestNode, id: string, body: Record<string, unknown>) {
	return post<TaskAnswer<R> & ErrorBody>(t, `/api/v1/agents/${id}/tasks`, body);
}
