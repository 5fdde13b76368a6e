import { ToolFailedError, ToolRefusedError } from "../../lib/tools/errors";
import { blockedReason, checkUrl, type LookupFn } from "../../lib/tools/builtin/url-guard";

const PUBLIC_V4 = "93.184.216.34";
const PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946";

/** A lookup answering from a table; any other name fails like ENOTFOUND. */
function fakeLookup(table: Record<string, string[]>): LookupFn & jest.Mock {
	return jest.fn(async (hostname: string) => {
		const addresses = table[hostname];
		if (addresses === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
		return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
	});
}

const open = { allowedDomains: [], allowAllDomains: true };

async function refusal(promise: Promise<unknown>): Promise<ToolRefusedError> {
	const err = await promise.then(
		() => undefined,
		(e: unknown) => e
	);
	expect(err).toBeInstanceOf(ToolRefusedError);
	return err as ToolRefusedError;
}

describe("checkUrl: internal addresses", () => {
	const blockedV4 = [
		["127.0.0.1", "loopback"],
		["127.255.255.254", "loopback"],
		["10.1.2.3", "private"],
		["172.16.0.1", "private"],
		["172.31.255.255", "private"],
		["192.168.1.1", "private"],
		["169.254.169.254", "link-local"],
		["169.254.0.1", "link-local"],
		["0.0.0.0", "unspecified"],
		["0.1.2.3", "unspecified"],
		["100.64.0.1", "carrier-grade NAT"],
		["100.127.255.255", "carrier-grade NAT"],
		["224.0.0.1", "multicast"],
		["239.255.255.250", "multicast"],
		["255.255.255.255", "broadcast"],
		["240.0.0.1", "reserved"]
	];
	it.each(blockedV4)("refuses a name resolving to %s (%s)", async (address, label) => {
		const lookup = fakeLookup({ "evil.example": [address] });
		const err = await refusal(checkUrl("http://evil.example/", open, undefined, lookup));
		expect(err.message).toContain(label);
		expect(err.data).toMatchObject({ address });
	});

	const blockedV6 = [
		["::1", "loopback"],
		["::", "unspecified"],
		["fc00::1", "unique local"],
		["fd12:3456::1", "unique local"],
		["fe80::1", "link-local"],
		["febf::1", "link-local"],
		["ff02::1", "multicast"],
		["::ffff:127.0.0.1", "IPv4-mapped of loopback"],
		["::ffff:7f00:1", "IPv4-mapped of loopback"],
		["::ffff:169.254.169.254", "IPv4-mapped of link-local"],
		["::ffff:10.0.0.1", "IPv4-mapped of private"],
		["::127.0.0.1", "IPv4-compatible of loopback"],
		["64:ff9b::7f00:1", "NAT64 of loopback"],
		["64:ff9b::169.254.169.254", "NAT64 of link-local"],
		["64:ff9b:1::1", "local-use NAT64"],
		["2002:c0a8:101::1", "6to4 of private"],
		["2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"]
	];
	it.each(blockedV6)("refuses a name resolving to %s (%s)", async (address, label) => {
		const lookup = fakeLookup({ "evil.example": [address] });
		const err = await refusal(checkUrl("http://evil.example/", open, undefined, lookup));
		expect(err.message).toContain(label);
	});

	it("accepts public v4 and v6 addresses, including a mapped or NAT64 public one", () => {
		for (const address of [PUBLIC_V4, "8.8.8.8", PUBLIC_V6, "::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::1"]) {
			expect(blockedReason(address)).toBeNull();
		}
	});

	it("refuses a name with one public and one private address, whichever comes first", async () => {
		for (const order of [[PUBLIC_V4, "10.0.0.5"], ["10.0.0.5", PUBLIC_V4], [PUBLIC_V6, "::1"]]) {
			const lookup = fakeLookup({ "mixed.example": order });
			await refusal(checkUrl("https://mixed.example/", open, undefined, lookup));
		}
	});

	it("returns the first checked address, for the connection to be pinned to", async () => {
		const lookup = fakeLookup({ "two.example": [PUBLIC_V6, PUBLIC_V4] });
		const checked = await checkUrl("https://two.example/a?b=1", open, undefined, lookup);
		expect(checked).toMatchObject({ address: PUBLIC_V6, family: 6 });
		expect(checked.url.href).toBe("https://two.example/a?b=1");
		expect(lookup).toHaveBeenCalledTimes(1);
	});

	it("fails (not refuses) when the name does not resolve", async () => {
		await expect(checkUrl("http://nowhere.example/", open, undefined, fakeLookup({}))).rejects.toBeInstanceOf(ToolFailedError);
	});
});

describe("checkUrl: literal IPs in odd forms", () => {
	const lookup = fakeLookup({});
	it.each([
		"http://127.0.0.1/",
		"http://2130706433/",
		"http://0177.0.0.1/",
		"http://0x7f.1/",
		"http://0x7f000001/",
		"http://017700000001/",
		"http://127.1/",
		"http://127.0.0.1./",
		"http://%31%32%37.0.0.1/",
		"http://[::1]/",
		"http://[0:0:0:0:0:0:0:1]/",
		"http://[::ffff:127.0.0.1]/",
		"http://[::ffff:7f00:1]/",
		"http://[64:ff9b::127.0.0.1]/",
		"http://169.254.169.254/latest/meta-data/",
		"http://0xa9.0xfe.0xa9.0xfe/",
		"http://2852039166/",
		"http://0/",
		"http://[::]/"
	])("refuses %s without asking DNS", async (url) => {
		await refusal(checkUrl(url, open, undefined, lookup));
		expect(lookup).not.toHaveBeenCalled();
	});

	it("normalises before matching the allowlist: 127.1 is the explicit 127.0.0.1:8080 entry", async () => {
		const policy = { allowedDomains: ["127.0.0.1:8080"], allowAllDomains: false };
		for (const url of ["http://127.1:8080/", "http://2130706433:8080/", "http://0x7f.0.0.1:8080/"]) {
			expect(await checkUrl(url, policy, undefined, lookup)).toMatchObject({ address: "127.0.0.1", family: 4 });
		}
	});
});

describe("checkUrl: schemes and credentials", () => {
	const lookup = fakeLookup({ "example.com": [PUBLIC_V4] });
	it.each(["file:///etc/passwd", "ftp://example.com/", "gopher://example.com/", "data:text/plain,hi", "javascript:alert(1)", "ws://example.com/", "not a url"])(
		"refuses %s",
		async (url) => {
			await refusal(checkUrl(url, open, undefined, lookup));
		}
	);

	it.each(["http://user:pass@example.com/", "http://user@example.com/", "https://:secret@example.com/"])("refuses credentials in %s and does not echo them", async (url) => {
		const err = await refusal(checkUrl(url, open, undefined, lookup));
		expect(err.message).toContain("credentials");
		expect(JSON.stringify(err.data)).not.toMatch(/pass|secret|user@/);
	});
});

describe("checkUrl: allowlist", () => {
	const lookup = fakeLookup({
		"example.com": [PUBLIC_V4],
		"api.example.com": [PUBLIC_V4],
		"api.example.com.": [PUBLIC_V4],
		"a.b.example.com": [PUBLIC_V4],
		"internal.example.com": ["10.0.0.7"],
		"evilexample.com": [PUBLIC_V4],
		"other.org": [PUBLIC_V4],
		localhost: ["127.0.0.1", "::1"]
	});

	it("matches exact hosts, host:port entries and wildcard subdomains", async () => {
		const policy = { allowedDomains: ["example.com", "*.example.com", "other.org:8443"], allowAllDomains: false };
		await checkUrl("https://example.com/", policy, undefined, lookup);
		await checkUrl("https://api.example.com/", policy, undefined, lookup);
		await checkUrl("https://a.b.example.com/", policy, undefined, lookup);
		await checkUrl("https://other.org:8443/", policy, undefined, lookup);
		await checkUrl("https://API.Example.COM./", policy, undefined, lookup);
		await refusal(checkUrl("https://other.org/", policy, undefined, lookup));
		await refusal(checkUrl("https://evilexample.com/", policy, undefined, lookup));
	});

	it("a wildcard does not match the apex, and a port entry defaults by scheme", async () => {
		const policy = { allowedDomains: ["*.example.com", "other.org:443"], allowAllDomains: false };
		await refusal(checkUrl("https://example.com/", policy, undefined, lookup));
		await checkUrl("https://other.org/", policy, undefined, lookup);
		await refusal(checkUrl("http://other.org/", policy, undefined, lookup));
	});

	it("a wildcard never unlocks a private address", async () => {
		const policy = { allowedDomains: ["*.example.com"], allowAllDomains: false };
		const err = await refusal(checkUrl("http://internal.example.com/", policy, undefined, lookup));
		expect(err.message).toContain("private");
	});

	it("allowAllDomains never unlocks a private address or localhost", async () => {
		await refusal(checkUrl("http://internal.example.com/", open, undefined, lookup));
		await refusal(checkUrl("http://localhost:3000/", open, undefined, lookup));
	});

	it("an explicit host:port entry unlocks exactly that host and port", async () => {
		const policy = { allowedDomains: ["127.0.0.1:4000", "internal.example.com"], allowAllDomains: false };
		expect(await checkUrl("http://127.0.0.1:4000/x", policy, undefined, lookup)).toMatchObject({ address: "127.0.0.1" });
		await refusal(checkUrl("http://127.0.0.1:4001/", policy, undefined, lookup));
		await refusal(checkUrl("http://127.0.0.2:4000/", policy, undefined, lookup));
		await refusal(checkUrl("http://localhost:4000/", policy, undefined, lookup));
		expect(await checkUrl("http://internal.example.com:9000/", policy, undefined, lookup)).toMatchObject({ address: "10.0.0.7" });
	});

	it("an explicit entry in the grant alone does not unlock a private address", async () => {
		const policy = { allowedDomains: ["*.example.com"], allowAllDomains: false };
		await refusal(checkUrl("http://internal.example.com/", policy, ["internal.example.com"], lookup));
	});

	it("explicit IPv6 entries are matched after normalisation", async () => {
		const policy = { allowedDomains: ["[::1]:4000", "0:0:0:0:0:0:0:1"], allowAllDomains: false };
		expect(await checkUrl("http://[::1]:4000/", policy, undefined, lookup)).toMatchObject({ address: "::1", family: 6 });
		expect(await checkUrl("http://[0::1]:5000/", policy, undefined, lookup)).toMatchObject({ address: "::1", family: 6 });
	});

	it("narrowed grant domains restrict further, and an empty list allows nothing", async () => {
		const policy = { allowedDomains: ["*.example.com", "other.org"], allowAllDomains: false };
		await checkUrl("https://api.example.com/", policy, ["api.example.com"], lookup);
		await refusal(checkUrl("https://a.b.example.com/", policy, ["api.example.com"], lookup));
		await refusal(checkUrl("https://other.org/", policy, ["*.example.com"], lookup));
		await refusal(checkUrl("https://api.example.com/", policy, [], lookup));
		// The grant cannot widen the node's list.
		await refusal(checkUrl("https://evilexample.com/", policy, ["evilexample.com"], lookup));
		await refusal(checkUrl("https://evilexample.com/", { allowedDomains: [], allowAllDomains: false }, ["evilexample.com"], lookup));
		await checkUrl("https://evilexample.com/", open, ["evilexample.com"], lookup);
	});

	it("does not resolve a host that is not allowed", async () => {
		const spy = fakeLookup({ "other.org": [PUBLIC_V4] });
		await refusal(checkUrl("https://other.org/", { allowedDomains: ["example.com"], allowAllDomains: false }, undefined, spy));
		expect(spy).not.toHaveBeenCalled();
	});
});
