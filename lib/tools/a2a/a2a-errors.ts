import { Errors } from "moleculer";

/** The remote A2A agent answered with a JSON-RPC error: its code and message, as it sent them. */
export class A2aRemoteError extends Errors.MoleculerError {
	constructor(toolId: string, remoteCode: number, remoteMessage: string) {
		super(`${toolId}: the remote agent answered error ${remoteCode}: ${remoteMessage}`, 502, "A2A_REMOTE_ERROR", { toolId, remoteCode, remoteMessage });
		this.name = "A2aRemoteError";
	}
}

/** The remote A2A agent could not be reached or did not answer in A2A; trying again later may work. */
export class A2aUnreachableError extends Errors.MoleculerRetryableError {
	constructor(toolId: string, origin: string, reason: string) {
		super(`${toolId}: could not reach the remote agent at ${origin}: ${reason}`, 503, "A2A_REMOTE_UNREACHABLE", { toolId, origin, reason });
		this.name = "A2aUnreachableError";
	}
}

/** The Agent Card is not one a2a_send can use (no name, no JSON-RPC interface…). */
export class A2aInvalidCardError extends Errors.MoleculerClientError {
	constructor(cardUrl: string, reason: string) {
		super(`The Agent Card at ${cardUrl} is not usable: ${reason}`, 422, "A2A_CARD_INVALID", { cardUrl, reason });
		this.name = "A2aInvalidCardError";
	}
}

/** The remote A2A agent refused the credentials (none, or a token it does not accept). */
export class A2aUnauthorizedError extends Errors.MoleculerClientError {
	constructor(toolId: string, origin: string, status: number) {
		super(`${toolId}: the remote agent at ${origin} refused the call (${status}); give a token it accepts (token, or the directory entry's)`, 403, "A2A_REMOTE_UNAUTHORIZED", {
			toolId,
			origin,
			status
		});
		this.name = "A2aUnauthorizedError";
	}
}
