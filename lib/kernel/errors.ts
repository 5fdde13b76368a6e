/**
 * The kernel's errors, each with a fixed UPPER_SNAKE `type`. Errors that can cross the
 * wire to a caller extend Moleculer's errors (client errors are 4xx, transient ones are
 * retryable); errors that only ever stop a booting process are plain `Error`s.
 */
import { Errors } from "moleculer";

/** A bad environment variable; the process prints the message and exits. */
export class ConfigError extends Error {
	readonly type = "CONFIG_INVALID";
	constructor(
		message: string,
		readonly key: string
	) {
		super(message);
		this.name = "ConfigError";
	}
}

/** The migrations folder or the applied history is not what it must be. */
export class MigrationError extends Error {
	readonly type = "MIGRATION_INVALID";
	constructor(message: string) {
		super(message);
		this.name = "MigrationError";
	}
}

/** Another live process already owns the embedded database in this data dir. */
export class DataDirLockedError extends Error {
	readonly type = "DATA_DIR_LOCKED";
	constructor(
		readonly dataDir: string,
		readonly ownerPid: number
	) {
		super(`The data dir ${dataDir} is in use by process ${ownerPid}; stop it or set AGENTOS_DATA_DIR to another folder`);
		this.name = "DataDirLockedError";
	}
}

/** The database cannot be reached right now; the call may succeed later. */
export class DatabaseUnavailableError extends Errors.MoleculerRetryableError {
	constructor(reason: string) {
		super(`Database unavailable: ${reason}`, 503, "DATABASE_UNAVAILABLE", { reason });
		this.name = "DatabaseUnavailableError";
	}
}

/** The vector store cannot serve the request (not configured, or unreachable). */
export class VectorStoreUnavailableError extends Errors.MoleculerRetryableError {
	constructor(reason: string) {
		super(`Vector store unavailable: ${reason}`, 503, "VECTOR_STORE_UNAVAILABLE", { reason });
		this.name = "VectorStoreUnavailableError";
	}
}

/** A request to the vector store that can never succeed as written. */
export class VectorStoreRequestError extends Errors.MoleculerClientError {
	constructor(message: string, data?: unknown) {
		super(message, 422, "VECTOR_STORE_BAD_REQUEST", data);
		this.name = "VectorStoreRequestError";
	}
}

/** JSON (a body, a WebSocket message, an action's params) nested deeper than MAX_JSON_DEPTH. */
export class InputTooDeepError extends Errors.MoleculerClientError {
	constructor(field: string, maxDepth: number) {
		const where = field ? ` at "${field}"` : "";
		super(`The input nests objects and arrays more than ${maxDepth} levels deep${where}; flatten it`, 400, "BODY_TOO_DEEP", { field, maxDepth });
		this.name = "InputTooDeepError";
	}
}

/** Text PostgreSQL cannot store and Unicode does not allow: a NUL character or a lone UTF-16 surrogate. */
export class InvalidTextError extends Errors.MoleculerClientError {
	constructor(field: string, reason: "nul" | "lone-surrogate", index: number) {
		const what = reason === "nul" ? "a NUL character (\\u0000)" : "a lone UTF-16 surrogate (half of a character)";
		super(`"${field}" holds ${what} at position ${index}, which text cannot hold; remove it or send well-formed UTF-8`, 400, "INVALID_TEXT", { field, reason, index });
		this.name = "InvalidTextError";
	}
}

/** A field named `__proto__`, which would reach an object's prototype instead of a field. */
export class ForbiddenKeyError extends Errors.MoleculerClientError {
	constructor(field: string) {
		super(`"${field}" is not allowed: "__proto__" cannot name a field`, 400, "FORBIDDEN_KEY", { field });
		this.name = "ForbiddenKeyError";
	}
}

/** One bad parameter, as Moleculer's validator reports it. */
export interface ParamProblem {
	field: string;
	message?: string;
	type: string;
}

/**
 * Parameters that break their schema (or a rule the schema cannot say): the same type,
 * code (422) and data (a list of problems, each naming its field) as Moleculer's own
 * parameter validation, so a client handles every bad parameter one way.
 */
export class ParamsInvalidError extends Errors.ValidationError {
	constructor(message: string, problems: readonly ParamProblem[]) {
		super(message, "VALIDATION_ERROR", [...problems]);
		this.name = "ParamsInvalidError";
	}
}

/** One field is wrong in a way the schema cannot say (a deadline in the past). */
export class FieldError extends ParamsInvalidError {
	constructor(field: string, message: string) {
		super(message, [{ field, message, type: "field" }]);
		this.name = "FieldError";
	}
}
