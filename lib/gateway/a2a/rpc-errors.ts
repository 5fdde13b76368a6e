import { isJsonRpcError, toJsonRpcError, A2AError } from "@a2a-js/sdk/errors";
import { errorAnswer, type ErrorContext } from "../error-response";

/** JSON-RPC 2.0's and A2A's error codes used here. */
export const RPC = {
	PARSE_ERROR: -32700,
	INVALID_REQUEST: -32600,
	METHOD_NOT_FOUND: -32601,
	INVALID_PARAMS: -32602,
	INTERNAL_ERROR: -32603,
	/** AgentOS refused the call (scope, sanction, rate limit, budget): `data.type` says why. */
	REFUSED: -32000,
	TASK_NOT_FOUND: -32001,
	UNSUPPORTED_OPERATION: -32004
} as const;

export interface RpcError {
	code: number;
	message: string;
	data?: unknown;
}

/** An A2A request AgentOS will not run, answered as a JSON-RPC error with this code. */
export class A2ARequestError extends Error {
	constructor(
		readonly rpcCode: number,
		message: string,
		readonly data?: Record<string, unknown>
	) {
		super(message);
		this.name = "A2ARequestError";
	}
}

/** HTTP-like status of an AgentOS error → the JSON-RPC code an A2A client understands. */
function codeFor(status: number, type: string): number {
	if (type === "TASK_NOT_FOUND") return RPC.TASK_NOT_FOUND;
	if (status === 400 || status === 422) return RPC.INVALID_PARAMS;
	return status < 500 ? RPC.REFUSED : RPC.INTERNAL_ERROR;
}

/**
 * Any error as a JSON-RPC error: the SDK's own (malformed request, unknown task), ours,
 * and AgentOS's (shown as REST shows them, `data: {type, status, data}`; an unexpected
 * one is logged under an id and named only by it, as a REST 500 is).
 */
export function toRpcError(err: unknown, ctx: ErrorContext): RpcError {
	if (err instanceof A2ARequestError) return { code: err.rpcCode, message: err.message, ...(err.data ? { data: err.data } : {}) };
	if (isJsonRpcError(err) || err instanceof A2AError) return toJsonRpcError(err);
	const { status, error } = errorAnswer(err, ctx);
	return { code: codeFor(status, error.type), message: error.message, data: { type: error.type, status, ...(error.data === undefined ? {} : { data: error.data }) } };
}
