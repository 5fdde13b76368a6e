import { execFile } from "node:child_process";
import type { Config } from "../../lib/kernel/config";
import { NetworkIsolationUnavailableError } from "../errors";

export type NetworkIsolationMode = Config["AGENT_NETWORK_ISOLATION"];

/** How this node starts process workers with respect to the network. */
export interface NetworkIsolation {
	/** True when agent code in a process worker has no network of its own. */
	isolated: boolean;
	/** The command node is run under (empty: node is run as it is). */
	prefix: string[];
	/** Why workers are not isolated, for a person (when they are not). */
	reason?: string;
}

/** Resolves with null when a namespace can be made here, else with why not. */
export type NamespaceProbe = (prefix: readonly string[]) => Promise<string | null>;

/**
 * Node's permission model (fs, child processes, addons) does not cover sockets: agent code
 * could `net.connect` or `fetch` anything, past ALLOWED_DOMAINS. An empty network namespace
 * (only a loopback that is down) takes the network away; the worker's IPC channel is a
 * socketpair inherited through exec, not network, so it keeps working. unshare execs node
 * in place (no --fork), so the worker's pid stays node's for kills, heartbeats and prlimit.
 * Without root, a user namespace of its own (--map-root-user) is what allows it.
 */
export function namespacePrefix(uid: number | undefined = process.getuid?.()): string[] {
	return ["unshare", "--net", ...(uid === 0 ? [] : ["--map-root-user"]), "--"];
}

/** Starts node under `prefix` once; what unshare printed when it could not. */
export const probeNamespace: NamespaceProbe = prefix =>
	new Promise(resolve => {
		const [command, ...args] = prefix;
		// The environment a worker is launched with (process-launcher.ts): unshare is found where the launch will find it.
		const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
		execFile(command, [...args, process.execPath, "-e", ""], { env, timeout: 10_000 }, (err, _stdout, stderr) => {
			if (!err) return resolve(null);
			const said = stderr.trim().split("\n").join("; ").slice(0, 300);
			resolve(said || err.message);
		});
	});

/** What a node's workers get for `mode`: a namespace when asked for and possible; never a silent downgrade from `namespace`. */
export async function resolveNetworkIsolation(mode: NetworkIsolationMode, probe: NamespaceProbe = probeNamespace, prefix = namespacePrefix()): Promise<NetworkIsolation> {
	if (mode === "off") return { isolated: false, prefix: [], reason: "AGENT_NETWORK_ISOLATION is off" };
	if (process.platform !== "linux") return unavailable(mode, `network namespaces are Linux-only (this is ${process.platform})`);
	const failure = await probe(prefix);
	return failure === null ? { isolated: true, prefix } : unavailable(mode, `\`${prefix.slice(0, -1).join(" ")}\` failed: ${failure}`);
}

function unavailable(mode: NetworkIsolationMode, reason: string): NetworkIsolation {
	if (mode === "namespace") throw new NetworkIsolationUnavailableError(reason);
	return { isolated: false, prefix: [], reason };
}

/** What a node logs once, at boot, about its process workers' network: a warning when `auto` could not isolate them. */
export function isolationNotice(network: NetworkIsolation, mode: NetworkIsolationMode): { level: "info" | "warn"; message: string } {
	if (network.isolated) return { level: "info", message: "Process workers run in a network namespace of their own: agent code reaches the network only through ctx tools" };
	if (mode === "off") return { level: "info", message: "AGENT_NETWORK_ISOLATION is off: process workers share the node's network" };
	return {
		level: "warn",
		message:
			`Process workers are NOT network-isolated (${network.reason ?? "no namespace"}): agent code in them can open network connections ` +
			"itself (net, http, fetch), past ALLOWED_DOMAINS and the network.fetch grant. Enable unprivileged user namespaces " +
			"(or run as root) to isolate them, or set AGENT_NETWORK_ISOLATION=namespace to refuse to start them instead"
	};
}
