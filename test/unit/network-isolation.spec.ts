import { NetworkIsolationUnavailableError } from "../../actors/errors";
import { isolationNotice, namespacePrefix, probeNamespace, resolveNetworkIsolation, type NamespaceProbe } from "../../actors/workers/network-isolation";

/** A probe that answers as a machine would, counting how often it was asked. */
function machine(answer: string | null): NamespaceProbe & { calls: number } {
	const probe = Object.assign(async () => {
		probe.calls++;
		return answer;
	}, { calls: 0 });
	return probe;
}

const NO_USERNS = "unshare: unshare failed: Operation not permitted";

describe("network isolation of process workers", () => {
	it("needs a user namespace of its own (--map-root-user) only when the node is not root", () => {
		expect(namespacePrefix(0)).toEqual(["unshare", "--net", "--"]);
		expect(namespacePrefix(1000)).toEqual(["unshare", "--net", "--map-root-user", "--"]);
	});

	it("auto: isolates when the probe shows a namespace can be made", async () => {
		const probe = machine(null);
		const network = await resolveNetworkIsolation("auto", probe, ["unshare", "--net", "--"]);
		expect(network).toEqual({ isolated: true, prefix: ["unshare", "--net", "--"] });
		expect(probe.calls).toBe(1);
		expect(isolationNotice(network, "auto")).toMatchObject({ level: "info" });
	});

	it("auto: falls back on a machine without user namespaces, and warns naming what is not isolated and why", async () => {
		const network = await resolveNetworkIsolation("auto", machine(NO_USERNS), ["unshare", "--net", "--map-root-user", "--"]);
		expect(network).toMatchObject({ isolated: false, prefix: [] });
		const notice = isolationNotice(network, "auto");
		expect(notice.level).toBe("warn");
		expect(notice.message).toContain("Process workers are NOT network-isolated");
		expect(notice.message).toContain("`unshare --net --map-root-user` failed: unshare: unshare failed: Operation not permitted");
		expect(notice.message).toContain("ALLOWED_DOMAINS");
		expect(notice.message).toContain("AGENT_NETWORK_ISOLATION=namespace");
	});

	it("namespace: refuses rather than run workers with the network open", async () => {
		const refusal = await resolveNetworkIsolation("namespace", machine(NO_USERNS), ["unshare", "--net", "--map-root-user", "--"]).catch((e: unknown) => e);
		expect(refusal).toBeInstanceOf(NetworkIsolationUnavailableError);
		expect(refusal).toMatchObject({ type: "NETWORK_ISOLATION_UNAVAILABLE", code: 503, retryable: false, data: { reason: expect.stringContaining("Operation not permitted") } });
		expect((refusal as Error).message).toContain("AGENT_NETWORK_ISOLATION is namespace");
		expect((refusal as Error).message).toContain("AGENT_NETWORK_ISOLATION=auto");
	});

	it("off: never probes, and says the workers share the node's network", async () => {
		const probe = machine(null);
		const network = await resolveNetworkIsolation("off", probe);
		expect(network.isolated).toBe(false);
		expect(probe.calls).toBe(0);
		expect(isolationNotice(network, "off")).toEqual({ level: "info", message: "AGENT_NETWORK_ISOLATION is off: process workers share the node's network" });
	});

	it("probes by starting node under the prefix: the reason is what the command said when it could not", async () => {
		expect(await probeNamespace(["env", "--"])).toBeNull();
		expect(await probeNamespace(["env", "--no-such-option", "--"])).toMatch(/^env: .*no-such-option/);
	});
});
