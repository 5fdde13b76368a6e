import type { GatewayLimits } from "../gateway-limits";
import type { ServerResponse } from "node:http";
import type { Context } from "moleculer";
import type { ApiRouteSchema, IncomingRequest } from "moleculer-web";
import type { Scope } from "../../security/capabilities";
import { errorAnswer } from "../error-response";
import { forbidden, GatewayAuth, type GatewayUser } from "../gateway-auth";
import { requestBody, type GatewayThis } from "../gateway-this";
import { bodyParseError, bodyReadErrors, checkBody, jsonBodyParser } from "../json-body";
import { agentCompletion, modelCompletion } from "./completions";
import { openAIError } from "./errors";
import { listModels } from "./model-list";
import { AGENT_PREFIX, parseCompletionRequest } from "./request";
import { ChunkWriter } from "./sse";

export const OPENAI_PREFIX = "/v1";

/** What the gateway lends the route: the same rate limits and refusal audit as /api/v1. */
export type OpenAIRouteDeps = GatewayLimits;

type UserCtx = Context<unknown, { user: GatewayUser }>;

/**
 * The OpenAI-compatible endpoint: `GET /v1/models` and `POST /v1/chat/completions`,
 * behind the gateway's own authentication and rate limits. Which scope a completion
 * needs depends on its `model` (`tasks` for an agent, `llm` for a model), so scopes are
 * checked here, as the gateway's authorize would, refusals audited alike. Every error
 * answers in OpenAI's shape.
 */
export function openAIRoute(deps: OpenAIRouteDeps): ApiRouteSchema {
	function requireScope(req: IncomingRequest, scope: Scope): void {
		const user = (req.$ctx as UserCtx).meta.user;
		if (GatewayAuth.allows(user, scope)) return;
		deps.recordRefusal(req, user, `missing scope ${scope}`);
		throw forbidden(user, scope);
	}

	async function models(this: GatewayThis, req: IncomingRequest, res: ServerResponse): Promise<void> {
		try {
			const ctx = req.$ctx as UserCtx;
			const body = await listModels(ctx, scope => GatewayAuth.allows(ctx.meta.user, scope));
			res.writeHead(200, { "Content-Type": "application/json; charset=utf-8" });
			res.end(JSON.stringify(body));
		} catch (err) {
			this.sendError(req, res, err as Error);
		}
	}

	async function completions(this: GatewayThis, req: IncomingRequest, res: ServerResponse): Promise<void> {
		try {
			const request = parseCompletionRequest(requestBody(req));
			const writer = new ChunkWriter(res);
			if (request.model.startsWith(AGENT_PREFIX)) {
				requireScope(req, "tasks");
				const header = req.headers["x-session-id"];
				const sessionId = request.user ?? (typeof header === "string" && header ? header : undefined);
				await agentCompletion(req.$ctx, request.model.slice(AGENT_PREFIX.length), request, sessionId, res, writer);
			} else {
				requireScope(req, "llm");
				await modelCompletion(req.$ctx, request, res, writer);
			}
		} catch (err) {
			this.sendError(req, res, err as Error);
		}
	}

	return {
		path: OPENAI_PREFIX,
		authentication: true,
		authorization: false,
		mappingPolicy: "restrict",
		async onBeforeCall(ctx: Context, route: unknown, req: IncomingRequest, res: ServerResponse) {
			await deps.checkRate(req, res);
		},
		aliases: { "GET models": models, "POST chat/completions": completions },
		bodyParsers: { json: jsonBodyParser(deps.maxPayloadBytes), urlencoded: false },
		use: [checkBody, bodyReadErrors(deps.maxPayloadBytes)],

		onError(this: GatewayThis, req: IncomingRequest, res: ServerResponse, err: Error) {
			const answer =
				bodyParseError(err, deps.maxPayloadBytes) ??
				errorAnswer(err, {
					requestId: req.$ctx?.requestID ?? undefined,
					what: `${req.method} ${(req.originalUrl ?? req.url ?? "").split("?")[0]}`,
					circuitHalfOpenMs: this.broker.options.circuitBreaker?.halfOpenTime ?? 10_000,
					logger: this.logger
				});
			const { status, body } = openAIError(answer);
			if (res.headersSent) return new ChunkWriter(res).fail(body);
			const headers: Record<string, string> = { "Content-Type": "application/json; charset=utf-8" };
			if (answer.retryAfterSeconds) headers["Retry-After"] = String(answer.retryAfterSeconds);
			res.writeHead(status, headers);
			res.end(JSON.stringify(body));
		}
	};
}
