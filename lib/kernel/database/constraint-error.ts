import { Errors } from "moleculer";

const camel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * A PostgreSQL error that reports a request naming a row that is not there (foreign key,
 * 23503) or one that already is (unique, 23505), as the client error it is — 422 or 409
 * naming the field — or undefined for any other error. Services check existence where they
 * can; this is the floor under those that do not (a moderation case with an unknown
 * `policyId` was a 500).
 */
export function constraintError(err: unknown): Errors.MoleculerClientError | undefined {
	const e = err as { code?: unknown; detail?: unknown; constraint?: unknown };
	if (e?.code !== "23503" && e?.code !== "23505") return undefined;
	const detail = typeof e.detail === "string" ? e.detail : "";
	// "Key (policy_id)=(…) is not present in table "policies"." — the values are the client's own, but stay out of the answer.
	const key = /^Key \(([^)]+)\)=/.exec(detail)?.[1] ?? "";
	const field = key.split(", ").map(camel).join(", ");
	const table = /table "([^"]+)"/.exec(detail)?.[1];
	if (e.code === "23505") return new Errors.MoleculerClientError(`A record with this ${field || "value"} already exists`, 409, "ALREADY_EXISTS", { field });
	if (/still referenced/.test(detail)) {
		return new Errors.MoleculerClientError(`This record is still referred to${table ? ` by ${table}` : ""}; remove those first`, 409, "STILL_REFERENCED", { field, ...(table ? { table } : {}) });
	}
	return new Errors.MoleculerClientError(`"${field}" names ${table ? `a ${table} record` : "a record"} that does not exist`, 422, "REFERENCE_NOT_FOUND", { field, ...(table ? { table } : {}) });
}
