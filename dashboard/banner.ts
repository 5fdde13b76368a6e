/**
 * The banner slot above every page. A page puts up a banner under its own id and takes it
 * down with `null` (the Governance page's lockdown banner: `setBanner("lockdown", …)`).
 */
import type { ComponentChildren } from "preact";
import { signal } from "@preact/signals";

export interface Banner {
	tone: "info" | "warn" | "danger";
	content: ComponentChildren;
}

export const banners = signal<Record<string, Banner>>({});

export function setBanner(id: string, content: ComponentChildren | null, tone: Banner["tone"] = "warn"): void {
	const next = { ...banners.value };
	if (content === null) delete next[id];
	else next[id] = { tone, content };
	banners.value = next;
}
