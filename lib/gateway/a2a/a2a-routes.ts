import type { ServerResponse } from "node:http";
import type { IncomingRequest } from "moleculer-web";
import type { GatewayThis } from "../gateway-this";
import type { A2AGateway } from "./a2a-gateway";

function agentId(req: IncomingRequest): string {
	const id = (req.$params as { id?: unknown } | undefined)?.id;
	return typeof id === "string" ? id : "";
}

/**
 * The A2A routes as function aliases of the gateway's open route: they authenticate
 * themselves, so a refusal is the protocol's own answer (a JSON-RPC error), not REST's.
 */
export function a2aAliases(a2a: A2AGateway) {
	return {
		"GET .well-known/agent-card.json"(this: GatewayThis, req: IncomingRequest, res: ServerResponse) {
			return a2a.nodeCard(req, res, this.logger);
		},
		"GET a2a/:id/.well-known/agent-card.json"(this: GatewayThis, req: IncomingRequest, res: ServerResponse) {
			return a2a.agentCard(req, res, agentId(req), this.logger);
		},
		"POST a2a/:id"(this: GatewayThis, req: IncomingRequest, res: ServerResponse) {
			return a2a.rpc(req, res, agentId(req), req.$ctx, this.logger);
		}
	};
}
