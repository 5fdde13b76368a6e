import type { SanctionStore } from "./sanction-store";

interface Log {
	info(message: string): void;
	warn(message: string): void;
}

/**
 * Gives agents whose last quarantine or ban ended their desired state back: one that was
 * running is started again (`start`, on the node placement picks), one that was stopped
 * stays stopped. Each is claimed once, cluster-wide, so one node restores it.
 */
export async function restoreAgents(sanctions: SanctionStore, start: (agentId: string) => Promise<unknown>, logger: Log, agentId?: string): Promise<string[]> {
	const started: string[] = [];
	for (const { agentId: id, state } of await sanctions.claimRestorations(undefined, agentId)) {
		if (state !== "running") continue;
		await start(id).then(
			() => {
				started.push(id);
				logger.info(`Agent ${id} runs again: the sanction that stopped it has ended`);
			},
			(err: Error) => logger.warn(`Agent ${id} could not be started again after its sanction ended: ${err.message}`)
		);
	}
	return started;
}
