/** Agents: the list (search, filter, sort, page), spawning from a manifest, and one agent's detail at `#/agents/<id>`. */
import { useState } from "preact/hooks";
import { AgentDetail } from "../agents/detail";
import { AgentList } from "../agents/list";
import { SpawnEditor } from "../agents/spawn-editor";
import type { PageProps } from "../router";
import { href } from "../router";

export function AgentsPage({ params }: PageProps) {
	const [refresh, setRefresh] = useState(0);
	const [spawned, setSpawned] = useState<string | undefined>(undefined);
	if (params[0]) return <AgentDetail id={params[0]} />;
	return (
		<section class="page agents">
			<h1>Agents</h1>
			{spawned && (
				<p class="notice" role="status">
					Spawned <a href={href("agents", spawned)}>{spawned}</a>.
				</p>
			)}
			<AgentList refresh={refresh} />
			<SpawnEditor
				onSpawned={agent => {
					setSpawned(agent.id);
					setRefresh(n => n + 1);
				}}
			/>
		</section>
	);
}
