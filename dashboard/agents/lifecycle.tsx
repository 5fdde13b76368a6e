/** Start, stop, restart and delete an agent, each after a confirmation. */
import type { AgentView } from "../api";
import { sdk } from "../api";
import { ConfirmButton } from "../components/confirm";

export function LifecycleActions({ agent, onDone, onDeleted }: { agent: AgentView; onDone(): void; onDeleted?(): void }) {
	const label = `${agent.name} (${agent.id})`;
	const stopped = agent.desiredState === "stopped";
	return (
		<div class="actions" role="group" aria-label={`Actions for ${label}`}>
			{stopped ? (
				<ConfirmButton scope="agents:write" label="Start" title={`Start ${label}?`} action={() => sdk().agents.start(agent.id)} onDone={onDone}>
					The agent is placed on a node and starts taking tasks.
				</ConfirmButton>
			) : (
				<ConfirmButton scope="agents:write" label="Stop" title={`Stop ${label}?`} action={() => sdk().agents.stop(agent.id)} onDone={onDone}>
					Tasks in its mailbox are not run until it is started again.
				</ConfirmButton>
			)}
			<ConfirmButton scope="agents:write" label="Restart" title={`Restart ${label}?`} disabled={stopped} action={() => sdk().agents.restart(agent.id)} onDone={onDone} />
			<ConfirmButton scope="agents:write" label="Delete" title={`Delete ${label}?`} danger action={() => sdk().agents.remove(agent.id)} onDone={onDeleted ?? onDone}>
				The agent is stopped and removed; its id can be used again.
			</ConfirmButton>
		</div>
	);
}
