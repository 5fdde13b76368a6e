import { Placeholder } from "../components/placeholder";
import type { PageProps } from "../router";

export function TasksPage(_props: PageProps) {
	return <Placeholder title="Tasks" />;
}
