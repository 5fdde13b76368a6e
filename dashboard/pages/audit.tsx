import { Placeholder } from "../components/placeholder";
import type { PageProps } from "../router";

export function AuditPage(_props: PageProps) {
	return <Placeholder title="Audit" />;
}
