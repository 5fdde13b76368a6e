import { canonicalJson } from "../kernel/canonical-json";
import type { AuditHashedFields } from "./audit-hash";
import type { AuditEvent } from "./audit-rows";

/** Larger payloads become a note: the buffer must stay small and every batch writable. */
const MAX_DATA_CHARS = 65_536;
const ACTOR_KINDS = new Set(["user", "agent", "system", "node"]);
const OUTCOMES = new Set(["allowed", "denied", "succeeded", "failed"]);

/**
 * The entry exactly as the database will give it back, so its hash can be recomputed:
 * text without NUL or lone surrogates (PostgreSQL rejects or replaces them) and data as JSON.
 */
export function normalise(e: AuditEvent, node: string): AuditHashedFields {
	if (!ACTOR_KINDS.has(e?.actor?.kind) || typeof e.actor.id !== "string" || e.actor.id === "") throw new TypeError("Audit event: actor must be { kind: user|agent|system|node, id }");
	if (typeof e.action !== "string" || e.action === "") throw new TypeError("Audit event: action must be a non-empty string");
	if (!OUTCOMES.has(e.outcome)) throw new TypeError("Audit event: outcome must be allowed, denied, succeeded or failed");
	const at = e.at ?? new Date();
	const year = at instanceof Date ? at.getUTCFullYear() : NaN;
	if (!(year >= 1 && year <= 9999)) throw new TypeError("Audit event: at must be a valid Date in the years 1-9999");
	const text = (value: string | null | undefined) => (value === null || value === undefined ? null : wellFormed(String(value)));
	const principal = e.principal ?? e.actor;
	if (!ACTOR_KINDS.has(principal?.kind) || typeof principal.id !== "string" || principal.id === "") throw new TypeError("Audit event: principal must be { kind: user|agent|system|node, id }");
	const [actorId, action, target, requestId] = [wellFormed(e.actor.id), wellFormed(e.action), text(e.target), text(e.requestId)];
	const fields = { at: at.toISOString(), actorKind: e.actor.kind, actorId, node: wellFormed(node), action, target, outcome: e.outcome, requestId, data: dataOf(e.data) };
	return { ...fields, principalKind: principal.kind, principalId: wellFormed(principal.id) };
}

function dataOf(data: unknown): Record<string, unknown> {
	let json: string;
	try {
		json = canonicalJson(data ?? {});
	} catch (err) {
		return { unserialisable: (err as Error).message };
	}
	if (json.length > MAX_DATA_CHARS) return { truncated: true, chars: json.length };
	const value = scrub(JSON.parse(json));
	return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
}

function scrub(value: unknown): unknown {
	if (typeof value === "string") return wellFormed(value);
	if (Array.isArray(value)) return value.map(scrub);
	if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [wellFormed(k), scrub(v)]));
	return value;
}

function wellFormed(s: string): string {
	return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd").replaceAll("\0", "\ufffd");
}
