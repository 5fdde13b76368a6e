import crypto from "node:crypto";
import type { RemoteCard } from "./a2a-remote";

const TTL_MS = 30_000;
const MAX_ENTRIES = 200;

/**
 * Recently read Agent Cards, so a conversation with a remote agent costs one request a
 * message, not two. Keyed by card URL and a hash of the token (a card may differ by
 * caller); the endpoint a cached card names is still checked by the guard on every call.
 */
export class CardCache {
	private readonly cards = new Map<string, { card: RemoteCard; at: number }>();

	constructor(private readonly ttlMs = TTL_MS) {}

	private key(cardUrl: string, token: string | undefined): string {
		return `${cardUrl}\n${token === undefined ? "" : crypto.createHash("sha256").update(token).digest("base64")}`;
	}

	get(cardUrl: string, token: string | undefined): RemoteCard | undefined {
		const key = this.key(cardUrl, token);
		const hit = this.cards.get(key);
		if (hit && Date.now() - hit.at < this.ttlMs) return hit.card;
		this.cards.delete(key);
		return undefined;
	}

	set(cardUrl: string, token: string | undefined, card: RemoteCard): void {
		if (this.cards.size >= MAX_ENTRIES) this.cards.delete(this.cards.keys().next().value as string);
		this.cards.set(this.key(cardUrl, token), { card, at: Date.now() });
	}
}
