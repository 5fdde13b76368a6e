import { ServiceBroker, type Context } from "moleculer";
import type { Caller } from "../../actors/agent-api";
import { createCtxBridge } from "../../actors/ctx-bridge";
import { CtxRegistry, actionMethod, ctxMethodsOf, type CtxMethod } from "../../actors/ctx-registry";
import { EnvelopeSigner } from "../../actors/envelope";
import { parseManifest } from "../../actors/manifest";
import type { StateStore } from "../../actors/state-store";
import { createAgentContext, taskContexts } from "../../actors/workers/agent-context";
import type { Capability } from "../../lib/security/capabilities";

type Method = (...args: unknown[]) => Promise<unknown>;

/** ctx.a.b as agent code reaches it (AgentContext types only the methods of a full node). */
function methodAt(ctx: object, path: string): Method {
	let node: unknown = ctx;
	for (const key of path.split(".")) node = node && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined;
	if (typeof node !== "function") throw new Error(`ctx.${path} is not a method`);
	return node as Method;
}

/** A layer above the runtime, made up for the test: the runtime knows nothing of it. */
const weather: CtxMethod[] = [
	actionMethod("weather.today", "weather.today", null, ([city], agent) => ({ city, agentId: agent.id })),
	actionMethod("weather.alerts.raise", "weather.raise", "node.monitor", ([alert]) => ({ alert }))
];

describe("the ctx registry", () => {
	const broker = new ServiceBroker({ logger: false, transporter: null, nodeID: "registry-test" });
	const manifest = parseManifest({ id: "forecaster", name: "Forecaster", entryPoint: "x.js" });
	const state = {} as StateStore;
	const seen: { params: unknown; caller: Caller | undefined }[] = [];

	beforeAll(async () => {
		ctxMethodsOf(broker).register(...weather);
		broker.createService({
			name: "weather",
			actions: {
				today(ctx: Context<{ city: string }, { caller?: Caller }>) {
					seen.push({ params: ctx.params, caller: ctx.meta.caller });
					return { city: ctx.params.city, sky: "clear" };
				}
			}
		});
		await broker.start();
	});
	afterAll(() => broker.stop());

	const port = () => createCtxBridge({ broker, manifest, signer: new EnvelopeSigner("s".repeat(32)), state });

	it("answers a method a higher layer registered, as the agent, and offers it to the agent's code by its name", async () => {
		const bridge = port();
		expect(bridge.methods).toEqual(["weather.today", "weather.alerts.raise"]);
		// What an in-node worker builds for a task: ctx.weather.today(...) is the call "weather.today".
		const ctx = taskContexts(manifest.id, bridge.methods ?? [], (method, args, origin: undefined) => bridge(method, args, origin), () => undefined)(undefined);
		await expect(methodAt(ctx, "weather.today")("Oslo")).resolves.toEqual({ city: "Oslo", sky: "clear" });
		expect(seen.at(-1)).toEqual({ params: { city: "Oslo", agentId: "forecaster" }, caller: expect.objectContaining({ kind: "agent", id: "forecaster" }) });
	});

	it("refuses a method nobody registered with 403 PERMISSION_DENIED naming it, before any action runs", async () => {
		const calls = seen.length;
		await expect(port()("weather.tomorrow", ["Oslo"], undefined)).rejects.toMatchObject({ type: "PERMISSION_DENIED", code: 403, data: { agentId: "forecaster", capability: "weather.tomorrow" } });
		for (const name of ["constructor", "__proto__", "hasOwnProperty", "weather.today.constructor", "toString"]) {
			await expect(port()(name, [], undefined)).rejects.toMatchObject({ type: "PERMISSION_DENIED", code: 403 });
		}
		expect(seen.length).toBe(calls);
	});

	it("keeps each method's capability, and refuses one that is not a capability when it is registered", () => {
		expect(ctxMethodsOf(broker).get("weather.alerts.raise")).toMatchObject({ capability: "node.monitor", action: "weather.raise" });
		expect(ctxMethodsOf(broker).get("weather.today")?.capability).toBeNull();
		const rogue = actionMethod("weather.root", "weather.root", "root" as Capability);
		expect(() => new CtxRegistry().register(rogue)).toThrow(expect.objectContaining({ type: "CTX_METHOD_INVALID", code: 500 }));
	});

	it.each([
		["constructor.x", "an inherited property"],
		["weather.__proto__", "a prototype"],
		["weather.toString", "an inherited property"],
		["weather.then", "a thenable"],
		["weather", "no namespace"],
		["state.wipe", "the runtime's own state"],
		["agents.kill", "the runtime's own agents"],
		["log.silence", "the runtime's own log"],
		["weather.today", "a name already taken"],
		["weather.today.hourly", "a method used as a namespace"],
		["weather.alerts", "a namespace used as a method"]
	])("refuses to register %s (%s)", name => {
		const registry = new CtxRegistry().register(...weather);
		expect(() => registry.register(actionMethod(name, "weather.x", null))).toThrow(expect.objectContaining({ type: "CTX_METHOD_INVALID" }));
		expect(registry.get(name)?.action).not.toBe("weather.x");
	});

	it("gives each node its own registry", () => {
		const other = new ServiceBroker({ logger: false, transporter: null });
		expect(ctxMethodsOf(other).names()).toEqual([]);
		expect(ctxMethodsOf(broker).names()).toContain("weather.today");
	});

	it("builds agent code's ctx from the names, beside the runtime's own methods, with no name reaching a prototype", async () => {
		const calls: [string, unknown[]][] = [];
		const ctx = createAgentContext("a", ["weather.today", "weather.alerts.raise"], async (method, args) => void calls.push([method, args]), () => undefined);
		await methodAt(ctx, "weather.today")("Oslo");
		await methodAt(ctx, "weather.alerts.raise")({ level: 1 });
		await ctx.state.get("k");
		expect(calls).toEqual([
			["weather.today", ["Oslo"]],
			["weather.alerts.raise", [{ level: 1 }]],
			["state.get", ["k"]]
		]);
		expect(Object.keys(ctx).sort()).toEqual(["agentId", "agents", "log", "state", "waitFor", "weather"]);
	});

	it("offers ctx.waitFor as the registered human.waitFor, to every task's ctx, and refuses a layer the name", async () => {
		const calls: [string, unknown[], string][] = [];
		const forTask = taskContexts<string>("a", ["human.waitFor"], async (method, args, task) => void calls.push([method, args, task]), () => undefined);
		await forTask("t1").waitFor("Deploy?", { env: "prod" });
		await forTask("t2").human.waitFor("Again?");
		await createAgentContext("a", ["human.waitFor"], async (method, args) => void calls.push([method, args, "-"]), () => undefined).waitFor("Once more?");
		expect(calls).toEqual([
			["human.waitFor", ["Deploy?", { env: "prod" }], "t1"],
			["human.waitFor", ["Again?"], "t2"],
			["human.waitFor", ["Once more?"], "-"]
		]);
		expect(() => new CtxRegistry().register(actionMethod("waitFor.now", "x.y", null))).toThrow(expect.objectContaining({ type: "CTX_METHOD_INVALID" }));
	});

	it("gives each task its own ctx, whose calls, the runtime's and the layers', name that task", async () => {
		const calls: [string, unknown[], string][] = [];
		const forTask = taskContexts<string>("a", ["weather.today"], async (method, args, task) => void calls.push([method, args, task]), () => undefined);
		const first = forTask("t1");
		const second = forTask("t2");
		await methodAt(second, "weather.today")("Oslo");
		await first.state.set("k", 1);
		await methodAt(first, "weather.today")("Bergen");
		expect(calls).toEqual([
			["weather.today", ["Oslo"], "t2"],
			["state.set", ["k", 1], "t1"],
			["weather.today", ["Bergen"], "t1"]
		]);
		expect(first.agentId).toBe("a");
	});

	it("puts even a name like __proto__ from the host on the ctx itself, never on a prototype", () => {
		const ctx = createAgentContext("a", ["__proto__.polluted", "weather.today"], async () => undefined, () => undefined);
		expect(Object.hasOwn(ctx, "__proto__")).toBe(true);
		expect(Object.getPrototypeOf(ctx)).toBe(Object.prototype);
		expect("polluted" in {}).toBe(false);
	});
});
