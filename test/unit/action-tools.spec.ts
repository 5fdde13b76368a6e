import { ServiceBroker, type Context } from "moleculer";
import type { Caller } from "../../actors/agent-api";
import { ActionToolCatalogue } from "../../lib/tools/action-tool-catalogue";
import type { ToolContext } from "../../lib/tools/tool";

describe("actions as tools", () => {
	const broker = new ServiceBroker({ logger: false, transporter: null, cacher: null });
	const caller: Caller = { kind: "agent", id: "alice", trustLevel: "autonomous" };
	const catalogue = new ActionToolCatalogue(broker);
	const context: ToolContext = { agentId: "alice", caller, constraints: {}, signal: new AbortController().signal };

	beforeAll(async () => {
		broker.createService({
			name: "notes",
			actions: {
				save: {
					description: "Saves a note for the calling agent.",
					tool: { caller: "owner" },
					permission: "memory.write",
					params: { owner: { type: "string", optional: true }, text: { type: "string", min: 1 } },
					handler: (ctx: Context<{ owner: string; text: string }, { caller?: Caller }>) => ({ owner: ctx.params.owner, text: ctx.params.text, as: ctx.meta.caller?.id })
				},
				read: { description: "Reads the notes of any agent.", tool: true, params: { owner: "string" }, handler: (ctx: Context<{ owner: string }>) => ctx.params.owner },
				undescribed: { tool: true, handler: () => "never offered" },
				internal: { description: "Not offered: it does not opt in.", handler: () => "never offered" }
			}
		});
		await broker.start();
	});
	afterAll(async () => {
		catalogue.close();
		await broker.stop();
	});

	const tool = (id: string) => catalogue.find(id);
	const ids = () => catalogue.list().map(t => t.id).sort();

	it("offers the actions that opt in and say what they do, without the caller's own param in the schema", () => {
		expect(ids()).toEqual(["action:notes.read", "action:notes.save"]);
		expect(tool("action:notes.save")).toMatchObject({ description: "Saves a note for the calling agent.", capability: "memory.write", source: "action" });
		expect(tool("action:notes.save")!.parameters).toEqual({ type: "object", properties: { text: { type: "string", minLength: 1 } }, required: ["text"] });
		expect(tool("action:notes.read")).toMatchObject({ capability: "tools.execute", parameters: { type: "object", required: ["owner"], properties: { owner: { type: "string" } } } });
	});

	it("fills the caller's own param with the caller's id whatever the model sends, and passes the others as given", async () => {
		const save = tool("action:notes.save")!;
		expect((await save.run({ owner: "mallory", text: "hi" }, context)).content).toEqual({ owner: "alice", text: "hi", as: "alice" });
		expect((await save.run({ text: "again" }, context)).content).toEqual({ owner: "alice", text: "again", as: "alice" });
		expect((await tool("action:notes.read")!.run({ owner: "bob" }, context)).content).toBe("bob");
	});

	it("offers an action of a service started after the list was read, and no longer once the service stopped", async () => {
		expect(ids()).toEqual(["action:notes.read", "action:notes.save"]);
		const clock = broker.createService({ name: "clock", actions: { now: { description: "The time now, as an ISO string.", tool: true, handler: () => "noon" } } });
		await broker.waitForServices("clock");
		expect(ids()).toEqual(["action:clock.now", "action:notes.read", "action:notes.save"]);
		expect((await tool("action:clock.now")!.run({}, context)).content).toBe("noon");
		await broker.destroyService(clock);
		expect(ids()).toEqual(["action:notes.read", "action:notes.save"]);
		expect(tool("action:clock.now")).toBeUndefined();
	});

	it("gives the same definitions while the services stay the same", () => {
		expect(tool("action:notes.read")).toBe(tool("action:notes.read"));
		expect(catalogue.list()).toEqual(catalogue.list());
	});
});
