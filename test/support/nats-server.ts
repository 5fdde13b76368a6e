import { startChildServer, type ChildServer } from "./child-server";

export type NatsServer = ChildServer;

/** A throwaway nats-server on a free loopback port; ready once it sends its INFO line. */
export function startNats(): Promise<NatsServer> {
	return startChildServer({
		binary: "nats-server",
		args: port => ["-a", "127.0.0.1", "-p", String(port)],
		url: port => `nats://127.0.0.1:${port}`,
		greeting: { expect: "INFO " }
	});
}
