import type { ServiceBroker } from "moleculer";
import { AgentUnavailableError } from "../lib/cluster/errors";
import { actorServiceName } from "./agent-actor";
import type { AgentRow } from "./agent-store";

const PAUSE_MS = 50;

/**
 * Hands a task to the agent's actor wherever it runs in the cluster. An agent that is
 * between nodes is waited for (up to `waitMs`, when its desired state is running) as
 * long as the task was not delivered; a task whose node vanished under it is answered
 * with a retryable AGENT_UNAVAILABLE rather than run twice.
 */
export async function deliverAcrossNodes<T>(registry: ServiceBroker["registry"], row: Pick<AgentRow, "id" | "state" | "desired_state">, waitMs: number, ask: () => Promise<T>): Promise<T> {
	const endpoints = () => registry.getActionEndpoints(`${actorServiceName(row.id)}.ask`) as { hasAvailable(): boolean } | undefined;
	const deadline = Date.now() + (row.desired_state === "running" ? waitMs : 0);
	const pause = () => new Promise(resolve => setTimeout(resolve, PAUSE_MS));
	for (;;) {
		while (!endpoints()?.hasAvailable()) {
			if (Date.now() >= deadline) throw new AgentUnavailableError(row.id, `it is not running on any node (${row.state})`);
			await pause();
		}
		try {
			return await ask();
		} catch (err) {
			const name = (err as Error).name;
			// Not delivered (the registry was behind a move): safe to deliver once the agent is found.
			if (name === "ServiceNotFoundError" || name === "ServiceNotAvailableError") {
				if (Date.now() >= deadline) throw new AgentUnavailableError(row.id, "its node is gone and it has not started on another yet");
				await pause();
				continue;
			}
			if (name === "RequestRejectedError") throw new AgentUnavailableError(row.id, "its node went away while the task was running, so the task may not have finished; the agent is moving to another node");
			throw err;
		}
	}
}
