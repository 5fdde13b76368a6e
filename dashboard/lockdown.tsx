/**
 * Whether an incident lockdown is in force, for every page: read once signed in (and after
 * each reconnect, in case an event was missed), then kept by `governance.lockdown` events,
 * and shown in the shell's banner slot while it lasts. Started from pages/governance.tsx,
 * which the shell loads at startup, so the banner shows whichever page is open.
 */
import { effect, signal, untracked } from "@preact/signals";
import type { Lockdown } from "../sdk/society";
import { sdk } from "./api";
import { setBanner } from "./banner";
import { Time } from "./components/time";
import { liveState, subscribe } from "./live";
import { href } from "./router";
import { can, signedIn } from "./session";

export type { Lockdown };

export const lockdown = signal<Lockdown | null>(null);

export function showLockdown(current: Lockdown | null): void {
	lockdown.value = current;
	setBanner(
		"lockdown",
		current ? (
			<span class="lockdown-banner">
				Incident lockdown since <Time value={current.createdAt} />: {current.agents.length} agent{current.agents.length === 1 ? "" : "s"} quarantined — “{current.reason}” (by {current.createdBy}).{" "}
				<a href={href("governance", "lockdown")}>See or lift it</a>
			</span>
		) : null,
		"danger"
	);
}

export async function refreshLockdown(): Promise<void> {
	if (!can("agents:read")) return showLockdown(null);
	const { lockdown: current } = await sdk().society.lockdown.status();
	showLockdown(current);
}

let unsubscribe: (() => void) | undefined;

effect(() => {
	// Runs when sign-in changes and whenever the live stream's state does (connecting, open, reconnecting);
	// what it does reads and writes other signals (the banners), untracked so it does not run itself again.
	void liveState.value;
	const signed = signedIn.value;
	untracked(() => {
		if (!signed) {
			unsubscribe?.();
			unsubscribe = undefined;
			showLockdown(null);
			return;
		}
		unsubscribe ??= subscribe("governance.lockdown", data => {
			const { change, lockdown: changed } = data as { change: "started" | "covered" | "lifted"; lockdown: Lockdown };
			showLockdown(change === "lifted" ? null : changed);
		});
		refreshLockdown().catch(() => undefined);
	});
});
