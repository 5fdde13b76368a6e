import { Placeholder } from "../components/placeholder";
import type { PageProps } from "../router";

export function GovernancePage(_props: PageProps) {
	return <Placeholder title="Governance" />;
}
