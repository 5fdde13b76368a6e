import { Placeholder } from "../components/placeholder";
import type { PageProps } from "../router";

export function AgentsPage(_props: PageProps) {
	return <Placeholder title="Agents" />;
}
