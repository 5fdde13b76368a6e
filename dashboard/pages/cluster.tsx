import { Placeholder } from "../components/placeholder";
import type { PageProps } from "../router";

export function ClusterPage(_props: PageProps) {
	return <Placeholder title="Cluster" />;
}
