import { Placeholder } from "../components/placeholder";
import type { PageProps } from "../router";

export function ApprovalsPage(_props: PageProps) {
	return <Placeholder title="Approvals" />;
}
