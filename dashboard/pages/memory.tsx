import { Placeholder } from "../components/placeholder";
import type { PageProps } from "../router";

export function MemoryPage(_props: PageProps) {
	return <Placeholder title="Memory" />;
}
