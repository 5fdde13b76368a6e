import { ensureServerBinaries } from "./server-binaries";

/**
 * Jest globalSetup: check (or, as root, install) redis/nats/postgres once,
 * before any worker starts, so specs fail fast with a clear message.
 */
export default function globalSetup(): void {
	ensureServerBinaries();
}
