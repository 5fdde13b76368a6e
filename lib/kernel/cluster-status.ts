import { Cachers, Transporters, type ServiceBroker } from "moleculer";
import type { NatsConnection } from "nats";
import type { SubsystemStatus } from "./kernel";

/**
 * Moleculer's `transit.connected` stays true while the NATS client quietly reconnects,
 * so the link state comes from the client's own status stream instead.
 */
const linkDown = new WeakMap<ServiceBroker, string>();

/** Starts following the transporter client's connection events; call once the broker has started. */
export function watchTransporter(broker: ServiceBroker): void {
	const tx = broker.transit?.tx;
	if (!(tx instanceof Transporters.NATS)) return;
	// Moleculer types the NATS transporter's client as `any`; it is the nats.js connection (null until connected).
	const client: Partial<NatsConnection> | null = tx.client;
	if (typeof client?.status !== "function") return;
	void (async () => {
		for await (const event of client.status!()) {
			if (event.type === "disconnect") linkDown.set(broker, `lost the connection to ${event.data}; reconnecting`);
			else if (event.type === "reconnect") linkDown.delete(broker);
		}
	})().catch(() => undefined);
}

/** The transporter as this node sees it: disabled on a single node, else connected or not. */
export function transporterStatus(broker: ServiceBroker): SubsystemStatus {
	const transit = broker.transit;
	if (!transit) return { state: "disabled", kind: "none (single node)" };
	const kind = transit.tx.constructor.name.replace(/Transporter$/, "").toLowerCase();
	const down = linkDown.get(broker) ?? (transit.connected ? undefined : "not connected; retrying");
	return down ? { state: "down", kind, error: `the transporter is ${down}` } : { state: "ready", kind };
}

/** The cacher: memory is always ready; Redis is ready while its client is connected. */
export function cacherStatus(broker: ServiceBroker): SubsystemStatus {
	const cacher = broker.cacher;
	if (!cacher) return { state: "disabled", kind: "none" };
	const kind = cacher.constructor.name.replace(/Cacher$/, "").toLowerCase();
	const status = cacher instanceof Cachers.Redis ? cacher.client?.status : undefined;
	if (status === undefined || status === "ready") return { state: "ready", kind };
	return { state: "down", kind, error: `the Redis connection is ${status}` };
}
