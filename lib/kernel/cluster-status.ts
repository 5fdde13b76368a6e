import type { ServiceBroker } from "moleculer";
import type { SubsystemStatus } from "./kernel";

/** The transporter as this node sees it: disabled on a single node, else connected or not. */
export function transporterStatus(broker: ServiceBroker): SubsystemStatus {
	const transit = broker.transit;
	if (!transit) return { state: "disabled", kind: "none (single node)" };
	const kind = transit.tx.constructor.name.replace(/Transporter$/, "").toLowerCase();
	return transit.connected ? { state: "ready", kind } : { state: "down", kind, error: "the transporter is not connected; retrying" };
}

/** The cacher: memory is always ready; Redis is ready while its client is connected. */
export function cacherStatus(broker: ServiceBroker): SubsystemStatus {
	const cacher = broker.cacher as unknown as { client?: { status?: string }; constructor: { name: string } } | null;
	if (!cacher) return { state: "disabled", kind: "none" };
	const kind = cacher.constructor.name.replace(/Cacher$/, "").toLowerCase();
	const status = cacher.client?.status;
	if (status === undefined || status === "ready") return { state: "ready", kind };
	return { state: "down", kind, error: `the Redis connection is ${status}` };
}
