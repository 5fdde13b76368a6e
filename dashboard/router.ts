/**
 * The hash router: `#/<page>/<param>/…` (e.g. `#/agents/abc`). The hash keeps every page
 * on the one index.html the gateway serves, and a reload stays on the same page.
 */
import { signal } from "@preact/signals";

export interface Route {
	/** The page id: the first segment (`agents`), `overview` when empty. */
	page: string;
	/** The segments after it, decoded (`#/agents/abc` → ["abc"]). */
	params: string[];
	/** The query after `?` in the hash (`#/tasks?agentId=x`). */
	query: URLSearchParams;
}

export function parseHash(hash: string): Route {
	const [path, search = ""] = hash.replace(/^#\/?/, "").split("?");
	const [page, ...params] = path.split("/").filter(Boolean).map(decodeURIComponent);
	return { page: page || "overview", params, query: new URLSearchParams(search) };
}

export const route = signal<Route>(parseHash(location.hash));

window.addEventListener("hashchange", () => {
	route.value = parseHash(location.hash);
});

/** The href of a page: `href("agents", id)` → `#/agents/<id>`. */
export function href(page: string, ...params: string[]): string {
	return `#/${[page, ...params].map(encodeURIComponent).join("/")}`;
}

export function navigate(page: string, ...params: string[]): void {
	location.hash = href(page, ...params);
}

/** What the shell passes to every page component. */
export interface PageProps {
	/** The route's segments after the page id (`#/agents/abc` → ["abc"]). */
	params: string[];
	query: URLSearchParams;
}
