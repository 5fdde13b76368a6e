import { createServer } from "node:net";

/**
 * Ask the kernel for a free TCP port on loopback.
 * There is a small window between closing this listener and the real server
 * binding the port; the server starters retry with a new port if they lose it.
 */
export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = createServer();
		srv.unref();
		srv.once("error", reject);
		srv.listen(0, "127.0.0.1", () => {
			const addr = srv.address();
			if (addr === null || typeof addr === "string") {
				srv.close();
				reject(new Error("freePort: could not read the listening port"));
				return;
			}
			const port = addr.port;
			srv.close((err) => (err ? reject(err) : resolve(port)));
		});
	});
}
