import { Errors } from "moleculer";

export class MemoryNotFoundError extends Errors.MoleculerClientError {
	constructor(id: string) {
		super(`Memory ${id} was not found`, 404, "MEMORY_NOT_FOUND", { id });
	}
}

/**
 * No session of this name belongs to the caller. Another identity's session of the same
 * name answers the same, so an answer never tells whether someone else has one.
 */
export class SessionNotFoundError extends Errors.MoleculerClientError {
	constructor(agentId: string, sessionId: string) {
		super(`Agent ${agentId} has no chat session ${sessionId} of yours (sessions belong to the token that started them)`, 404, "SESSION_NOT_FOUND", { agentId, sessionId });
	}
}

/** Bad input that the parameter schema cannot express (a blank query, content too large…). */
export class MemoryInvalidError extends Errors.MoleculerClientError {
	constructor(field: string, message: string, code = 422) {
		super(`${field}: ${message}`, code, "MEMORY_INVALID", { field, message });
	}
}

/** An agent acting on memories that are not its own. */
export class MemoryForbiddenError extends Errors.MoleculerClientError {
	constructor(callerId: string, agentId: string) {
		super(`Agent ${callerId} may not act on the memories of agent ${agentId}`, 403, "MEMORY_FORBIDDEN", { callerId, agentId });
	}
}

/**
 * An encrypted memory, or an encrypted message of an agent's chat history (give `agentId`),
 * read by a node that has no MEMORY_ENCRYPTION_KEY.
 */
export class MemoryLockedError extends Errors.MoleculerError {
	constructor(id: string, agentId?: string) {
		super(
			`${agentId ? `Message ${id} of agent ${agentId}` : `Memory ${id}`} is encrypted and this node has no MEMORY_ENCRYPTION_KEY`,
			503,
			"MEMORY_LOCKED",
			{ id, ...(agentId ? { agentId } : {}) }
		);
		this.name = "MemoryLockedError";
	}
}

/**
 * An encrypted memory or message that this node's MEMORY_ENCRYPTION_KEY does not open: the
 * key differs from the one that wrote it, or the stored record was changed or moved.
 * Nothing of the record is shown.
 */
export class MemoryUnreadableError extends Errors.MoleculerError {
	constructor(id: string) {
		super(
			`Memory ${id} cannot be decrypted: this node's MEMORY_ENCRYPTION_KEY is not the one that wrote it, or the stored record was changed`,
			500,
			"MEMORY_UNREADABLE",
			{ id }
		);
		this.name = "MemoryUnreadableError";
	}
}
