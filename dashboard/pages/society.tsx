import { Placeholder } from "../components/placeholder";
import type { PageProps } from "../router";

export function SocietyPage(_props: PageProps) {
	return <Placeholder title="Society" />;
}
