/** The agents of the cluster: search, state filter, sorting and paging by the server; kept current by `agents.state` events. */
import { useEffect, useState } from "preact/hooks";
import { sdk, type AgentView } from "../api";
import { AnySelect } from "../components/choice";
import { PagedTable, type Column } from "../components/paged-table";
import { Time } from "../components/time";
import { useLiveEvent } from "../live";
import { href } from "../router";
import { LifecycleActions } from "./lifecycle";
import { AGENT_STATES, StateBadge } from "./states";

export function AgentList({ refresh: outer }: { refresh: number }) {
	const [typed, setTyped] = useState("");
	const [q, setQ] = useState("");
	const [state, setState] = useState<(typeof AGENT_STATES)[number] | "">("");
	const [refresh, setRefresh] = useState(0);
	useEffect(() => {
		const timer = window.setTimeout(() => setQ(typed.trim()), 250);
		return () => window.clearTimeout(timer);
	}, [typed]);
	useLiveEvent("agents.state", () => setRefresh(n => n + 1));
	const reload = () => setRefresh(n => n + 1);

	const columns: Column<AgentView>[] = [
		{
			key: "name",
			title: "Name",
			sortable: true,
			render: a => (
				<>
					<a href={href("agents", a.id)}>{a.name}</a>
					<div class="sub">
						<code>{a.id}</code>
					</div>
				</>
			)
		},
		{ key: "state", title: "State", sortable: true, render: a => <StateBadge state={a.state} /> },
		{ key: "runtime", title: "Runtime", render: a => a.runtime },
		{ key: "node", title: "Node", render: a => a.node ?? "—" },
		{ key: "restarts", title: "Restarts", render: a => a.restarts },
		{ key: "created", title: "Created", sortable: true, render: a => <Time value={a.createdAt} /> },
		{ key: "actions", title: "Actions", render: a => <LifecycleActions agent={a} onDone={reload} /> }
	];

	return (
		<section aria-label="All agents">
			<div class="toolbar" role="search">
				<label>
					Search
					<input type="search" placeholder="id or name" value={typed} onInput={e => setTyped(e.currentTarget.value)} />
				</label>
				<AnySelect label="State" value={state} options={AGENT_STATES} onChange={setState} />
			</div>
			<PagedTable<AgentView>
				caption="Agents of the cluster"
				columns={columns}
				rowKey={a => a.id}
				deps={[q, state]}
				refresh={refresh + outer}
				initialSort={{ key: "created", dir: "asc" }}
				empty={q || state ? "No agent matches." : "No agents yet: spawn one below."}
				load={({ limit, offset, sort }) =>
					sdk().agents.list({ limit, offset, q: q || undefined, state: state || undefined, sort: sort ? `${sort.dir === "desc" ? "-" : ""}${sort.key}` : undefined })
				}
			/>
		</section>
	);
}
