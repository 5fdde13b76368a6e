import { FieldError } from "../../kernel/errors";
import { ToolRefusedError } from "../errors";
import type { ToolPolicy } from "../tool";
import type { LookupFn } from "../builtin/url-guard";
import { remoteError, resolveCard } from "./a2a-remote";
import { guardedFetch } from "./guarded-fetch";
import type { RemoteAgent, RemoteAgentStore } from "./remote-agent-store";

const WHO = "directory.remote";

/**
 * Adding remote A2A agents to the directory: the card is read through the SSRF guard and
 * allowlist of http_fetch (with the remote's token, when one is given), checked, and kept
 * with the agent's name, description, skills and endpoint.
 */
export class RemoteAgents {
	constructor(
		readonly store: RemoteAgentStore,
		private readonly policy: ToolPolicy,
		private readonly lookup?: LookupFn
	) {}

	/** Adds (or, for a known card URL, refreshes) the agent a card describes. */
	async add(cardUrl: string, token: string | undefined, addedBy: string | null): Promise<{ agent: RemoteAgent; created: boolean }> {
		const card = await this.read(cardUrl, token);
		return this.store.upsert(cardUrl, card, token, addedBy);
	}

	/** Reads the card again, with the stored token. */
	async refresh(id: string): Promise<RemoteAgent | null> {
		const entry = await this.store.get(id);
		if (!entry) return null;
		const card = await this.read(entry.cardUrl, await this.store.tokenOf(id));
		return (await this.store.upsert(entry.cardUrl, card, undefined, entry.addedBy)).agent;
	}

	private async read(cardUrl: string, token: string | undefined) {
		let origin: string;
		try {
			origin = new URL(cardUrl).origin;
		} catch {
			throw new FieldError("cardUrl", "cardUrl must be an absolute http:// or https:// URL");
		}
		const fetchImpl = guardedFetch(this.policy, {
			toolId: WHO,
			token,
			tokenOrigin: origin,
			maxBytes: this.policy.maxOutputBytes,
			signal: AbortSignal.timeout(this.policy.timeoutMs),
			timeoutMs: this.policy.timeoutMs,
			lookup: this.lookup
		});
		try {
			return await resolveCard(cardUrl, fetchImpl, WHO);
		} catch (err) {
			// A URL the guard refuses is the caller's to fix: a 422 naming the field and why.
			if (err instanceof ToolRefusedError) throw new FieldError("cardUrl", `cardUrl refused: ${(err.data as { reason: string }).reason}`);
			throw remoteError(err, WHO, origin);
		}
	}
}
