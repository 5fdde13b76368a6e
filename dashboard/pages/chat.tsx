import { Placeholder } from "../components/placeholder";
import type { PageProps } from "../router";

export function ChatPage(_props: PageProps) {
	return <Placeholder title="Chat" />;
}
