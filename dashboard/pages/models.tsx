import { Placeholder } from "../components/placeholder";
import type { PageProps } from "../router";

export function ModelsPage(_props: PageProps) {
	return <Placeholder title="Models" />;
}
