import { Errors } from "moleculer";

/** The tool refused the call as unsafe or not allowed (a blocked address, a path outside the allowed ones…). */
export class ToolRefusedError extends Errors.MoleculerClientError {
	constructor(toolId: string, reason: string, data: Record<string, unknown> = {}) {
		super(`${toolId} refused: ${reason}`, 403, "TOOL_REFUSED", { toolId, reason, ...data });
	}
}

/** The tool ran and failed (the site answered 500, the command exited 1…). */
export class ToolFailedError extends Errors.MoleculerError {
	constructor(toolId: string, message: string, data: Record<string, unknown> = {}) {
		super(`${toolId} failed: ${message}`, 502, "TOOL_FAILED", { toolId, ...data });
	}
}

/** The tool did not finish within its time limit. */
export class ToolTimeoutError extends Errors.MoleculerRetryableError {
	constructor(toolId: string, timeoutMs: number) {
		super(`${toolId} did not finish within ${timeoutMs} ms`, 504, "TOOL_TIMEOUT", { toolId, timeoutMs });
	}
}
