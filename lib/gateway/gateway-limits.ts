import type { IncomingMessage, ServerResponse } from "node:http";
import type { GatewayUser } from "./gateway-auth";

/**
 * What every way into the gateway shares — REST and the open protocols (/v1, /a2a, /mcp):
 * the body limit, the rate limits per client address and token, and the audit of refusals,
 * so a protocol meets the same limits as the REST API.
 */
export interface GatewayLimits {
	maxPayloadBytes: number;
	/** The rate limits for the request's address and token; throws RATE_LIMITED when spent. */
	checkRate(req: IncomingMessage, res: ServerResponse): Promise<void>;
	/** Records a refused request in the audit log. */
	recordRefusal(req: IncomingMessage, user: GatewayUser | null, reason: string): void;
}
