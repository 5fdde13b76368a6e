import path from "node:path";
import { ctxMethodsOf } from "../../actors/ctx-registry";
import type { ForumPost } from "../../lib/society/society-views";
import { FAST_AGENT_ENV, FIXTURE_AGENTS, post, spawnAgent, task } from "../support/agents";
import { startTestNode, type TestNode } from "../support/test-node";

const citizen = (id: string, runtime: "process" | "inprocess", permissions: string[]) => ({
	id,
	name: `Citizen ${id}`,
	entryPoint: path.join(FIXTURE_AGENTS, "citizen.js"),
	runtime,
	permissions
});

interface Refusal {
	refused?: { type: string; code: number; message: string };
}

/**
 * ctx methods the layers register when the node is composed (here society's forums) reach
 * agent code in a child process and in the node itself alike, with the grants checked
 * where the action runs.
 */
describe("ctx methods registered at composition", () => {
	let t: TestNode;
	let forumId: string;
	const society = (agentId: string, method: string, ...args: unknown[]) => task<ForumPost & Refusal>(t, agentId, { task: { type: "society", method, args } });

	beforeAll(async () => {
		t = await startTestNode({ ...FAST_AGENT_ENV, AGENT_INPROCESS_PATHS: FIXTURE_AGENTS });
		await t.node.ready;
		for (const runtime of ["process", "inprocess"] as const) {
			await spawnAgent(t, citizen(`${runtime}-poster`, runtime, ["social.post"]));
			await spawnAgent(t, citizen(`${runtime}-mute`, runtime, []));
		}
		forumId = (await post<{ id: string }>(t, "/api/v1/forums", { name: "registry-town" })).body.id;
	});
	afterAll(() => t.stop());

	it.each(["process", "inprocess"])("lets a %s agent post in a forum through ctx.society.forums.post, as itself", async runtime => {
		const { status, body } = await society(`${runtime}-poster`, "forums.post", forumId, { title: `From ${runtime}`, body: "Hello" });
		expect(status).toBe(200);
		expect(body.result).toMatchObject({ authorKind: "agent", authorId: `${runtime}-poster`, title: `From ${runtime}` });
		const page = await t.json<{ items: ForumPost[] }>(`/api/v1/forums/${forumId}/posts`);
		expect(page.items.map(p => p.title)).toContain(`From ${runtime}`);
	});

	it.each(["process", "inprocess"])("refuses a %s agent without social.post with 403 PERMISSION_DENIED naming the capability", async runtime => {
		const { body } = await society(`${runtime}-mute`, "forums.post", forumId, { title: "Spam", body: "!" });
		expect(body.result.refused).toMatchObject({ type: "PERMISSION_DENIED", code: 403, message: expect.stringContaining("social.post") });
	});

	it("declares for each registered method the capability its action checks", () => {
		const permissions = new Map(
			t.node.broker.registry.getActionList({ onlyLocal: true, skipInternal: true, withEndpoints: false }).map(a => [a.name, (a.action as { permission?: string } | undefined)?.permission ?? null])
		);
		const registry = ctxMethodsOf(t.node.broker);
		const reached = registry.names().flatMap(name => {
			const method = registry.get(name);
			return method?.action ? [{ name, action: method.action, declared: method.capability, checked: permissions.get(method.action) }] : [];
		});
		expect(reached.length).toBeGreaterThan(25);
		expect(reached.filter(r => r.checked === undefined)).toEqual([]);
		expect(reached.filter(r => r.declared !== r.checked)).toEqual([]);
	});
});
