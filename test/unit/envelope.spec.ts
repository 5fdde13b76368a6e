import { EnvelopeSigner, ENVELOPE_MAX_AGE_MS } from "../../actors/envelope";

describe("agent-to-agent envelopes", () => {
	const signer = new EnvelopeSigner("cluster-secret");

	it("opens a genuine envelope and names the sender", () => {
		const sealed = signer.seal("alice", "bob", "node-1", { type: "echo" });
		expect(signer.open(sealed, "bob")).toMatchObject({ from: "alice", node: "node-1", task: { type: "echo" } });
	});

	it("refuses a replayed envelope", () => {
		const sealed = signer.seal("alice", "bob", "node-1", { type: "echo" });
		signer.open(sealed, "bob");
		expect(() => signer.open(sealed, "bob")).toThrow(expect.objectContaining({ type: "ENVELOPE_INVALID", data: { reason: "replayed envelope" } }));
	});

	it("refuses a stale envelope and one from the future", () => {
		const now = Date.now();
		expect(() => signer.open(signer.seal("a", "b", "n", {}, now - ENVELOPE_MAX_AGE_MS - 1), "b", now)).toThrow("stale");
		expect(() => signer.open(signer.seal("a", "b", "n", {}, now + ENVELOPE_MAX_AGE_MS + 1), "b", now)).toThrow("stale");
	});

	it("refuses an envelope whose sender, task or recipient was changed", () => {
		const sealed = signer.seal("alice", "bob", "node-1", { type: "echo", amount: 1 });
		expect(() => signer.open({ ...sealed, from: "mallory" }, "bob")).toThrow("bad signature");
		expect(() => signer.open({ ...sealed, task: { type: "echo", amount: 1000 } }, "bob")).toThrow("bad signature");
		expect(() => signer.open(sealed, "carol")).toThrow("addressed to bob, not carol");
	});

	it("refuses an envelope signed with another secret, and garbage", () => {
		const foreign = new EnvelopeSigner("another-secret").seal("alice", "bob", "node-1", {});
		expect(() => signer.open(foreign, "bob")).toThrow("bad signature");
		expect(() => signer.open({} as never, "bob")).toThrow("malformed envelope");
	});
});
