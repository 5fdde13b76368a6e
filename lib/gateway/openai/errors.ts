import { Errors } from "moleculer";
import type { ErrorAnswer } from "../error-response";

/** The error body every OpenAI client reads (`openai` SDKs turn it into their APIError). */
export interface OpenAIErrorBody {
	error: { message: string; type: string; param: string | null; code: string | null };
}

/** 400: a chat-completions body the endpoint cannot use; `param` names the field, as OpenAI's own errors do. */
export class OpenAIBadRequestError extends Errors.MoleculerClientError {
	constructor(param: string, message: string) {
		super(`${param}: ${message}`, 400, "INVALID_REQUEST", { param });
		this.name = "OpenAIBadRequestError";
	}
}

/** 404: `model` names neither an agent the node has nor a model of the model layer. */
export class ModelNotFoundError extends Errors.MoleculerClientError {
	constructor(model: string, why: string) {
		super(`The model "${model}" does not exist or you do not have access to it (${why}); GET /v1/models lists what this token may use`, 404, "MODEL_NOT_FOUND", { param: "model" });
		this.name = "ModelNotFoundError";
	}
}

/** How AgentOS's error types read in OpenAI's vocabulary: status, `type` and `code`. */
const BY_TYPE: Record<string, { status?: number; type: string; code: string; param?: string }> = {
	MODEL_NOT_FOUND: { status: 404, type: "invalid_request_error", code: "model_not_found", param: "model" },
	UNKNOWN_MODEL: { status: 404, type: "invalid_request_error", code: "model_not_found", param: "model" },
	AGENT_NOT_FOUND: { status: 404, type: "invalid_request_error", code: "model_not_found", param: "model" },
	BUDGET_EXCEEDED: { status: 429, type: "insufficient_quota", code: "insufficient_quota" },
	RATE_LIMITED: { type: "requests", code: "rate_limit_exceeded" },
	NO_TOKEN: { type: "invalid_request_error", code: "invalid_api_key" },
	INVALID_TOKEN: { type: "invalid_request_error", code: "invalid_api_key" },
	PAYLOAD_TOO_LARGE: { type: "invalid_request_error", code: "request_too_large" },
	PROMPT_TOO_LARGE: { type: "invalid_request_error", code: "context_length_exceeded", param: "messages" }
};

function statusType(status: number): string {
	if (status === 401) return "authentication_error";
	if (status === 403) return "permission_error";
	if (status >= 500) return "server_error";
	return "invalid_request_error";
}

/** The field a validation error names: ours carry `{param}`, Moleculer's a list of `{field}`. */
function paramOf(data: unknown): string | null {
	if (Array.isArray(data)) {
		const field: unknown = (data[0] as { field?: unknown } | undefined)?.field;
		return typeof field === "string" ? field : null;
	}
	const param = (data as { param?: unknown } | undefined)?.param;
	return typeof param === "string" ? param : null;
}

/** An AgentOS error answer (error-response.ts) as OpenAI's status and body. */
export function openAIError(answer: ErrorAnswer): { status: number; body: OpenAIErrorBody } {
	const known = BY_TYPE[answer.error.type];
	const status = known?.status ?? answer.status;
	const param = paramOf(answer.error.data) ?? known?.param ?? null;
	return {
		status,
		body: { error: { message: answer.error.message, type: known?.type ?? statusType(status), param, code: known?.code ?? answer.error.type.toLowerCase() } }
	};
}
