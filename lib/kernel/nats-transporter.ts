import { Transporters } from "moleculer";
import type { NatsConnection } from "nats";

const FLUSH_TIMEOUT_MS = 1000;

/**
 * Moleculer's NATS transporter, except that stopping while the NATS server is away
 * does not hang: the stock one waits for a flush that can never complete, leaving the
 * client reconnecting forever and the process unable to exit.
 */
export class NatsTransporter extends Transporters.NATS {
	override async disconnect(): Promise<void> {
		const client = this.client as NatsConnection | null;
		if (!client) return;
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([client.flush(), new Promise(resolve => (timer = setTimeout(resolve, FLUSH_TIMEOUT_MS)))]).catch(() => undefined);
		clearTimeout(timer);
		await client.close();
		this.client = null;
	}
}
