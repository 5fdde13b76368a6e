/**
 * Who is signed in: the API token (kept in sessionStorage, so it dies with the tab) and
 * what it may do, from GET /api/v1/whoami. `can(scope)` is what every guarded control asks.
 */
import { computed, signal } from "@preact/signals";
import { AgentOSApiError, sdk, useToken, whenTokenRefused, type Scope } from "./api";
import { parseHash, route } from "./router";

export interface Me {
	id: string;
	kind: "admin" | "token";
	name: string;
	scopes: Scope[];
}

const KEY = "agentos.token";

/** The signed-in identity; undefined before sign-in (or while it is checked). */
export const me = signal<Me | undefined>(undefined);
export const signedIn = computed(() => me.value !== undefined);
/** Why the console signed itself out (a token revoked or expired while in use). */
export const signedOutBecause = signal<string | undefined>(undefined);

/** Whether the signed-in token has `scope` (an admin token has every scope). Reactive in render. */
export function can(scope: Scope): boolean {
	const scopes = me.value?.scopes ?? [];
	return scopes.includes("admin") || scopes.includes(scope);
}

/** Checks `token` against the node; on success keeps it for this tab and returns who it is. */
export async function signIn(token: string): Promise<Me> {
	useToken(token);
	try {
		const who = await sdk().request<Me>("GET", "/api/v1/whoami");
		sessionStorage.setItem(KEY, token);
		signedOutBecause.value = undefined;
		me.value = who;
		return who;
	} catch (err) {
		useToken(undefined);
		throw err;
	}
}

export function signOut(): void {
	sessionStorage.removeItem(KEY);
	useToken(undefined);
	me.value = undefined;
}

// A token refused while in use (revoked, expired): back to the sign-in form, saying why.
whenTokenRefused(() => {
	if (!me.value) return;
	signOut();
	signedOutBecause.value = "The node no longer accepts this token (revoked or expired): sign in again.";
});

/** The token this tab signed in with, if any (for the WebSocket's auth message). */
export function currentToken(): string | undefined {
	return sessionStorage.getItem(KEY) ?? undefined;
}

/**
 * A sign-in link carries the token in the fragment (`/#token=…`, never sent to the server).
 * Takes it out and clears the address bar at once, so it stays in neither the bar nor history.
 */
export function takeTokenFromAddress(): string | undefined {
	const match = /^#token=([^&]+)/.exec(location.hash);
	if (!match) return undefined;
	history.replaceState(null, "", `${location.pathname}#/overview`);
	// replaceState fires no hashchange: tell the router, so the token is never taken for a page name.
	route.value = parseHash(location.hash);
	return decodeURIComponent(match[1]);
}

/** At load: a token from the address, else the one this tab kept; signs in with it if still valid. */
export async function resume(): Promise<AgentOSApiError | undefined> {
	const token = takeTokenFromAddress() ?? currentToken();
	if (!token) return undefined;
	try {
		await signIn(token);
		return undefined;
	} catch (err) {
		sessionStorage.removeItem(KEY);
		return err instanceof AgentOSApiError ? err : new AgentOSApiError(0, "ERROR", String(err));
	}
}
