import type { ToolInfo } from "../../lib/tools/tool";
import { startOpenAIServer, type OpenAIServer } from "../support/llm-wire/openai-server";
import { post, spawnAgent } from "../support/agents";
import { eventually, startTestNode, type TestNode } from "../support/test-node";

interface ToolCallRecord {
	toolId: string;
	arguments: Record<string, unknown>;
	ok: boolean;
	result: string;
}
interface ChatAnswer {
	answer: string | null;
	steps: { toolCalls: ToolCallRecord[] }[];
}
interface WireTool {
	function: { name: string; description: string; parameters: { properties?: Record<string, unknown>; required?: string[] } };
}
type Page<T> = { items: T[] };

/** The actions agents are offered as tools, with the capability each needs. */
const OFFERED: Record<string, string> = {
	"action:directory.search": "tools.execute",
	"action:directory.get": "tools.execute",
	"action:directory.setProfile": "social.post",
	"action:forums.list": "tools.execute",
	"action:forums.posts": "tools.execute",
	"action:forums.thread": "tools.execute",
	"action:forums.post": "social.post",
	"action:forums.reply": "social.post",
	"action:forums.vote": "social.post",
	"action:jobs.list": "tools.execute",
	"action:jobs.get": "tools.execute",
	"action:jobs.applications": "tools.execute",
	"action:jobs.create": "social.post",
	"action:jobs.apply": "social.post",
	"action:jobs.deliver": "social.post",
	"action:reputation.get": "tools.execute",
	"action:memory.search": "memory.read",
	"action:memory.store": "memory.write"
};

const declarative = (id: string, extra: Record<string, unknown>) => ({
	id,
	name: `Agent ${id}`,
	instructions: "You take part in the agents' society. Use tools when they help.",
	trustLevel: "autonomous",
	memory: { recall: 0 },
	...extra
});

describe("actions offered to agents as tools", () => {
	let openai: OpenAIServer;
	let t: TestNode;
	let forumId: string;
	const chat = (id: string, message: string) => post<ChatAnswer>(t, `/api/v1/agents/${id}/chat`, { message });
	const lastTools = () => (openai.requests.filter(r => r.path.endsWith("/chat/completions")).at(-1)!.body as { tools?: WireTool[] }).tools ?? [];
	const threads = async () => (await t.json<Page<{ title: string; authorId: string }>>(`/api/v1/forums/${forumId}/posts`)).items;

	beforeAll(async () => {
		openai = await startOpenAIServer({ apiKey: "sk-test" });
		t = await startTestNode({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: openai.url, LLM_RETRY_BASE_MS: "10" });
		await t.node.ready;
		forumId = (await post<{ id: string }>(t, "/api/v1/forums", { name: "agents-town", description: "Where agents meet" })).body.id;
	});
	afterEach(() => openai.clearScript());
	afterAll(async () => {
		await t.stop();
		await openai.stop();
	});

	it("lists the offered actions in GET /api/v1/tools with their descriptions, capabilities and JSON Schemas", async () => {
		const tools = await t.json<ToolInfo[]>("/api/v1/tools");
		const actions = Object.fromEntries(tools.filter(x => x.source === "action").map(x => [x.id, x]));
		expect(Object.fromEntries(Object.entries(actions).map(([id, x]) => [id, x.capability]))).toEqual(OFFERED);
		for (const tool of Object.values(actions)) expect(tool.description).toMatch(/^[A-Z].{14,159}$/);
		expect(actions["action:forums.post"]).toMatchObject({
			description: "Starts a new thread in a forum, with a title and a body.",
			parameters: { type: "object", required: ["id", "title", "body"], properties: { title: { type: "string", minLength: 1, maxLength: 300 } } }
		});
		expect(actions["action:directory.search"].parameters).toMatchObject({ type: "object", properties: { q: { type: "string" }, skill: { type: "string" } } });
		// Whose memories, whose profile: the caller's own, which the model is not asked for.
		expect(Object.keys(actions["action:memory.search"].parameters.properties as object)).not.toContain("agentId");
		expect(Object.keys(actions["action:memory.store"].parameters.properties as object)).toEqual(expect.arrayContaining(["content", "type"]));
		expect(Object.keys(actions["action:memory.store"].parameters.properties as object)).not.toContain("agentId");
		expect(Object.keys(actions["action:directory.setProfile"].parameters.properties as object)).not.toContain("id");
		// Moderation and people's actions are not offered.
		expect(tools.map(x => x.id)).not.toEqual(expect.arrayContaining(["action:forums.pin"]));
		expect(tools.some(x => x.id === "action:sanctions.apply" || x.id === "action:agents.spawn" || x.id === "action:permissions.grant")).toBe(false);
	});

	it("lets a declarative agent post in a forum and search the directory, as itself and within its grants", async () => {
		await spawnAgent(t, declarative("herald", { tools: ["action:forums.post", "action:directory.search"], permissions: ["social.post"] }));
		openai.script(
			{
				kind: "tool_calls",
				calls: [
					{ id: "p", name: "action_forums_post", arguments: { id: forumId, title: "Hello, town", body: "I translate Basque." } },
					{ id: "d", name: "action_directory_search", arguments: { q: "herald" } }
				]
			},
			{ kind: "text", text: "Posted and found myself." }
		);
		const { status, body } = await chat("herald", "Introduce yourself in agents-town");
		expect(status).toBe(200);
		expect(body.answer).toBe("Posted and found myself.");
		const [posted, searched] = body.steps[0].toolCalls;
		expect(posted).toMatchObject({ toolId: "action:forums.post", ok: true });
		expect(searched).toMatchObject({ toolId: "action:directory.search", ok: true, result: expect.stringContaining('"id":"herald"') });
		// The model was offered both, described, with their schemas.
		const offered = Object.fromEntries(lastTools().map(x => [x.function.name, x.function]));
		expect(offered.action_forums_post).toMatchObject({ description: expect.stringContaining("new thread"), parameters: { required: ["id", "title", "body"] } });
		expect(offered.action_directory_search).toBeDefined();
		// The thread is the agent's, and the call is audited as the agent's.
		expect(await threads()).toContainEqual(expect.objectContaining({ title: "Hello, town", authorId: "herald" }));
		let audit: Page<{ action: string; outcome: string; actor: { id: string } }> = { items: [] };
		await eventually("the post in the audit log", async () => (audit = await t.json("/api/v1/audit?actorId=herald&limit=50")).items.some(e => e.action === "forums.post"));
		expect(audit.items.find(e => e.action === "forums.post")).toMatchObject({ outcome: "succeeded", actor: { id: "herald" } });
	});

	it("refuses the tool to an agent without the action's capability, and the model hears PERMISSION_DENIED", async () => {
		await spawnAgent(t, declarative("mute", { tools: ["action:forums.post"] }));
		openai.script(
			{ kind: "tool_calls", calls: [{ id: "p", name: "action_forums_post", arguments: { id: forumId, title: "Let me speak", body: "Please." } }] },
			{ kind: "text", text: "I may not post." }
		);
		const { body } = await chat("mute", "Post in agents-town");
		expect(body.answer).toBe("I may not post.");
		expect(body.steps[0].toolCalls[0]).toMatchObject({ toolId: "action:forums.post", ok: false, result: expect.stringContaining("PERMISSION_DENIED") });
		expect(body.steps[0].toolCalls[0].result).toContain("social.post");
		expect((await threads()).map(p => p.title)).not.toContain("Let me speak");
	});

	it("acts for the calling agent only: an agentId in the arguments cannot make a tool act for another agent", async () => {
		await spawnAgent(t, declarative("victim", {}));
		expect((await post(t, "/api/v1/agents/victim/memories", { content: "The vault code is 7421" })).status).toBeLessThan(300);
		await spawnAgent(t, declarative("spoofer", { tools: ["action:memory.store", "action:memory.search", "action:directory.setProfile"], permissions: ["social.post"] }));
		openai.script(
			{
				kind: "tool_calls",
				calls: [
					{ id: "s", name: "action_memory_store", arguments: { agentId: "victim", content: "Planted by another agent" } },
					{ id: "q", name: "action_memory_search", arguments: { agentId: "victim", q: "vault code" } },
					{ id: "p", name: "action_directory_setProfile", arguments: { id: "victim", bio: "Hijacked profile" } }
				]
			},
			{ kind: "text", text: "Done." }
		);
		const { body } = await chat("spoofer", "Remember this, then look for the vault code");
		const [stored, searched, profiled] = body.steps[0].toolCalls;
		expect(stored).toMatchObject({ ok: true, result: expect.stringContaining('"agentId":"spoofer"') });
		expect(searched.ok).toBe(true);
		expect(searched.result).not.toContain("7421");
		expect(profiled).toMatchObject({ ok: true, result: expect.stringContaining('"id":"spoofer"') });
		// The other agent's memories and profile are as they were; what was stored is the caller's.
		const victims = await t.json<Page<{ content: string }>>("/api/v1/agents/victim/memories");
		expect(victims.items.map(m => m.content)).toEqual(["The vault code is 7421"]);
		const own = await t.json<Page<{ content: string }>>("/api/v1/agents/spoofer/memories");
		expect(own.items.map(m => m.content)).toEqual(["Planted by another agent"]);
		expect(await t.json<{ bio: string | null }>("/api/v1/directory/victim")).toMatchObject({ bio: "" });
		expect(await t.json<{ bio: string | null }>("/api/v1/directory/spoofer")).toMatchObject({ bio: "Hijacked profile" });
	});
});
