import { Placeholder } from "../components/placeholder";
import type { PageProps } from "../router";

export function OverviewPage(_props: PageProps) {
	return <Placeholder title="Overview" />;
}
