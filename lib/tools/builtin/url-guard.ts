import { promises as dns } from "node:dns";
import { isIP } from "node:net";
import { ToolFailedError, ToolRefusedError } from "../errors";
import type { ToolPolicy } from "../tool";

/** Resolves a host name to all of its addresses (`dns.promises.lookup(host, { all: true })`); injectable for tests. */
export type LookupFn = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export interface CheckedUrl {
	url: URL;
	/** The address that was checked: connect to this one, never resolve the name again. */
	address: string;
	family: 4 | 6;
}

const defaultLookup: LookupFn = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

const V4_BLOCKED: Array<[string, number, string]> = [
	["0.0.0.0", 8, "unspecified (this network)"],
	["10.0.0.0", 8, "private"],
	["100.64.0.0", 10, "carrier-grade NAT"],
	["127.0.0.0", 8, "loopback"],
	["169.254.0.0", 16, "link-local (cloud metadata)"],
	["172.16.0.0", 12, "private"],
	["192.0.0.0", 24, "IETF protocol assignments"],
	["192.0.2.0", 24, "documentation"],
	["192.88.99.0", 24, "6to4 relay anycast"],
	["192.168.0.0", 16, "private"],
	["198.18.0.0", 15, "benchmarking"],
	["198.51.100.0", 24, "documentation"],
	["203.0.113.0", 24, "documentation"],
	["224.0.0.0", 4, "multicast"],
	["240.0.0.0", 4, "reserved or broadcast"]
];

function v4ToInt(ip: string): number | null {
	const parts = ip.split(".");
	if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
	return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function classifyV4Int(n: number): string | null {
	for (const [base, prefix, label] of V4_BLOCKED) {
		const shift = 32 - prefix;
		if (Math.floor(n / 2 ** shift) === Math.floor((v4ToInt(base) as number) / 2 ** shift)) return label;
	}
	return null;
}

/** 16 bytes of an IPv6 address (dotted IPv4 tail allowed), or null when it is not one. */
function v6ToBytes(ip: string): number[] | null {
	if (ip.includes("%")) return null; // zone ids only go with link-local addresses
	let text = ip;
	const lastColon = text.lastIndexOf(":");
	if (text.slice(lastColon + 1).includes(".")) {
		// A dotted IPv4 tail (::ffff:127.0.0.1) becomes two hex groups.
		const v4 = v4ToInt(text.slice(lastColon + 1));
		if (v4 === null) return null;
		text = `${text.slice(0, lastColon + 1)}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
	}
	const halves = text.split("::");
	if (halves.length > 2) return null;
	const parse = (s: string): number[] | null => {
		if (s === "") return [];
		const groups = s.split(":");
		return groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g)) ? groups.map((g) => parseInt(g, 16)) : null;
	};
	const head = parse(halves[0]);
	const rest = halves.length === 2 ? parse(halves[1]) : [];
	if (head === null || rest === null) return null;
	const known = head.length + rest.length;
	if (halves.length === 1 ? known !== 8 : known > 7) return null;
	const groups = [...head, ...new Array<number>(8 - known).fill(0), ...rest];
	return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

function bytesToV4(b: number[], at: number): number {
	return ((b[at] * 256 + b[at + 1]) * 256 + b[at + 2]) * 256 + b[at + 3];
}

function classifyV6(b: number[]): string | null {
	const zeroUntil = (n: number): boolean => b.slice(0, n).every((x) => x === 0);
	const embedded = (label: string, at: number): string | null => {
		const inner = classifyV4Int(bytesToV4(b, at));
		return inner === null ? null : `${label} of ${inner}`;
	};
	if (zeroUntil(16)) return "unspecified";
	if (zeroUntil(15) && b[15] === 1) return "loopback";
	if (zeroUntil(10) && b[10] === 0xff && b[11] === 0xff) return embedded("IPv4-mapped", 12);
	if (zeroUntil(12)) return embedded("IPv4-compatible", 12) ?? "reserved (::/96)";
	const g = (i: number): number => b[2 * i] * 256 + b[2 * i + 1];
	if (g(0) === 0x64 && g(1) === 0xff9b && b.slice(4, 12).every((x) => x === 0)) return embedded("NAT64", 12);
	if (g(0) === 0x64 && g(1) === 0xff9b && g(2) === 1) return "local-use NAT64";
	if ((b[0] & 0xfe) === 0xfc) return "private (unique local)";
	if (b[0] === 0xfe && (b[1] & 0xc0) === 0x80) return "link-local";
	if (b[0] === 0xfe && (b[1] & 0xc0) === 0xc0) return "site-local";
	if (b[0] === 0xff) return "multicast";
	if (g(0) === 0x2002) return embedded("6to4", 2);
	if (g(0) === 0x2001 && g(1) === 0) return "Teredo";
	if (g(0) === 0x2001 && g(1) === 0xdb8) return "documentation";
	// Everything else outside global unicast (2000::/3) is reserved: deny by default.
	if ((b[0] & 0xe0) !== 0x20) return "reserved";
	return null;
}

/** Why an address must not be reached ("loopback", "IPv4-mapped of private"…), or null for a public one. */
export function blockedReason(address: string): string | null {
	const family = isIP(address);
	if (family === 4) return classifyV4Int(v4ToInt(address) as number);
	const bytes = family === 6 ? v6ToBytes(address) : null;
	return bytes === null ? "not an IP address" : classifyV6(bytes);
}

interface Entry {
	host: string;
	port: number | null;
	wildcard: boolean;
}

/** A host, lower-cased and punycoded the way the URL parser does, without brackets or a trailing dot. */
function normaliseHost(host: string): string | null {
	try {
		const h = new URL(`http://${isIP(host) === 6 ? `[${host}]` : host}/`).hostname;
		return h.replace(/^\[|\]$/g, "").replace(/\.$/, "");
	} catch {
		return null;
	}
}

function parseEntry(raw: string): Entry | null {
	let text = raw.trim().toLowerCase();
	let port: number | null = null;
	let host: string;
	const portMatch = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(text);
	if (portMatch) {
		port = Number(portMatch[2]);
		if (port < 1 || port > 65535) return null;
		text = portMatch[1];
	}
	if (text.startsWith("[") && text.endsWith("]")) host = text.slice(1, -1);
	else host = text;
	const wildcard = host.startsWith("*.");
	const normal = normaliseHost(wildcard ? host.slice(2) : host);
	return normal === null || normal === "" ? null : { host: normal, port, wildcard };
}

function matches(entry: Entry, host: string, port: number, hostIsIp: boolean): boolean {
	if (entry.port !== null && entry.port !== port) return false;
	if (!entry.wildcard) return entry.host === host;
	return !hostIsIp && host.endsWith(`.${entry.host}`);
}

/**
 * Checks that a URL may be fetched: http(s) only, no credentials, a host on the node's
 * allowlist (and on the grant's narrowed `domains`, when there is one), and no resolved
 * address that is internal — unless the node's allowlist names that exact host or
 * host:port (a wildcard or allowAllDomains never unlocks an internal address).
 * The URL parser has already normalised decimal, octal, hex and short IPv4 forms.
 * An empty narrowed list allows nothing.
 */
export async function checkUrl(
	url: string,
	policy: Pick<ToolPolicy, "allowedDomains" | "allowAllDomains">,
	narrowed?: string[],
	lookup: LookupFn = defaultLookup,
	toolId = "builtin:http_fetch"
): Promise<CheckedUrl> {
	const refuse = (reason: string, data: Record<string, unknown> = {}): ToolRefusedError =>
		new ToolRefusedError(toolId, reason, { url: redact(url), ...data });
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		throw refuse("not a valid URL");
	}
	if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw refuse(`the scheme ${parsed.protocol} is not allowed`);
	if (parsed.username !== "" || parsed.password !== "") throw refuse("credentials in the URL are not allowed");

	const host = parsed.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "");
	const port = parsed.port !== "" ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80;
	const ipFamily = isIP(host);
	const entries = policy.allowedDomains.map(parseEntry).filter((e): e is Entry => e !== null);
	const explicit = entries.some((e) => !e.wildcard && matches(e, host, port, ipFamily !== 0));
	const onPolicy = policy.allowAllDomains || entries.some((e) => matches(e, host, port, ipFamily !== 0));
	if (!onPolicy) throw refuse(`${host}:${port} is not on the allowed domains`);
	if (narrowed !== undefined) {
		const grant = narrowed.map(parseEntry).filter((e): e is Entry => e !== null);
		if (!grant.some((e) => matches(e, host, port, ipFamily !== 0))) throw refuse(`${host}:${port} is not among the grant's domains`);
	}

	let addresses: Array<{ address: string; family: number }>;
	if (ipFamily !== 0) addresses = [{ address: host, family: ipFamily }];
	else {
		try {
			addresses = await lookup(parsed.hostname);
		} catch (err) {
			throw new ToolFailedError(toolId, `could not resolve ${host}`, { code: (err as NodeJS.ErrnoException).code });
		}
	}
	if (addresses.length === 0) throw new ToolFailedError(toolId, `${host} has no address`);
	if (!explicit) {
		for (const { address } of addresses) {
			const reason = blockedReason(address);
			if (reason !== null) throw refuse(`${host} ${ipFamily === 0 ? "resolves to" : "is"} a ${reason} address`, { address });
		}
	}
	const first = addresses[0];
	const family = isIP(first.address);
	if (family === 0) throw refuse(`${host} resolved to something that is not an address`);
	return { url: parsed, address: first.address, family: family as 4 | 6 };
}

/** The URL without query or credentials, for error data (it may carry tokens). */
function redact(url: string): string {
	try {
		const u = new URL(url);
		return `${u.protocol}//${u.host}${u.pathname}`;
	} catch {
		return "(invalid URL)";
	}
}
