/**
 * The console shell. The contract pages are built on:
 *
 * - A page is `pages/<id>.tsx` exporting one component taking `PageProps` (router.ts:
 *   `params` = hash segments after the id, `query`), listed once in `pages.ts`.
 *   Routes are hashes: `#/agents`, `#/agents/<id>`; link with `href(page, ...params)`.
 * - Data: `api.get/post/put/patch/del("/path", …)` or `sdk()` (the project's SDK) from
 *   api.ts; errors are `{type, message}` (`shown(err)`), displayed by `<ErrorBanner>`.
 *   `useLoad(fn, deps)` (load.ts) gives `{data, error, loading, reload}`.
 * - Live: `useLiveEvent("agents.state", fn)` / `subscribe(event, fn)` (live.ts), over the
 *   one WebSocket the shell opens after sign-in; `wsRequest(type, payload, onMessage)`.
 * - Who: `can(scope)` (session.ts); `<GuardedButton scope>` / `<Guarded scope>` render
 *   disabled with "needs scope X"; `<ConfirmButton>` asks before acting.
 * - Shared components: `PagedTable` (server paging), `ConfirmDialog`, `TimeChart` (uPlot),
 *   `Time` / `formatTime` (browser zone), `ErrorBanner`, and `setBanner(id, content|null)`
 *   (banner.ts) for a banner above every page.
 * - No inline styles (CSP: style-src 'self'): classes from style.css. Text from agents or
 *   people goes in as JSX text, never as HTML.
 */
import { effect } from "@preact/signals";
import { useEffect, useState } from "preact/hooks";
import type { ShownError } from "./api";
import { shown } from "./api";
import { banners } from "./banner";
import { connectLive, disconnectLive, liveState } from "./live";
import { PAGES } from "./pages";
import { href, route } from "./router";
import { me, resume, signedIn, signOut } from "./session";
import { SignIn } from "./sign-in";

effect(() => (signedIn.value ? connectLive() : disconnectLive()));

export function App() {
	const [checking, setChecking] = useState(true);
	const [error, setError] = useState<ShownError | undefined>(undefined);
	useEffect(() => {
		resume().then(err => {
			setError(err ? shown(err) : undefined);
			setChecking(false);
		});
	}, []);
	if (checking) return <p class="loading">Loading…</p>;
	if (!signedIn.value) return <SignIn error={error} />;
	return <Shell />;
}

const LIVE_LABEL = { off: "offline", connecting: "connecting", open: "live", closed: "reconnecting" } as const;

function Shell() {
	const { page, params, query } = route.value;
	const current = PAGES.find(p => p.id === page);
	useEffect(() => {
		document.title = `${current?.title ?? "Not found"} · AgentOS`;
	}, [current]);
	const who = me.value;
	const Page = current?.component;
	return (
		<div class="shell">
			<a class="skip" href="#main" onClick={e => (e.preventDefault(), document.getElementById("main")?.focus())}>
				Skip to content
			</a>
			<header class="topbar">
				<span class="brand">AgentOS</span>
				<span class={`live live-${liveState.value}`} role="status" title="The live event stream">
					{LIVE_LABEL[liveState.value]}
				</span>
				<span class="who" title={who ? `scopes: ${who.scopes.join(", ")}` : undefined}>
					{who?.name}
				</span>
				<button type="button" onClick={signOut}>
					Sign out
				</button>
			</header>
			<nav class="sidenav" aria-label="Pages">
				<ul>
					{PAGES.map(p => (
						<li key={p.id}>
							<a href={href(p.id)} aria-current={p.id === page ? "page" : undefined}>
								{p.title}
							</a>
						</li>
					))}
				</ul>
			</nav>
			<div class="banners" aria-live="polite">
				{Object.entries(banners.value).map(([id, b]) => (
					<div key={id} class={`banner banner-${b.tone}`} role="status" data-banner={id}>
						{b.content}
					</div>
				))}
			</div>
			<main id="main" tabIndex={-1}>
				{Page ? (
					<Page key={page} params={params} query={query} />
				) : (
					<section class="page">
						<h1>Not found</h1>
						<p>
							There is no page “{page}”. <a href={href("overview")}>Go to the overview</a>.
						</p>
					</section>
				)}
			</main>
		</div>
	);
}
