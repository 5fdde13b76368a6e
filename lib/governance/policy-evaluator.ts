import type { Condition, PolicyAction, PolicyRule, Value } from "./policy-dsl";

/** What a policy sees of an audit entry. */
export interface ObservedEvent {
	at: string;
	actor: { kind: string; id: string };
	action: string;
	target: string | null;
	outcome: string;
	node: string;
	requestId: string | null;
	data: Record<string, unknown>;
	/** Known once the entry is written (dry runs read written entries). */
	seq?: number;
}

export interface Evidence {
	seq?: number;
	at: string;
	action: string;
	outcome: string;
	target: string | null;
	requestId: string | null;
}

export interface Firing {
	policyId: string;
	policyName: string;
	/** The agent the policy acts on. */
	subjectId: string;
	at: string;
	actions: PolicyAction[];
	evidence: Evidence[];
}

export interface CompiledPolicy {
	id: string;
	name: string;
	rule: PolicyRule;
}

/** Friendly event names and the audit entries they stand for. */
export const EVENT_ALIASES: Record<string, { actions: string[]; outcome?: string }> = {
	"tool.invoked": { actions: ["tools.invoke"] },
	"forum.posted": { actions: ["forums.post", "forums.reply"], outcome: "succeeded" },
	"job.posted": { actions: ["jobs.create"], outcome: "succeeded" },
	"llm.called": { actions: ["mal.chat", "mal.stream"] },
	"task.submitted": { actions: ["agents.submitTask"] },
	"permission.denied": { actions: ["*"], outcome: "denied" }
};

/** The most evidence a firing keeps (the newest events of its window). */
export const MAX_EVIDENCE = 50;

export function matchesEvent(event: string, e: ObservedEvent): boolean {
	const alias = Object.hasOwn(EVENT_ALIASES, event) ? EVENT_ALIASES[event] : undefined;
	if (alias) return (!alias.outcome || e.outcome === alias.outcome) && alias.actions.some(a => actionMatches(a, e.action));
	return event === "any" || actionMatches(event, e.action);
}

function actionMatches(pattern: string, action: string): boolean {
	return pattern === "*" || (pattern.endsWith("*") ? action.startsWith(pattern.slice(0, -1)) : action === pattern);
}

function fieldOf(field: string, e: ObservedEvent): unknown {
	switch (field) {
		case "actor":
			return e.actor.id;
		case "actor.kind":
			return e.actor.kind;
		case "action":
		case "target":
		case "outcome":
		case "node":
			return e[field];
		case "tool":
			return e.data.tool ?? (e.action === "tools.invoke" ? e.data.toolId : undefined);
		case "capability":
			return e.data.capability;
		default: {
			// Only the event's own data: `data.constructor` names no field.
			const key = field.slice("data.".length);
			return Object.hasOwn(e.data, key) ? e.data[key] : undefined;
		}
	}
}

export function compare(actual: unknown, op: Condition["op"] | "=", expected: Value): boolean {
	if (actual === undefined || actual === null) return op === "!=";
	if (op === "~") return String(actual).toLowerCase().includes(String(expected).toLowerCase());
	const [a, b] = typeof expected === "number" ? [Number(actual), expected] : [String(actual), String(expected)];
	switch (op) {
		case "=":
			return a === b;
		case "!=":
			return a !== b;
		case ">":
			return a > b;
		case ">=":
			return a >= b;
		case "<":
			return a < b;
		case "<=":
			return a <= b;
	}
}

export function matches(rule: PolicyRule, e: ObservedEvent): boolean {
	return matchesEvent(rule.event, e) && rule.conditions.every(c => compare(fieldOf(c.field, e), c.op, c.value));
}

export const evidenceOf = (e: ObservedEvent): Evidence => ({
	...(e.seq !== undefined ? { seq: e.seq } : {}),
	at: e.at,
	action: e.action,
	outcome: e.outcome,
	target: e.target,
	requestId: e.requestId
});

/**
 * Evaluates policies on a stream of audit entries, in the order they happened. Policies
 * act on agents: an entry whose actor is not an agent is not counted. With a `count`
 * clause, each agent's matching entries are kept for the window; when the count
 * satisfies the comparison the policy fires and that agent's window starts afresh, so one
 * burst fires once. Pure: no clock but the entries' own times, no I/O.
 */
export class PolicyEvaluator {
	private readonly windows = new Map<string, ObservedEvent[]>();

	constructor(private policies: CompiledPolicy[]) {}

	/** Replaces the policies; windows of policies that remain are kept. */
	setPolicies(policies: CompiledPolicy[]): void {
		const ids = new Set(policies.map(p => p.id));
		for (const key of this.windows.keys()) if (!ids.has(key.split("\u0000")[0])) this.windows.delete(key);
		this.policies = policies;
	}

	observe(e: ObservedEvent): Firing[] {
		if (e.actor.kind !== "agent") return [];
		const firings: Firing[] = [];
		for (const policy of this.policies) {
			if (!matches(policy.rule, e)) continue;
			const fired = this.count(policy, e);
			if (fired) firings.push({ policyId: policy.id, policyName: policy.name, subjectId: e.actor.id, at: e.at, actions: policy.rule.actions, evidence: fired.map(evidenceOf) });
		}
		return firings;
	}

	/** The window's events when the policy fires now, else undefined. */
	private count(policy: CompiledPolicy, e: ObservedEvent): ObservedEvent[] | undefined {
		const { count } = policy.rule;
		if (!count) return [e];
		const key = `${policy.id}\u0000${e.actor.id}`;
		const now = Date.parse(e.at);
		const window = (this.windows.get(key) ?? []).filter(x => now - Date.parse(x.at) < count.windowMs);
		window.push(e);
		if (compare(window.length, count.op, count.value)) {
			this.windows.delete(key);
			return window.slice(-MAX_EVIDENCE);
		}
		if (this.windows.size > 100_000) this.windows.clear();
		this.windows.set(key, window.slice(-Math.max(count.value + 1, 1)));
		return undefined;
	}
}

/** What a policy would have done over past entries (oldest first). */
export function dryRun(policy: CompiledPolicy, events: Iterable<ObservedEvent>): Firing[] {
	const evaluator = new PolicyEvaluator([policy]);
	const firings: Firing[] = [];
	for (const e of events) firings.push(...evaluator.observe(e));
	return firings;
}
