import type { WindowTally } from "../society/shared-counters";
import { compare, evidenceOf, matches, MAX_EVIDENCE, type CompiledPolicy, type Firing, type ObservedEvent } from "./policy-evaluator";

/**
 * The live evaluation of policies on a node's audit stream, with `count … within` windows
 * counted for the whole cluster (a WindowTally shared through Redis): an agent's matching
 * events on every node add up to one count per policy. A policy fires when the count first
 * satisfies its comparison — the one node whose event does that fires — and the window
 * then starts afresh, so one burst fires once. A window starts at its first event. The
 * evidence is the matching entries this node saw in the window (the count says how many
 * there were in all). Dry runs use PolicyEvaluator, which reads one log and needs no sharing.
 */
export class SharedPolicyEvaluator {
	private readonly seen = new Map<string, ObservedEvent[]>();

	constructor(
		private policies: CompiledPolicy[],
		private readonly tally: (windowMs: number) => WindowTally
	) {}

	setPolicies(policies: CompiledPolicy[]): void {
		const ids = new Set(policies.map(p => p.id));
		for (const key of this.seen.keys()) if (!ids.has(key.split("\u0000")[0])) this.seen.delete(key);
		this.policies = policies;
	}

	async observe(e: ObservedEvent): Promise<Firing[]> {
		if (e.actor.kind !== "agent") return [];
		const firings: Firing[] = [];
		for (const policy of this.policies) {
			if (!matches(policy.rule, e)) continue;
			const fired = await this.count(policy, e);
			if (fired) firings.push({ policyId: policy.id, policyName: policy.name, subjectId: e.actor.id, at: e.at, actions: policy.rule.actions, evidence: fired.map(evidenceOf) });
		}
		return firings;
	}

	/** The evidence when the policy fires now, else undefined. */
	private async count(policy: CompiledPolicy, e: ObservedEvent): Promise<ObservedEvent[] | undefined> {
		const { count } = policy.rule;
		if (!count) return [e];
		const key = `${policy.id}\u0000${e.actor.id}`;
		const tally = this.tally(count.windowMs);
		const n = await tally.add(key);
		const now = Date.parse(e.at);
		const window = [...(this.seen.get(key) ?? []).filter(x => now - Date.parse(x.at) < count.windowMs), e].slice(-MAX_EVIDENCE);
		// Fires on the crossing only: a node whose event comes after the crossing (before the reset reached Redis) does not fire again.
		if (compare(n, count.op, count.value) && (n === 1 || !compare(n - 1, count.op, count.value))) {
			await tally.reset(key);
			this.seen.delete(key);
			return window;
		}
		if (this.seen.size > 100_000) this.seen.clear();
		this.seen.set(key, window);
		return undefined;
	}
}
