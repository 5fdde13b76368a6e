/**
 * Whether an agent's own code has a network of its own (`networkIsolated` of GET /agents/:id),
 * as a fact of its detail page: a worker that could open connections by itself is a warning,
 * since then only the code's good will, not its grants, keeps it off the network.
 */
import type { AgentView } from "../../sdk/http-client";

const SHOWN = {
	isolated: {
		label: "isolated",
		title: "Its worker has no network of its own (an empty network namespace, or a container without one): its code reaches the network only through the node's tools, within its grants."
	},
	open: {
		label: "not isolated",
		title: "Its code could open network connections by itself (code running inside the node, or a worker on a node that cannot make a network namespace): its grants do not stop that."
	},
	none: {
		label: "no worker",
		title: "No worker of it runs on this node (not running, or a declarative agent with no code of its own)."
	}
} as const;

export function NetworkFact({ value }: { value: AgentView["networkIsolated"] }) {
	const shown = value === null ? SHOWN.none : value ? SHOWN.isolated : SHOWN.open;
	return (
		<>
			<dt>Network</dt>
			<dd data-testid="network">
				<span class={value === false ? "network-open" : undefined} title={shown.title}>
					{shown.label}
				</span>
			</dd>
		</>
	);
}
