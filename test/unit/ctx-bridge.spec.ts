import { ServiceBroker } from "moleculer";
import { createCtxBridge } from "../../actors/ctx-bridge";
import { EnvelopeSigner } from "../../actors/envelope";
import { parseManifest } from "../../actors/manifest";
import type { StateStore } from "../../actors/state-store";

/** What agent code asks of the node through ctx, refused where the agent's own code would only hang itself. */
describe("an agent's ctx", () => {
	const broker = new ServiceBroker({ logger: false, transporter: null });
	const state = {} as StateStore;
	const bridge = (limits: Record<string, unknown>) =>
		createCtxBridge({ broker, manifest: parseManifest({ id: "loner", name: "Loner", entryPoint: "x.js", limits }), signer: new EnvelopeSigner("s".repeat(32)), state });
	let asked = 0;
	beforeAll(async () => {
		broker.createService({ name: "agent.loner", actions: { ask: () => ++asked } });
		await broker.start();
	});
	afterAll(() => broker.stop());

	it("refuses ctx.agents.ask of the agent itself when it runs one task at a time, at once instead of after its timeout", async () => {
		await expect(bridge({ maxConcurrency: 1 })("agents.ask", ["loner", { type: "x" }], undefined)).rejects.toMatchObject({ type: "SELF_ASK", code: 409 });
		expect(asked).toBe(0);
		await expect(bridge({ maxConcurrency: 2 })("agents.ask", ["loner", { type: "x" }], undefined)).resolves.toBe(1);
	});

	it("refuses a ctx method named like an inherited property", async () => {
		await expect(bridge({})("constructor" as "state.get", [], undefined)).rejects.toMatchObject({ type: "PERMISSION_DENIED" });
	});
});
