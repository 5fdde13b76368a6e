import { startChildServer, type ChildServer } from "./child-server";

export type RedisServer = ChildServer;

/** A throwaway redis-server without persistence on a free loopback port; ready once it answers PING. */
export function startRedis(): Promise<RedisServer> {
	return startChildServer({
		binary: "redis-server",
		args: port => ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
		url: port => `redis://127.0.0.1:${port}`,
		greeting: { send: "PING\r\n", expect: "+PONG" }
	});
}
